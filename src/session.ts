import type { KV } from './lib/storage'
import { newSpanId, newTraceId, traceIdOf, traceparentOf } from './lib/ids'

/** sessionStorage key of the session's W3C traceparent (per tab, survives reloads). */
export const TRACEPARENT_KEY = 'traceparent'
const SEQ_KEY = 'lumina_seq'

/**
 * The session: one W3C trace per conversation, kept in sessionStorage so a reload
 * continues it, with the turn counter beside it (`<traceId>:<seq>`).
 */
export const createSession = (kv: KV) => {
  const current = () => traceIdOf(kv.get(TRACEPARENT_KEY))
  return {
    /** The trace id of the open session, if any. */
    current,
    /** Opens the session stored for this tab, or a new trace. */
    start(): { traceId: string; traceparent: string } {
      let traceparent = kv.get(TRACEPARENT_KEY)
      let traceId = traceIdOf(traceparent)
      if (!traceId) {
        traceId = newTraceId()
        kv.set(TRACEPARENT_KEY, (traceparent = traceparentOf(traceId, newSpanId())))
      }
      return { traceId, traceparent: traceparent! }
    },
    clear() {
      kv.remove(TRACEPARENT_KEY)
      kv.remove(SEQ_KEY)
    },
    /** Next turn number of `traceId`: 1, 2, … across reloads. */
    nextSeq(traceId: string): number {
      const [id, n] = (kv.get(SEQ_KEY) || '').split(':')
      const seq = (id == traceId ? +n || 0 : 0) + 1
      kv.set(SEQ_KEY, `${traceId}:${seq}`)
      return seq
    },
  }
}

export type Session = ReturnType<typeof createSession>
