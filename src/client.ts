import type { Feedback, IdentifyOptions, LuminaConfig, Platform, SessionCtx, UIProvider } from './types'
import { CaptureTranscript } from './types'
import { resolveConfig, type ResolvedConfig } from './config'
import { browserPlatform } from './platform'
import { cookieStorage, webStore } from './lib/storage'
import { guard, safeCaller } from './lib/guard'
import { createLog } from './lib/log'
import { jsonSafe } from './lib/json-safe'
import { onLifecycle } from './lib/lifecycle'
import { createIdentity, toDistinctId } from './identity'
import { createSession, sampledRate, type SampledKind } from './session'
import { envelope, serialize } from './event'
import { createOutbox } from './outbox'
import { createTransport, type Transport } from './transport'
import { createPageHide, type PageHide } from './page-hide'
import { createTurn, type TurnHost } from './turn'
import { captureMessages } from './transcript'
import { noopSession, noopTurn } from './noop'

const resolved = Promise.resolve()

/**
 * Before init; configured; rejected (a config that cannot work: a harmless no-op until a valid
 * init, which still configures); off (wiring failed after a valid config: a no-op for good).
 */
const NEW = 0
const ON = 1
const REJECTED = 2
const OFF = 3

/**
 * Creates an SDK instance. `Lumina` (ESM) and `window.lumina` (CDN) are one each; tests
 * create more, passing fake platform functions.
 *
 * @example
 * const lumina = createLumina({ fetch: myFetch })
 * lumina.init({ writeKey: 'wk_…', endpoint: 'https://ingest.example.com' })
 */
export const createLumina = (overrides: Partial<Platform> = {}) => {
  const platform: Platform = { ...browserPlatform(), ...overrides }
  let state = NEW
  /** Calls made before init, replayed in order after it. */
  const held: (() => void)[] = []
  let config: ResolvedConfig | undefined
  let ui: UIProvider | undefined
  let transport: Transport
  let pageHide: PageHide
  let host: TurnHost
  const debug = createLog(() => config?.debug)
  const safeCall = safeCaller(debug)

  const localKV = webStore(platform.localStorage)
  const cookieKV = webStore(() => cookieStorage(platform.document!, config?.cookieDomain, platform.window?.location?.protocol == 'https:'))
  const identity = createIdentity(cookieKV, localKV, () => config?.cookieDomain)
  const session = createSession(webStore(platform.sessionStorage))

  const sampled = (kind: SampledKind, traceId: string) => sampledRate(config!.sampling, kind, traceId)

  /** Queues one event of the current user, or of `distinctId`; `rate` < 1 is recorded as `sample_rate`. */
  const emit = (name: string, fields: Record<string, unknown>, rate = 1, distinctId = identity._get()) => {
    const ts = platform.now()
    const event = envelope(name, fields, ts, distinctId, session._traceId())
    if (rate < 1) {
      event.sample_rate = rate
    }
    transport._enqueue(serialize(event), ts)
    pageHide._queued()
    debug('event', name)
  }

  /** A `feedback` event for a turn (this page's or an earlier one's); the comment is user text, captured like the transcript. */
  const feedback = (turnId: string, f: Feedback) => {
    if (!/^[0-9a-f]{16}$/.test(turnId) || !Number.isFinite(f?.score)) {
      debug('feedback: needs a turn id and {score}')
      return
    }
    const comment = typeof f.comment == 'string' ? captureMessages(f.comment, config!) : undefined
    emit('feedback', { turn_id: turnId, score: f.score, comment })
  }

  /** The checked config, or the problem as one sentence (a throwing getter or Proxy is one too). */
  const check = (c: LuminaConfig): ResolvedConfig | string => {
    try {
      return resolveConfig(c)
    } catch {
      return 'init: config unreadable'
    }
  }

  /** Wires the modules for a valid config. Nothing here reads storage or cookies: they are read when first needed. */
  const setup = (resolvedConfig: ResolvedConfig) => {
    config = resolvedConfig
    ui = config.uiAnalytics
    const droppedLine = (dropped: number) => serialize(envelope('dropped', { dropped }, platform.now(), identity._get(), undefined))
    const outbox = createOutbox(localKV, platform.now, droppedLine)
    transport = createTransport(config, platform, outbox, debug)
    pageHide = createPageHide(platform, outbox, transport, debug)
    host = {
      config,
      platform,
      ui,
      debug,
      safeCall,
      sampled,
      feedback,
      onHide: pageHide._register,
      emit: (fields, rate) => emit('turn', fields, rate),
    }
    const hidden = () => {
      session._save() // the turn counter, written here rather than per turn
      pageHide._hide()
    }
    const shown = () => {
      pageHide._show()
      identity._refresh()
    }
    onLifecycle(platform.window, platform.document, hidden, shown)
    platform.window?.addEventListener('online', transport._online)
    platform.window?.addEventListener('pagehide', session._pagehide)
    platform.window?.addEventListener('pageshow', session._pageshow)
    safeCall(ui, 'init')
    debug('initialised', config.endpoint)
  }

  /**
   * Wraps a public method: runs it now once configured, holds it until init, or returns
   * `off` when the SDK is off; every failure becomes `off` (guard). A method with a
   * Promise `off` returns a Promise while held, settled when it runs.
   */
  const api = <A extends unknown[], R>(name: string, fn: (...args: A) => R, off?: R) => {
    const safe = guard(name, fn, off as R, debug)
    return (...args: A): R => {
      debug(name, ...args) // every public call, under `debug`
      if (state == ON) {
        return safe(...args)
      }
      if (state == NEW && off) {
        return new Promise((done) => held.push(() => done(state == ON ? safe(...args) : off))) as R
      }
      if (state == NEW) {
        held.push(() => {
          if (state == ON) {
            safe(...args)
          }
        })
      }
      return off as R
    }
  }

  const lumina = {
    CaptureTranscript,
    /**
     * Configures the SDK; calls made before it run now, in order. The first valid config counts:
     * one that cannot work logs one error and leaves the SDK a harmless no-op until a valid
     * init; after that, init is ignored.
     * @example lumina.init({ writeKey: 'wk_…', endpoint: 'https://ingest.example.com' })
     */
    init(c: LuminaConfig): void {
      if (state == ON || state == OFF) {
        debug('init called twice; ignored')
        return
      }
      const resolvedConfig = check(c)
      if (typeof resolvedConfig == 'string') {
        console.error('[lumina]', resolvedConfig + '; SDK off')
        state = REJECTED
      } else {
        try {
          setup(resolvedConfig)
          state = ON
        } catch (e) {
          state = OFF
          console.error('[lumina] init failed; SDK off', e)
        }
      }
      for (const call of held.splice(0)) {
        call()
      }
    },
    session: {
      /** Opens this tab's session (reused across reloads) and resolves with its context. */
      start: api(
        'session.start',
        (): Promise<SessionCtx> => {
          let [sessionId, traceparent] = session._start()
          // A held context follows the instance's session: after reset() or identify() of
          // another user, its next turn opens the new user's trace (seq from 1) instead of
          // joining the old one.
          const turn = () => {
            ;[sessionId, traceparent] = session._start()
            // the turn belongs to who started it, also when it finishes after reset()
            const owner = identity._get()
            const turnHost: TurnHost = { ...host, emit: (fields, rate) => emit('turn', fields, rate, owner) }
            return createTurn(turnHost, sessionId, session._nextSeq())
          }
          return Promise.resolve({
            get sessionId() {
              return sessionId
            },
            get traceparent() {
              return traceparent
            },
            turn: guard('turn', turn, noopTurn(), debug),
          })
        },
        Promise.resolve(noopSession()),
      ),
      /** Ends the session: the next start() opens a new trace. */
      clear: api('session.clear', session._clear),
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
          debug('identify: needs a user id')
          return resolved
        }
        // cut to what an event can carry (400), so no line the schema rejects is ever built
        const distinctId = toDistinctId(userId)
        const previous = identity._get()
        const switching = !identity._isAnonymous() && previous != distinctId
        if (options.newSession ?? switching) {
          session._clear()
        }
        identity._set(distinctId)
        emit('identify', { user_id: distinctId, previous_id: previous, properties: jsonSafe(properties || {}) })
        safeCall(ui, 'identify', userId, properties)
        return transport._flush()
      },
      resolved,
    ),
    /** Forgets the user (logout): a new anonymous id and a new session. */
    reset: api('reset', () => {
      identity._reset()
      session._clear()
      safeCall(ui, 'reset')
    }),
    /** The current distinct id: `anon_<uuid>` or the identified user id. */
    getDistinctId: guard('getDistinctId', identity._get, '', debug),
    /** Whether identify() has not been called (or reset() was). */
    isAnonymous: guard('isAnonymous', identity._isAnonymous, true, debug),
    /**
     * The user's rating of a turn, by its id (`turn.turnId`): works after finish() and after a reload.
     * @example lumina.feedback(turnId, { score: 1, comment: 'helpful' })
     */
    feedback: api('feedback', feedback),
    /** Sends everything queued; resolves when done (or when sending must wait). Never rejects. */
    flush: api('flush', () => transport._flush(), resolved),
    /** A chat input signal (ChatSink): sampled by `sampling.uiEvent`, then to `trackerUi` or ours. @internal */
    _track: api('_track', (name: string, fields: Record<string, unknown>, trackerUi?: UIProvider) => {
      const trace = (fields.session_id as string) || session._traceId()
      let rate: number | undefined
      if (trace) {
        rate = sampled('uiEvent', trace)
      } else if (config!.sampling.uiEvent == 1) {
        rate = 1
      }
      if (rate) {
        emit(name, fields, rate)
      }
      safeCall(trackerUi || ui, 'captureEvent', name, fields)
    }),
    /** SHA-256 hex with this instance's platform (ChatSink). @internal */
    _hash: (text: string) => platform.hash(text),
  }
  return lumina
}

export type Lumina = ReturnType<typeof createLumina>
