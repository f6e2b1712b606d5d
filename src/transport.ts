import type { Platform } from './types'
import type { ResolvedConfig } from './config'
import type { Log } from './lib/log'
import { BEACONED, bodyOf, DROPPED, type Entry, type Outbox } from './outbox'

const BACKOFF_START_MS = 5000
/** The longest wait: the backoff cap, and the most a Retry-After may impose. */
const BACKOFF_MAX_MS = 300_000
/** An over-quota keepalive fetch hangs in some Chrome builds: every request times out. */
const REQUEST_TIMEOUT_MS = 10_000

export const isOk = (status: number) => status > 199 && status < 300
/** 400/422 would fail forever. */
export const isHopeless = (status: number) => status == 400 || status == 422

/** Delay from a Retry-After header (seconds or an HTTP date), capped; NaN without one. */
const retryAfterMs = (header: string | null | undefined, now: number): number => {
  let ms = NaN
  if (header) {
    ms = isNaN(+header) ? Date.parse(header) - now : +header * 1000
  }
  return Math.min(Math.max(ms, 0), BACKOFF_MAX_MS)
}

/**
 * How many lines of `batch` a 2xx answer lists as rejected, each logged: `rejected_count`, or
 * `rejected` as a count or as a list of `{ line | id, reason | error }` (`line` counts from 1).
 * A rejected `dropped` report is not counted again (it would report itself forever).
 */
const rejectedIn = (text: string, batch: Entry[], debug: Log): number => {
  let n = 0
  try {
    const answer = JSON.parse(text)
    const list = answer.rejected
    n = +answer.rejected_count || (Array.isArray(list) ? list.length : +list) || 0
    if (Array.isArray(list)) {
      for (const r of list) {
        const e = r?.id ? batch.find((x) => x._id == r.id) : batch[r?.line - 1]
        debug('rejected by the ingest:', r?.reason || r?.error, e ? e._line.slice(0, 200) : r)
        if (e?._report) {
          n--
        }
      }
    }
  } catch {}
  return Math.max(0, Math.min(Math.floor(n) || 0, batch.length))
}

/** The lines of a batch that carry events (not a `dropped` report). */
const eventsIn = (batch: Entry[]) => batch.filter((e) => !e._report).length

/**
 * The sender of the outbox while the page lives: batched NDJSON POSTs, one at a time,
 * gzip-compressed where the platform can, with fast retries, then exponential backoff,
 * Retry-After, 413 splits and 401/403 pauses.
 */
export const createTransport = (config: ResolvedConfig, platform: Platform, outbox: Outbox, debug: Log) => {
  const p = platform
  const url = config.endpoint + '/collect/sdk/events'
  /** The page-hide URL: text/plain with the key in the query, so no preflight is needed. */
  const hideUrl = url + '?key=' + encodeURIComponent(config.writeKey)
  /** The drain in progress, if any: one flush in flight at a time. */
  let running: Promise<void> | undefined
  /** Set when flush() is called during a drain: drain again after it. */
  let again = false
  /** 401/403: the key is refused; nothing more is sent from this page. */
  let unauthorized = false
  let backoffMs = BACKOFF_START_MS
  /** Time before which no send starts, not even an explicit flush() (backoff, Retry-After). */
  let holdUntil = 0
  let timer: unknown
  /** Whether batches go gzip-compressed: until an ingest shows it cannot take them. */
  let compress = !!p.gzip
  /** When the timer fires (Infinity: no timer). */
  let dueAt = Infinity
  /** Callers of soon() waiting for the next drain to end. */
  let waiters: (() => void)[] = []

  const sleep = (ms: number) => new Promise<void>((resolve) => p.setTimeout(resolve, ms))

  const schedule = (ms: number) => {
    p.clearTimeout(timer)
    dueAt = p.now() + ms
    timer = p.setTimeout(() => {
      timer = undefined
      holdUntil = 0 // the one timer runs at the end of any hold
      dueAt = Infinity
      flush()
    }, ms)
  }

  /** Makes sure waiting entries get a send: the periodic timer, or after the hold (backoff). */
  const wake = () => {
    if (timer === undefined) {
      schedule(Math.max(config.flushIntervalMs, holdUntil - p.now()))
    }
  }

  /**
   * One request: [status (0: failed), Retry-After, lines the ingest rejected]. `keepalive`: the
   * page-hide form (synchronous until the request starts, so never compressed); `zipped`: gzip.
   */
  const post = async (batch: Entry[], keepalive?: boolean, zipped?: boolean): Promise<[number, string?, number?]> => {
    const abort = new AbortController()
    const t = p.setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS)
    try {
      let body: BodyInit = bodyOf(batch)
      const headers: Record<string, string> = keepalive
        ? { 'Content-Type': 'text/plain;charset=UTF-8' } // CORS-safelisted: no preflight at unload
        : { 'Content-Type': 'application/x-ndjson', 'X-Api-Key': config.writeKey }
      if (zipped) {
        body = await p.gzip!(body)
        headers['Content-Encoding'] = 'gzip'
      }
      const res = await p.fetch!(keepalive ? hideUrl : url, { method: 'POST', body, credentials: 'omit', keepalive, signal: abort.signal, headers })
      // The keepalive quota share comes back only once the body is read to the end.
      const text = await res.text().catch(() => '')
      return [res.status, res.headers?.get('Retry-After') || '', isOk(res.status) ? rejectedIn(text, batch, debug) : 0]
    } catch (e) {
      debug('send failed', e)
      return [0]
    } finally {
      p.clearTimeout(t)
    }
  }

  /** The ingest answered for good: its rejected lines are counted as dropped (never resent), the batch leaves the outbox. */
  const settle = (batch: Entry[], rejected = 0) => {
    if (rejected) {
      debug('dropped', rejected, 'rejected by the ingest')
      outbox._count('rejected', rejected)
    }
    outbox._confirm(batch)
  }

  /** Sends one batch with fast retries. Returns false when sending must stop for now. */
  const sendBatch = async (batch: Entry[]): Promise<boolean> => {
    /** A compressed attempt failed in a way a plain one may not (an ingest without gzip, a preflight without Content-Encoding). */
    let zipFailed = false
    for (let attempt = 0; ; attempt++) {
      // lines dropped meanwhile (the bounds, a full storage) are counted: never sent as well
      batch = batch.filter((e) => e._state != DROPPED)
      if (!batch[0]) {
        return true
      }
      // every other attempt goes plain, so an ingest that cannot take gzip still gets the batch
      const zipped = compress && !(attempt & 1)
      const [status, retryAfter, rejected] = await post(batch, false, zipped)
      if (isOk(status)) {
        if (zipFailed && !zipped) {
          compress = false
          debug('gzip refused by the ingest; sending plain')
        }
        settle(batch, rejected)
        backoffMs = BACKOFF_START_MS
        debug('sent', batch.length)
        return true
      }
      if (zipped && (!status || status == 415 || isHopeless(status))) {
        zipFailed = true
        if (status) {
          continue // an answer, not a network failure: plain at once
        }
      }
      if (status == 413 && batch[1]) {
        const rest = batch.splice(batch.length >> 1)
        if ((await sendBatch(batch)) && (await sendBatch(rest))) {
          return true
        }
        outbox._release(rest) // not stranded in flight when the first half stopped
        return false
      }
      if (isHopeless(status) || status == 413) {
        debug('dropped', batch.length, 'refused with', status)
        settle(batch, eventsIn(batch))
        return true
      }
      if (status == 401 || status == 403) {
        if (!unauthorized) {
          console.warn('[lumina] writeKey refused (' + status + '); sending paused')
        }
        unauthorized = true
        break
      }
      const retryAfterWait = status == 429 || status == 503 ? retryAfterMs(retryAfter, p.now()) : NaN
      if (attempt > 2 || !p.isOnline() || retryAfterWait >= 0) {
        // Retry-After can lengthen the wait, never shorten it below the backoff (0 or a past date would retry at once, forever)
        const wait = Math.max(backoffMs, retryAfterWait || 0)
        holdUntil = p.now() + wait
        schedule(wait)
        debug('backing off', wait)
        backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS)
        break
      }
      await sleep(300 * (attempt + 1) * (0.8 + 0.4 * p.random())) // 300/600/900 ms ±20%
    }
    outbox._release(batch)
    outbox._persist() // back to the head of the persisted queue
    return false
  }

  const canSend = () => !unauthorized && !!p.fetch && p.isOnline() && p.now() >= holdUntil

  const drain = async () => {
    do {
      again = false
      while (canSend()) {
        const batch = outbox._take(config.maxBatchBytes)
        if (!batch[0]) {
          break
        }
        if (!(await sendBatch(batch))) {
          return // a failed round waits for its backoff: a flush() meanwhile does not start another at once
        }
      }
    } while (again)
  }

  /** Sends everything queued now; resolves when done or when sending must wait. Never rejects. */
  const flush = (): Promise<void> => {
    const woken = waiters
    waiters = []
    if (running) {
      again = true // the drain in progress takes what was queued since it began
    } else {
      running = drain()
        .catch((e) => debug('flush failed', e))
        .finally(() => {
          running = undefined
        })
    }
    const done = running
    if (woken[0]) {
      done.then(() => {
        for (const resolve of woken) {
          resolve()
        }
      })
    }
    return done
  }

  /**
   * Sends what is queued within `ms` (earlier if already due, never inside a backoff) and
   * resolves when that send ended: confirmed, refused for good, or back in the outbox for a
   * later chance. At once when nothing can be sent now (offline, backoff, refused key): what
   * is queued waits in the outbox. Never rejects.
   */
  const soon = (ms: number): Promise<void> => {
    if (!canSend() || p.now() < holdUntil) {
      return Promise.resolve()
    }
    if (p.now() + ms < dueAt) {
      schedule(ms)
    }
    return new Promise((resolve) => waiters.push(resolve))
  }

  // What earlier pages (or other tabs) left unconfirmed goes out at once, though not inside
  // init: the stored outbox is read right after it.
  p.setTimeout(() => {
    if (outbox._load()) {
      flush()
    }
  }, 0)

  return {
    /** Queues one serialised event; sends when the queue passes maxBatchBytes, else on the timer. */
    _enqueue(line: string, ts: number) {
      outbox._add(line, ts)
      if (outbox._totalBytes() >= config.maxBatchBytes && p.now() >= holdUntil && !running) {
        flush()
      } else {
        wake()
      }
    },
    _flush: flush,
    _soon: soon,
    _wake: wake,
    /** Stops the timer (shutdown); what is queued later wakes it again. */
    _stop() {
      p.clearTimeout(timer)
      timer = undefined
      dueAt = Infinity
    },
    _post: post,
    _settle: settle,
    _hideUrl: hideUrl,
    /** Whether the collector refused the write key (401/403): nothing more is sent. */
    _refused: () => unauthorized,
    /** Back online: sends what is waiting, and again what went to sendBeacon meanwhile (it may never have left; the ingest drops duplicates). */
    _online() {
      holdUntil = 0
      outbox._release(outbox._entries(), BEACONED)
      flush()
    },
  }
}

export type Transport = ReturnType<typeof createTransport>
