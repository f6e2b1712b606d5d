import type { Platform } from './types'
import { BEACONED, KEEPALIVE, SENDING, WAITING, type Entry, type Outbox } from './outbox'
import { debug } from './lib/log'
import { BACKOFF_MAX_MS, bodyOf, chunk, retryAfterMs } from './lib/batch'

/** Fetch Standard: 64 KiB of keepalive bodies per page, shared with every other script on it. */
const KEEPALIVE_CHUNK = 32 * 1024
const KEEPALIVE_BUDGET = 48 * 1024
const REQUEST_TIMEOUT_MS = 10_000
const FAST_RETRIES_MS = [300, 600, 900]
const BACKOFF_START_MS = 5_000

export interface TransportOptions {
  endpoint: string
  writeKey: string
  maxBatchBytes: number
  flushIntervalMs: number
  platform: Platform
  outbox: Outbox
  /** Serialises a `dropped` report event for the next batch. */
  droppedLine: (count: number) => string
}

interface Response {
  status: number
  retryAfter?: string | null
}

/**
 * Sends the outbox: batched NDJSON POSTs while the page lives, one at a time with retries and
 * backoff; on page hide, synchronous keepalive requests (sendBeacon as fallback) within the quota.
 */
export const createTransport = (o: TransportOptions) => {
  const { platform: p, outbox } = o
  const url = `${o.endpoint}/collect/sdk/events`
  const hideUrl = `${url}?key=${encodeURIComponent(o.writeKey)}`
  /** The drain in progress, if any: one flush in flight at a time. */
  let running: Promise<void> | null = null
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

  const sleep = (ms: number) => new Promise<void>((resolve) => p.setTimeout(resolve, ms))

  const schedule = (ms: number) => {
    if (timer !== undefined) p.clearTimeout(timer)
    timer = p.setTimeout(() => {
      timer = undefined
      transport.flush()
    }, ms)
  }

  /** Makes sure waiting entries get a send: the periodic timer, or after the hold (backoff). */
  const wake = () => timer === undefined && schedule(Math.max(o.flushIntervalMs, holdUntil - p.now()))

  const post = async (batch: Entry[], target: string, keepalive: boolean): Promise<Response> => {
    const abort = typeof AbortController == 'function' ? new AbortController() : undefined
    // An over-quota keepalive fetch hangs in some Chrome builds: always time out.
    const t = p.setTimeout(() => abort?.abort(), REQUEST_TIMEOUT_MS)
    try {
      const res = await p.fetch!(target, {
        method: 'POST',
        body: bodyOf(batch),
        credentials: 'omit',
        keepalive,
        signal: abort?.signal,
        headers: keepalive
          ? { 'Content-Type': 'text/plain;charset=UTF-8' } // CORS-safelisted: no preflight at unload
          : { 'Content-Type': 'application/x-ndjson', 'X-Api-Key': o.writeKey },
      })
      // The keepalive quota share comes back only once the body is read to the end.
      await res.text().catch(() => '')
      return { status: res.status, retryAfter: res.headers?.get('Retry-After') }
    } catch (e) {
      debug('send failed', e)
      return { status: 0 }
    } finally {
      p.clearTimeout(t)
    }
  }

  const ok = (status: number) => status >= 200 && status < 300
  const hopeless = (status: number) => status == 400 || status == 422

  /** Sends one batch with fast retries. Returns false when sending must stop for now. */
  const sendBatch = async (batch: Entry[]): Promise<boolean> => {
    for (let attempt = 0; ; attempt++) {
      const res = await post(batch, url, false)
      const { status } = res
      if (ok(status)) {
        outbox.remove(batch)
        backoffMs = BACKOFF_START_MS
        debug('sent', batch.length, 'events')
        return true
      }
      if (status == 413 && batch.length > 1) {
        const half = batch.length >> 1
        return (await sendBatch(batch.slice(0, half))) && sendBatch(batch.slice(half))
      }
      if (hopeless(status) || status == 413) {
        debug('dropped', batch.length, 'events the collector refused with', status)
        outbox.remove(batch)
        return true
      }
      if (status == 401 || status == 403) {
        if (!unauthorized) console.warn('[lumina] the collector refused the write key (' + status + '); sending paused')
        unauthorized = true
        break
      }
      const wait = status == 429 || status == 503 ? retryAfterMs(res.retryAfter, p.now()) : undefined
      if (wait !== undefined) {
        holdUntil = p.now() + wait
        outbox.release(batch, SENDING)
        schedule(wait)
        return false
      }
      if (attempt >= FAST_RETRIES_MS.length || !p.isOnline()) {
        holdUntil = p.now() + backoffMs
        schedule(backoffMs)
        debug('backing off', backoffMs, 'ms')
        backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS)
        break
      }
      await sleep(FAST_RETRIES_MS[attempt] * (0.8 + 0.4 * p.random()))
    }
    outbox.release(batch, SENDING)
    outbox.persist() // back to the head of the persisted queue
    return false
  }

  const takeBatch = (): Entry[] => {
    const n = outbox.takeDropped()
    if (n) outbox.unshift(o.droppedLine(n))
    const batch: Entry[] = []
    let size = 0
    for (const e of outbox.entries) {
      if (e.state != WAITING) continue
      if (batch.length && size + e.bytes > o.maxBatchBytes) break
      batch.push(e)
      size += e.bytes
    }
    batch.forEach((e) => (e.state = SENDING))
    return batch
  }

  const drain = async () => {
    for (let batch; !unauthorized && p.fetch && p.isOnline() && (batch = takeBatch()).length; ) {
      if (!(await sendBatch(batch))) return
    }
  }

  /** Hands entries to sendBeacon; a `false` means over quota: they wait for the next chance. */
  const beacon = (batch: Entry[]) => {
    let queued = false
    try {
      queued = !!p.sendBeacon?.(hideUrl, bodyOf(batch))
    } catch {}
    // `true` only means queued, never delivered: keep them in the outbox for the next load.
    for (const e of batch) if (e.state == KEEPALIVE) e.state = queued ? BEACONED : WAITING
    debug(queued ? 'beaconed' : 'beacon refused', batch.length, 'events')
    if (!queued) wake() // a page that lives on sends them normally
  }

  const keepalive = (batch: Entry[], bytes: number) => {
    keepaliveBytes += bytes
    const settle = () => (keepaliveBytes -= bytes)
    if (!p.fetch) return settle(), beacon(batch)
    post(batch, hideUrl, true).then((res) => {
      settle()
      if (ok(res.status) || hopeless(res.status)) outbox.remove(batch)
      else if (res.status) outbox.release(batch, KEEPALIVE), wake()
      else beacon(batch) // rejected (over quota, offline, blocked): try the beacon
    })
  }

  const transport = {
    /** Queues one serialised event; sends when the queue passes maxBatchBytes, else on the timer. */
    enqueue(line: string, ts: number) {
      outbox.add(line, ts)
      if (outbox.bytes >= o.maxBatchBytes && p.now() >= holdUntil && !running) transport.flush()
      else wake()
    },
    /** Sends everything queued now; resolves when done or when sending must wait. Never rejects. */
    flush(): Promise<void> {
      if (running) {
        again = true
        return running
      }
      const run = async () => {
        do {
          again = false
          await drain()
        } while (again)
      }
      running = run()
        .catch((e) => debug('flush failed', e))
        .finally(() => (running = null))
      return running
    },
    /**
     * Page hide: synchronous. Persist everything unconfirmed first, then send what fits in
     * the keepalive budget as text/plain (no preflight), line-aligned chunks of ≤ 32 KiB.
     */
    hide() {
      outbox.persist()
      if (unauthorized) return
      const todo = outbox.entries.filter((e) => e.state == WAITING || e.state == SENDING)
      for (const batch of chunk(todo, KEEPALIVE_CHUNK)) {
        const bytes = batch.reduce((n, e) => n + e.bytes, 0)
        if (keepaliveBytes + bytes > KEEPALIVE_BUDGET) break
        batch.forEach((e) => (e.state = KEEPALIVE))
        keepalive(batch, bytes)
      }
    },
    /** Sends what is waiting once the browser is back online. */
    online() {
      holdUntil = 0
      transport.flush()
    },
  }
  return transport
}

export type Transport = ReturnType<typeof createTransport>
