import type { KV } from './lib/storage'
import { randomHex, traceIdOf } from './lib/ids'

/** sessionStorage key of the session's W3C traceparent (per tab, survives reloads). */
export const TRACEPARENT_KEY = 'traceparent'
const SEQ_KEY = 'lumina_seq'

/**
 * The session: one W3C trace per conversation, kept in sessionStorage so a reload continues
 * it, with the turn counter beside it (`<traceId>:<seq>`). Both are read once and kept in
 * memory; the counter is written on page hide (`save`), not per turn — a sessionStorage
 * write costs ~11 µs in Chromium, a third of a turn.
 */
export const createSession = (kv: KV) => {
  let traceparent: string | null | undefined
  let seq = 0
  let unsaved = false
  /** The trace id of the open session, if any. */
  const current = () => {
    if (traceparent === undefined) {
      const [id, n] = (kv.get(SEQ_KEY) || '').split(':')
      seq = traceIdOf((traceparent = kv.get(TRACEPARENT_KEY))) == id ? +n || 0 : 0
    }
    return traceIdOf(traceparent)
  }
  return {
    current,
    /** Opens the session stored for this tab, or a new trace: [traceId, traceparent]. */
    start(): [string, string] {
      let traceId = current()
      if (!traceId) kv.set(TRACEPARENT_KEY, (traceparent = `00-${(traceId = randomHex(16))}-${randomHex(8)}-01`)), (seq = 0)
      return [traceId, traceparent!]
    },
    clear() {
      kv.remove(TRACEPARENT_KEY)
      kv.remove(SEQ_KEY)
      traceparent = null
      seq = 0
      unsaved = false
    },
    /** Next turn number of the open session: 1, 2, … across reloads. */
    nextSeq: () => ((unsaved = true), ++seq),
    /** Writes the turn counter (page hide, before a reload or navigation). */
    save() {
      unsaved && current() && kv.set(SEQ_KEY, `${current()}:${seq}`) && (unsaved = false)
    },
  }
}

export type Session = ReturnType<typeof createSession>
