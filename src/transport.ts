import type { Platform } from './types'
import type { ResolvedConfig } from './config'
import type { Log } from './lib/log'
import { bodyOf, type Entry, type Outbox } from './outbox'

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
 * The sender of the outbox while the page lives: batched NDJSON POSTs, one at a time, with
 * fast retries, then exponential backoff, Retry-After, 413 splits and 401/403 pauses.
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
  /** Time before which no automatic send starts (backoff, Retry-After). */
  let holdUntil = 0
  let timer: unknown

  const sleep = (ms: number) => new Promise<void>((resolve) => p.setTimeout(resolve, ms))

  const schedule = (ms: number) => {
    p.clearTimeout(timer)
    timer = p.setTimeout(() => {
      timer = undefined
      flush()
    }, ms)
  }

  /** Makes sure waiting entries get a send: the periodic timer, or after the hold (backoff). */
  const wake = () => {
    if (timer === undefined) {
      schedule(Math.max(config.flushIntervalMs, holdUntil - p.now()))
    }
  }

  /** One request: [status (0: failed), Retry-After]. `keepalive`: the page-hide form. */
  const post = async (batch: Entry[], keepalive?: boolean): Promise<[number, string?]> => {
    const abort = new AbortController()
    const t = p.setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS)
    try {
      const res = await p.fetch!(keepalive ? hideUrl : url, {
        method: 'POST',
        body: bodyOf(batch),
        credentials: 'omit',
        keepalive,
        signal: abort.signal,
        headers: keepalive
          ? { 'Content-Type': 'text/plain;charset=UTF-8' } // CORS-safelisted: no preflight at unload
          : { 'Content-Type': 'application/x-ndjson', 'X-Api-Key': config.writeKey },
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
      if (isOk(status)) {
        outbox._confirm(batch)
        backoffMs = BACKOFF_START_MS
        debug('sent', batch.length)
        return true
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
        outbox._confirm(batch)
        return true
      }
      if (status == 401 || status == 403) {
        if (!unauthorized) {
          console.warn('[lumina] writeKey refused (' + status + '); sending paused')
        }
        unauthorized = true
        break
      }
      const wait = status == 429 || status == 503 ? retryAfterMs(retryAfter, p.now()) : NaN
      if (wait >= 0) {
        holdUntil = p.now() + wait
        outbox._release(batch)
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
    outbox._release(batch)
    outbox._persist() // back to the head of the persisted queue
    return false
  }

  const canSend = () => !unauthorized && !!p.fetch && p.isOnline()

  const drain = async () => {
    do {
      again = false
      while (canSend()) {
        const batch = outbox._take(config.maxBatchBytes)
        if (!batch[0] || !(await sendBatch(batch))) {
          break
        }
      }
    } while (again)
  }

  /** Sends everything queued now; resolves when done or when sending must wait. Never rejects. */
  const flush = (): Promise<void> => {
    if (running) {
      again = true
      return running
    }
    running = drain()
      .catch((e) => debug('flush failed', e))
      .finally(() => {
        running = undefined
      })
    return running
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
    _wake: wake,
    _post: post,
    _hideUrl: hideUrl,
    /** Whether the collector refused the write key (401/403): nothing more is sent. */
    _refused: () => unauthorized,
    /** Sends what is waiting once the browser is back online. */
    _online() {
      holdUntil = 0
      flush()
    },
  }
}

export type Transport = ReturnType<typeof createTransport>
