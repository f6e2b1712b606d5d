import type { LuminaConfig, Platform, UIProvider } from './types'
import { CaptureTranscript } from './types'
import { resolveConfig, type ResolvedConfig } from './config'
import { browserPlatform } from './platform'
import { cookieStorage, webStore } from './lib/storage'
import { randomHex, traceIdOf, traceparentOf, uuid } from './lib/ids'
import { guard, safeCall } from './lib/guard'
import { debug, setDebug } from './lib/log'
import { jsonSafe } from './lib/json-safe'
import { onLifecycle } from './lib/lifecycle'
import { createTransport, type Transport } from './transport'
import { createTurn, type Feedback, type TurnCtx, type TurnHost } from './turn'
import { captureMessages } from './transcript'
import { SDK, serialize } from './event'
import { noopSession, noopTurn } from './noop'

export interface SessionCtx {
  /** The session's 32-hex W3C trace id. */
  sessionId: string
  /** The session's traceparent (`00-<trace>-<span>-01`). */
  traceparent: string
  /** Opens the next turn of this session. */
  turn(): TurnCtx
}

export interface IdentifyOptions {
  /** Start a new session: default true when switching between two identified users. */
  newSession?: boolean
}

/** The fraction kept of each kind, and which 8 hex digits of the trace id draw it. */
type Kind = 'turn' | 'span' | 'uiEvent'
const DRAW_SLOT: Record<Kind, number> = { turn: 0, span: 8, uiEvent: 16 }

const resolved = Promise.resolve()

/** Cookie and localStorage key of the distinct id. */
const ID_KEY = 'lumina_id'
const ANON = 'anon_'
/** sessionStorage keys: the session's W3C traceparent, and `<traceId>:<seq>` (both per tab, surviving reloads). */
const TRACEPARENT_KEY = 'traceparent'
const SEQ_KEY = 'lumina_seq'
/**
 * sessionStorage flag of a page that holds the session, removed on pagehide: a reload finds
 * it gone, but a duplicated tab finds the original's copy, and starts its own session (PostHog
 * detects duplicated tabs the same way).
 */
const TAB_KEY = 'lumina_tab'

/**
 * Creates an SDK instance. `Lumina` (ESM) and `window.lumina` (CDN) are one each; tests
 * create more, passing fake platform functions.
 *
 * @example
 * const lumina = createLumina({ fetch: myFetch })
 * lumina.init({ writeKey: 'wk_…', endpoint: 'https://ingest.example.com' })
 */
export const createLumina = (overrides: Partial<Platform> = {}) => {
  const p: Platform = { ...browserPlatform(), ...overrides }
  /** 0 until init; 1 once configured; 2 after a bad config (a harmless no-op). */
  let state = 0
  /** Calls made before init, replayed in order after it. */
  const held: (() => void)[] = []
  let config: ResolvedConfig | undefined
  let ui: UIProvider | undefined
  let transport: Transport
  /** Between page hide and show. */
  let hidden = false

  // Identity: `anon_<uuid>` until identify(). Read from the first store that has it, written
  // to both, so each restores the other (Safari may wipe either after 7 days). Read on first
  // use, not at import (server-side rendering has no document).
  const localKV = webStore(p.localStorage)
  const cookieKV = webStore(() => cookieStorage(p.document!, config?.cookieDomain, p.window?.location?.protocol == 'https:'))
  let distinctId = ''
  const setId = (value: string) => {
    distinctId = value
    for (const kv of [cookieKV, localKV]) if (kv.get(ID_KEY) != value) kv.set(ID_KEY, value)
  }
  /** (Re-)reads the stores (another tab may have identified) and repairs a wiped one. */
  const loadId = () => setId(cookieKV.get(ID_KEY) || localKV.get(ID_KEY) || ANON + uuid())
  const id = () => {
    if (!distinctId) loadId()
    return distinctId
  }

  // The session: one W3C trace per conversation, kept in sessionStorage so a reload continues
  // it, with the turn counter beside it. Both are read once and kept in memory; the counter
  // is written on page hide, not per turn — a sessionStorage write costs ~11 µs in Chromium.
  const sessionKV = webStore(p.sessionStorage)
  let traceparent: string | null | undefined
  let seq = 0
  let unsaved = false
  /** The trace id of the open session, if any. */
  const traceId = () => {
    if (traceparent === undefined) {
      if (sessionKV.get(TAB_KEY)) clearSession() // a duplicated tab: the copied session is the original tab's
      else {
        const [t, n] = (sessionKV.get(SEQ_KEY) || '').split(':')
        seq = traceIdOf((traceparent = sessionKV.get(TRACEPARENT_KEY))) == t ? +n || 0 : 0
      }
      sessionKV.set(TAB_KEY, '1')
    }
    return traceIdOf(traceparent)
  }
  /** Next turn number of the open session: 1, 2, … across reloads (saved on page hide). */
  const nextSeq = () => {
    unsaved = true
    return ++seq
  }
  const clearSession = () => {
    sessionKV.remove(TRACEPARENT_KEY)
    sessionKV.remove(SEQ_KEY)
    traceparent = null
    seq = 0
    unsaved = false
  }

  const sampled = (kind: Kind, traceId: string): number | undefined => {
    const rate = config!.sampling[kind]
    return parseInt(traceId.substr(DRAW_SLOT[kind], 8), 16) / 2 ** 32 < rate ? rate : undefined
  }

  /** The fields every event line has, then its own (the id first: the outbox reads it from there). */
  const eventOf = (name: string, fields: Record<string, unknown>, ts: number): Record<string, unknown> => ({
    id: uuid(),
    source: 'sdk',
    name,
    ts: new Date(ts).toISOString(),
    distinct_id: id(),
    session_id: traceId(),
    sdk: SDK,
    ...fields,
  })

  /** Queues one event; `rate` < 1 is recorded as `sample_rate`. */
  const emit = (name: string, fields: Record<string, unknown>, rate = 1) => {
    const ts = p.now()
    const event = eventOf(name, fields, ts)
    if (rate < 1) event.sample_rate = rate
    transport.enqueue(serialize(event), ts)
    // Timers may never fire in a hidden page: what comes in now (an abandoned input, a late
    // turn) goes out at once on the page-hide path.
    if (hidden) transport.hide()
    debug('event', name)
  }

  /** A `feedback` event for a turn (this page's or an earlier one's); the comment is user text, captured like the transcript. */
  const feedback = (turnId: string, f: Feedback) =>
    /^[0-9a-f]{16}$/.test(turnId) && Number.isFinite(f?.score)
      ? emit('feedback', { turn_id: turnId, score: f.score, comment: typeof f.comment == 'string' ? captureMessages(f.comment, config!) : undefined })
      : debug('feedback needs a turn id and { score: number }')

  /** What turns need from their instance; `open` holds each open turn's page-hide report. */
  let host: TurnHost

  const setup = (c: LuminaConfig) => {
    const r = resolveConfig(c)
    if (typeof r == 'string') {
      console.error('[lumina]', r + ' — the SDK is disabled.')
      return 2
    }
    config = r
    setDebug(!!config.debug)
    if (config.cookieDomain) cookieKV.set(ID_KEY, id()) // now with its Domain
    ui = config.uiAnalytics
    host = { c: config, p, ui, sampled, open: new Set(), feedback, emit: (f, rate) => emit('turn', f, rate) }
    transport = createTransport(config, p, localKV, (dropped) => serialize(eventOf('dropped', { session_id: undefined, dropped }, p.now())))
    onLifecycle(
      p.window,
      p.document,
      () => {
        hidden = true
        // the turn counter, written here rather than per turn
        if (unsaved && traceId() && sessionKV.set(SEQ_KEY, `${traceId()}:${seq}`)) unsaved = false
        host.open.forEach((sendIncomplete) => sendIncomplete())
        transport.hide()
      },
      () => {
        hidden = false
        loadId()
      },
    )
    p.window?.addEventListener('online', transport.online)
    p.window?.addEventListener('pagehide', () => sessionKV.remove(TAB_KEY))
    p.window?.addEventListener('pageshow', () => {
      if (traceparent !== undefined) sessionKV.set(TAB_KEY, '1') // back from the bfcache
    })
    safeCall(ui, 'init')
    debug('initialised', config.endpoint)
    return 1
  }

  /**
   * Wraps a public method: runs it now once configured, holds it until init, or returns
   * `off` when the SDK is off; every failure becomes `off` (guard). A method with a
   * Promise `off` returns a Promise while held, settled when it runs.
   */
  const api = <A extends unknown[], R>(name: string, fn: (...args: A) => R, off?: R) => {
    const safe = guard(name, fn, off as R)
    return (...args: A): R => {
      debug(name, ...args) // every public call, under `debug`
      if (state == 1) return safe(...args)
      if (!state && off) return new Promise((done) => held.push(() => done(state == 1 ? safe(...args) : off))) as R
      if (!state) held.push(() => state == 1 && safe(...args))
      return off as R
    }
  }

  const lumina = {
    CaptureTranscript,
    /**
     * Configures the SDK; calls made before it run now, in order. A second call is ignored.
     * @example lumina.init({ writeKey: 'wk_…', endpoint: 'https://ingest.example.com' })
     */
    init(c: LuminaConfig): void {
      if (state) return debug('init called twice; ignored')
      try {
        state = setup(c)
      } catch (e) {
        state = 2
        console.error('[lumina]', 'init failed — the SDK is disabled.', e)
      }
      held.splice(0).forEach((call) => call())
    },
    session: {
      /** Opens this tab's session (reused across reloads) and resolves with its context. */
      start: api(
        'session.start',
        (): Promise<SessionCtx> => {
          let sessionId = traceId()
          if (!sessionId) {
            sessionId = randomHex(16)
            traceparent = traceparentOf(sessionId, randomHex(8))
            sessionKV.set(TRACEPARENT_KEY, traceparent)
            seq = 0
          }
          return Promise.resolve({
            sessionId,
            traceparent: traceparent!,
            turn: guard('turn', () => createTurn(host, sessionId!, nextSeq()), noopTurn()),
          })
        },
        Promise.resolve(noopSession()),
      ),
      /** Ends the session: the next start() opens a new trace. */
      clear: api('session.clear', clearSession),
    },
    /**
     * Names the user. Switching between two identified users starts a new session unless
     * `{ newSession: false }`; anonymous → identified keeps it.
     * @example await lumina.identify('user_42', { plan: 'pro' })
     */
    identify: api(
      'identify',
      (userId: string, properties?: Record<string, unknown>, options: IdentifyOptions = {}): Promise<void> => {
        if (typeof userId != 'string' || !userId) {
          debug('identify needs a non-empty string user id')
          return resolved
        }
        const previous = id()
        if (options.newSession ?? (!previous.startsWith(ANON) && previous != userId)) clearSession()
        setId(userId)
        emit('identify', { user_id: userId, previous_id: previous, properties: jsonSafe(properties || {}) })
        safeCall(ui, 'identify', userId, properties)
        return transport.flush()
      },
      resolved,
    ),
    /** Forgets the user (logout): a new anonymous id and a new session. */
    reset: api('reset', () => {
      setId(ANON + uuid())
      clearSession()
      safeCall(ui, 'reset')
    }),
    /** The current distinct id: `anon_<uuid>` or the identified user id. */
    getDistinctId: guard('getDistinctId', id, ''),
    /** Whether identify() has not been called (or reset() was). */
    isAnonymous: guard('isAnonymous', () => id().startsWith(ANON), true),
    /**
     * The user's rating of a turn, by its id (`turn.turnId`): works after finish() and after a reload.
     * @example lumina.feedback(turnId, { score: 1, comment: 'helpful' })
     */
    feedback: api('feedback', feedback),
    /** Sends everything queued; resolves when done (or when sending must wait). Never rejects. */
    flush: api('flush', () => transport.flush(), resolved),
    /** Queues a UI event (chat input signals), subject to `sampling.uiEvent`. @internal */
    _track: api('_track', (name: string, fields: Record<string, unknown>, ownUi?: boolean) => {
      const trace = (fields.session_id as string) || traceId()
      const rate = trace ? sampled('uiEvent', trace) : config!.sampling.uiEvent == 1 ? 1 : undefined
      if (rate) emit(name, fields, rate)
      if (!ownUi) safeCall(ui, 'captureEvent', name, fields)
    }),
  }
  return lumina
}

export type Lumina = ReturnType<typeof createLumina>
