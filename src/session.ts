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

/** A stored turn counter, `<traceId>:<seq>`, as written by `save`; anything else is discarded. */
const SEQ_FORMAT = /^([0-9a-f]{32}):(\d{1,9})$/

/**
 * The session: one W3C trace per conversation, kept in sessionStorage so a reload continues
 * it, with the turn counter beside it. Both are read on first use and kept in memory; reading
 * never writes. The counter is written on page hide (`save`), not per turn: a sessionStorage
 * write costs ~11 µs in Chromium. One per SDK instance; a server makes one per request.
 */
export const createSession = (kv: KV) => {
  /** undefined: not read yet; null: no session open. */
  let traceparent: string | null | undefined
  let seq = 0
  /** The counter changed since it was last written. */
  let unsaved = false
  /** This page holds the session (set the tab flag): its pagehide hands it on to a reload. */
  let holding = false

  /** The stored session, validated (a poisoned store is ignored), unless this tab is a duplicate. */
  const read = () => {
    traceparent = null
    seq = 0
    // a duplicated tab: the copied session is the original tab's
    if (kv.get(TAB_KEY)) {
      return
    }
    traceparent = kv.get(TRACEPARENT_KEY)
    const stored = SEQ_FORMAT.exec(kv.get(SEQ_KEY) || '')
    if (stored && stored[1] == traceIdOf(traceparent)) {
      seq = +stored[2]
    }
  }

  /** The trace id of the open session, if any. Reads storage on first use; never writes. */
  const traceId = () => {
    if (traceparent === undefined) {
      read()
    }
    return traceIdOf(traceparent)
  }

  const clear = () => {
    kv.remove(TRACEPARENT_KEY)
    kv.remove(SEQ_KEY)
    traceparent = null
    seq = 0
    unsaved = false
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
      if (!holding) {
        holding = true
        kv.set(TAB_KEY, '1')
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
    /** Page hide: a reload of this page must not look like a duplicated tab. */
    _pagehide() {
      if (holding) {
        kv.remove(TAB_KEY)
      }
    },
    /** Back from the back/forward cache: this page holds its session again (nothing to do at a first load). */
    _pageshow() {
      if (holding) {
        kv.set(TAB_KEY, '1')
      }
    },
  }
}

export type Session = ReturnType<typeof createSession>
