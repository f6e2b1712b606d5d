import type { KV } from './lib/storage'
import { randomHex, traceIdOf, traceparentOf } from './lib/ids'

/** sessionStorage keys: the session's W3C traceparent, and `<traceId>:<seq>` (both per tab, surviving reloads). */
export const TRACEPARENT_KEY = 'traceparent'
export const SEQ_KEY = 'lumina_seq'
/**
 * sessionStorage flag of a page that holds the session, removed on pagehide: a reload finds
 * it gone, but a duplicated tab finds the original's copy, and starts its own session (PostHog
 * detects duplicated tabs the same way).
 */
export const TAB_KEY = 'lumina_tab'

export type SampledKind = 'turn' | 'span' | 'uiEvent'
export type SamplingRates = Record<SampledKind, number>
/** Which 8 hex digits of the trace id draw each kind: one draw per session and kind. */
const DRAW_SLOT: Record<SampledKind, number> = { turn: 0, span: 8, uiEvent: 16 }

/** The rate a session keeps `kind` at, or undefined when its draw drops it. */
export const sampledRate = (rates: SamplingRates, kind: SampledKind, traceId: string): number | undefined => {
  const rate = rates[kind]
  const draw = parseInt(traceId.substr(DRAW_SLOT[kind], 8), 16) / 2 ** 32
  return draw < rate ? rate : undefined
}

/**
 * The session: one W3C trace per conversation, kept in sessionStorage so a reload continues
 * it, with the turn counter beside it. Both are read once and kept in memory; the counter is
 * written on page hide (`save`), not per turn: a sessionStorage write costs ~11 µs in Chromium.
 * One per SDK instance; a server makes one per request.
 */
export const createSession = (kv: KV) => {
  /** undefined: not read yet; null: no session open. */
  let traceparent: string | null | undefined
  let seq = 0
  /** The counter changed since it was last written. */
  let unsaved = false

  const clear = () => {
    kv.remove(TRACEPARENT_KEY)
    kv.remove(SEQ_KEY)
    traceparent = null
    seq = 0
    unsaved = false
  }

  /** The trace id of the open session, if any. */
  const traceId = () => {
    if (traceparent === undefined) {
      if (kv.get(TAB_KEY)) {
        clear() // a duplicated tab: the copied session is the original tab's
      } else {
        traceparent = kv.get(TRACEPARENT_KEY)
        const [storedTrace, storedSeq] = (kv.get(SEQ_KEY) || '').split(':')
        seq = traceIdOf(traceparent) == storedTrace ? +storedSeq || 0 : 0
      }
      kv.set(TAB_KEY, '1')
    }
    return traceIdOf(traceparent)
  }

  return {
    _traceId: traceId,
    /** Opens the stored session of this tab, or a new trace: [traceId, traceparent]. */
    _start(): [string, string] {
      let id = traceId()
      if (!id) {
        id = randomHex(16)
        traceparent = traceparentOf(id, randomHex(8))
        kv.set(TRACEPARENT_KEY, traceparent)
        seq = 0
      }
      return [id, traceparent!]
    },
    /** Ends the session: the next start() opens a new trace. */
    _clear: clear,
    /** Next turn number of the open session: 1, 2, … across reloads (saved on page hide). */
    _nextSeq() {
      unsaved = true
      seq++
      return seq
    },
    /** Writes the turn counter (page hide: before a reload or navigation). */
    _save() {
      const id = unsaved ? traceId() : undefined
      if (id && kv.set(SEQ_KEY, `${id}:${seq}`)) {
        unsaved = false
      }
    },
    /** Page hide: a reload must not look like a duplicated tab. */
    _pagehide() {
      kv.remove(TAB_KEY)
    },
    /** Back from the back/forward cache: this page holds its session again. */
    _pageshow() {
      if (traceparent !== undefined) {
        kv.set(TAB_KEY, '1')
      }
    },
  }
}

export type Session = ReturnType<typeof createSession>
