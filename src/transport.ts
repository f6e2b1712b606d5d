import type { Platform } from './types'
import type { ResolvedConfig } from './config'
import type { KV } from './lib/storage'
import { utf8Bytes } from './lib/json-safe'
import { debug } from './lib/log'

/** localStorage key of the persisted queue: NDJSON, one unconfirmed event a line. */
export const OUTBOX_KEY = 'lumina_outbox'
/**
 * How many events pages dropped for the bounds and did not report yet: a page hands its
 * count over here when it persists, and the next batch of any tab claims it (so a count
 * shared by two tabs is reported once).
 */
const DROPPED_KEY = 'lumina_dropped'

// Segment's localStorage queue grew to ~5 MB and broke sites (analytics-next #1200): bound ours.
const MAX_EVENTS = 1000
const MAX_BYTES = 1 << 20
const MAX_AGE_MS = 7 * 864e5
/** Fetch Standard: 64 KiB of keepalive bodies per page, shared with every other script on it. */
const KEEPALIVE_CHUNK = 32 * 1024
const KEEPALIVE_BUDGET = 48 * 1024
const BACKOFF_START_MS = 5000
/** The longest wait: the backoff cap, and the most a Retry-After may impose. */
const BACKOFF_MAX_MS = 300_000

/** An entry is waiting, in a normal POST, in a keepalive request, or handed to sendBeacon (unconfirmable). */
const WAITING = 0
const SENDING = 1
const KEEPALIVE = 2
const BEACONED = 3

interface Entry {
  id: string
  line: string
  /** UTF-8 bytes with the newline. */
  bytes: number
  ts: number
  state: number
}

/** Our lines start with `{"id":"<36-char uuid>"`: the id without parsing. */
const idOf = (line: string) => line.slice(7, 43)
const entryOf = (line: string, ts: number): Entry => ({ id: idOf(line), line, bytes: utf8Bytes(line) + 1, ts, state: WAITING })
const bodyOf = (batch: Entry[]) => batch.map((e) => e.line).join('\n') + '\n'
const ok = (status: number) => status > 199 && status < 300
/** 400/422 would fail forever. */
const hopeless = (status: number) => status == 400 || status == 422

/** Delay from a Retry-After header (seconds or an HTTP date), capped; NaN without one. */
const retryAfterMs = (header: string | null | undefined, now: number): number => {
  const ms = header ? (isNaN(+header) ? Date.parse(header) - now : +header * 1000) : NaN
  return Math.min(Math.max(ms, 0), BACKOFF_MAX_MS)
}

/**
 * The outbox and its sender. The outbox is the queue of unconfirmed events, in order,
 * mirrored to localStorage (`persist`): nothing leaves it until a response confirms it, and
 * what the bounds drop is counted and reported. It is sent as batched NDJSON POSTs while the
 * page lives, one at a time with retries and backoff; on page hide, as synchronous keepalive
 * requests (sendBeacon as fallback) within the quota. What earlier pages (or other tabs) left
 * unconfirmed is taken over at creation and sent at once.
 */
export const createTransport = (c: ResolvedConfig, p: Platform, kv: KV, droppedLine: (count: number) => string) => {
  const url = c.endpoint + '/collect/sdk/events'
  const hideUrl = url + '?key=' + encodeURIComponent(c.writeKey)
  /** Unconfirmed events, oldest first. */
  let entries: Entry[] = []
  /** UTF-8 bytes of all entries. */
  let totalBytes = 0
  /** This page's drops not yet reported nor handed to storage. */
  let dropped = 0
  /** Ids this page saw confirmed: a merge must not bring them back from storage. */
  let confirmed = new Set<string>()
  /** Whether storage may hold lines: confirmations must then be written through. */
  let stored = false
  /** The drain in progress, if any: one flush in flight at a time. */
  let running: Promise<void> | undefined
  /** Set when flush() is called during a drain: drain again after it. */
  let again = false
  /** 401/403: the key is refused; nothing more is sent from this page. */
  let unauthorized = false
  let backoffMs = BACKOFF_START_MS
  /** Time before which no automatic send starts (backoff, Retry-After). */
  let holdUntil = 0
  let timer: unknown
  /** Our own keepalive bytes in flight. */
  let keepaliveBytes = 0

  /** Queues an entry at the end, or at the head (the `dropped` report goes first). */
  const add = (e: Entry, head?: boolean) => {
    if (head) entries.unshift(e)
    else entries.push(e)
    totalBytes += e.bytes
  }

  /** Drops the oldest beyond the bounds. */
  const enforce = () => {
    while (entries[0] && (entries.length > MAX_EVENTS || totalBytes > MAX_BYTES || entries[0].ts < p.now() - MAX_AGE_MS)) {
      totalBytes -= entries.shift()!.bytes
      dropped++
    }
  }

  /**
   * Writes every unconfirmed entry to localStorage, keeping lines other tabs wrote that this
   * page has not seen confirmed (only their ids are read: no parse on the hide path). Synchronous.
   */
  const persist = () => {
    const ours = new Set(entries.map((e) => e.id))
    let lines = (kv.get(OUTBOX_KEY) || '')
      .split('\n')
      .filter((l) => l.startsWith('{"id":"') && !ours.has(idOf(l)) && !confirmed.has(idOf(l)))
      .concat(entries.map((e) => e.line))
    if (dropped) {
      // handed over even if storage refuses: the store's memory fallback keeps it for this page
      kv.set(DROPPED_KEY, '' + ((+kv.get(DROPPED_KEY)! || 0) + dropped))
      dropped = 0
    }
    stored = lines.length > 0
    if (!stored) kv.remove(OUTBOX_KEY)
    // QuotaExceededError: keep the newest half, and again (memory still holds them all).
    while (lines.length && !kv.set(OUTBOX_KEY, lines.join('\n'))) lines = lines.slice(lines.length >> 1 || 1)
  }

  /** Removes entries a response confirmed (or that must never be sent again). */
  const remove = (done: Entry[]) => {
    if (confirmed.size > 5000) confirmed = new Set()
    done.forEach((e) => confirmed.add(e.id))
    entries = entries.filter((e) => {
      if (!confirmed.has(e.id)) return true
      totalBytes -= e.bytes
      return false
    })
    if (stored) persist()
  }

  /** Hands back entries whose send failed, unless another path took them meanwhile. */
  const release = (batch: Entry[], from = SENDING) => {
    for (const e of batch) if (e.state == from) e.state = WAITING
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => p.setTimeout(resolve, ms))

  const schedule = (ms: number) => {
    p.clearTimeout(timer)
    timer = p.setTimeout(() => {
      timer = undefined
      flush()
    }, ms)
  }

  /** Makes sure waiting entries get a send: the periodic timer, or after the hold (backoff). */
  const wake = () => timer === undefined && schedule(Math.max(c.flushIntervalMs, holdUntil - p.now()))

  /** One request: [status (0: failed), Retry-After]. */
  const post = async (batch: Entry[], keepalive?: boolean): Promise<[number, string?]> => {
    const abort = new AbortController()
    // An over-quota keepalive fetch hangs in some Chrome builds: always time out.
    const t = p.setTimeout(() => abort.abort(), 10_000)
    try {
      const res = await p.fetch!(keepalive ? hideUrl : url, {
        method: 'POST',
        body: bodyOf(batch),
        credentials: 'omit',
        keepalive,
        signal: abort.signal,
        headers: keepalive
          ? { 'Content-Type': 'text/plain;charset=UTF-8' } // CORS-safelisted: no preflight at unload
          : { 'Content-Type': 'application/x-ndjson', 'X-Api-Key': c.writeKey },
      })
      // The keepalive quota share comes back only once the body is read to the end.
      await res.text().catch(() => '')
      return [res.status, res.headers?.get('Retry-After') || '']
    } catch (e) {
      debug('send failed', e)
      return [0]
    } finally {
      p.clearTimeout(t)
    }
  }

  /** Sends one batch with fast retries. Returns false when sending must stop for now. */
  const sendBatch = async (batch: Entry[]): Promise<boolean> => {
    for (let attempt = 0; ; attempt++) {
      const [status, retryAfter] = await post(batch)
      if (ok(status)) {
        remove(batch)
        backoffMs = BACKOFF_START_MS
        debug('sent', batch.length)
        return true
      }
      if (status == 413 && batch[1]) {
        const rest = batch.splice(batch.length >> 1)
        if ((await sendBatch(batch)) && (await sendBatch(rest))) return true
        release(rest) // not stranded in flight when the first half stopped
        return false
      }
      if (hopeless(status) || status == 413) {
        debug('dropped', batch.length, 'refused with', status)
        remove(batch)
        return true
      }
      if (status == 401 || status == 403) {
        if (!unauthorized) console.warn('[lumina] the collector refused the write key (' + status + '); sending paused')
        unauthorized = true
        break
      }
      const wait = status == 429 || status == 503 ? retryAfterMs(retryAfter, p.now()) : NaN
      if (wait >= 0) {
        holdUntil = p.now() + wait
        release(batch)
        schedule(wait)
        return false
      }
      if (attempt > 2 || !p.isOnline()) {
        holdUntil = p.now() + backoffMs
        schedule(backoffMs)
        debug('backing off', backoffMs)
        backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS)
        break
      }
      await sleep(300 * (attempt + 1) * (0.8 + 0.4 * p.random())) // 300/600/900 ms ±20%
    }
    release(batch)
    persist() // back to the head of the persisted queue
    return false
  }

  /** The next batch, up to maxBatchBytes, with the `dropped` report first. */
  const takeBatch = (): Entry[] => {
    const n = dropped + (+kv.get(DROPPED_KEY)! || 0)
    if (n) {
      add(entryOf(droppedLine(n), p.now()), true)
      dropped = 0
      kv.remove(DROPPED_KEY)
    }
    const batch: Entry[] = []
    let size = 0
    for (const e of entries)
      if (e.state == WAITING) {
        if (batch[0] && size + e.bytes > c.maxBatchBytes) break
        batch.push(e)
        size += e.bytes
        e.state = SENDING
      }
    return batch
  }

  /** Sends everything queued now; resolves when done or when sending must wait. Never rejects. */
  const flush = (): Promise<void> => {
    if (running) {
      again = true
      return running
    }
    const drain = async () => {
      do {
        again = false
        for (let batch; !unauthorized && p.fetch && p.isOnline() && (batch = takeBatch())[0]; ) if (!(await sendBatch(batch))) break
      } while (again)
    }
    return (running = drain()
      .catch((e) => debug('flush failed', e))
      .finally(() => (running = undefined)))
  }

  /** Hands entries to sendBeacon; a `false` means over quota: they wait for the next chance. */
  const beacon = (batch: Entry[]) => {
    let queued = false
    try {
      queued = !!p.sendBeacon?.(hideUrl, bodyOf(batch))
    } catch {}
    // `true` only means queued, never delivered: keep them in the outbox for the next load.
    batch.forEach((e) => e.state == KEEPALIVE && (e.state = queued ? BEACONED : WAITING))
    debug('beacon', queued, batch.length)
    if (!queued) wake() // a page that lives on sends them normally
  }

  /** One keepalive request; rejected (over quota, offline, blocked): the beacon. */
  const keepalive = (batch: Entry[], bytes: number) => {
    if (!p.fetch) return beacon(batch)
    keepaliveBytes += bytes
    post(batch, true).then(([status]) => {
      keepaliveBytes -= bytes
      if (ok(status) || hopeless(status)) remove(batch)
      else if (!status) beacon(batch)
      else {
        release(batch, KEEPALIVE) // a page that lives on sends them normally
        wake()
      }
    })
  }

  // Take over what earlier pages (or other tabs) left unconfirmed, oldest first.
  const known = new Set<string>()
  for (const line of (kv.get(OUTBOX_KEY) || '').split('\n'))
    try {
      const ts = Date.parse(JSON.parse(line).ts)
      // a corrupt line (hand-edited, cut by quota) is skipped, never fatal
      if (line.startsWith('{"id":"') && ts && !known.has(idOf(line))) known.add(idOf(line)), add(entryOf(line, ts))
    } catch {}
  entries.sort((a, b) => a.ts - b.ts)
  stored = !!entries[0]
  enforce()
  if (stored) p.setTimeout(flush, 0)

  return {
    /** Queues one serialised event; sends when the queue passes maxBatchBytes, else on the timer. */
    enqueue(line: string, ts: number) {
      add(entryOf(line, ts))
      enforce()
      if (totalBytes >= c.maxBatchBytes && p.now() >= holdUntil && !running) flush()
      else wake()
    },
    flush,
    /**
     * Page hide: synchronous. Persist everything unconfirmed first, then send what fits in
     * the keepalive budget as text/plain (no preflight), line-aligned chunks of ≤ 32 KiB.
     */
    hide() {
      persist()
      if (unauthorized) return
      let batch: Entry[] = []
      let bytes = 0
      /** Sends the chunk gathered so far if it fits the budget. */
      const send = () => {
        if (!batch[0] || keepaliveBytes + bytes > KEEPALIVE_BUDGET) return false
        batch.forEach((e) => (e.state = KEEPALIVE))
        keepalive(batch, bytes)
        batch = []
        bytes = 0
        return true
      }
      for (const e of entries)
        if (e.state < KEEPALIVE) {
          if (bytes + e.bytes > KEEPALIVE_CHUNK && !send()) return
          batch.push(e)
          bytes += e.bytes
        }
      send()
    },
    /** Sends what is waiting once the browser is back online. */
    online() {
      holdUntil = 0
      flush()
    },
  }
}

export type Transport = ReturnType<typeof createTransport>
