import type { UIAnalyticsProvider } from '../types'

export { createDummyProvider } from './dummy'

/** The posthog-js methods we use; all optional because PostHog's snippet stub lacks some. */
export interface PostHogLike {
  __loaded?: boolean
  init?(apiKey: string, config?: Record<string, unknown>): unknown
  register?(props: Record<string, unknown>): void
  unregister?(name: string): void
  get_session_id?(): string
  get_session_replay_url?(options?: { withTimestamp?: boolean }): string
  capture?(event: string, props?: Record<string, unknown>): unknown
  identify?(id: string, props?: Record<string, unknown>): void
  reset?(): void
  startSessionRecording?(): void
  stopSessionRecording?(): void
}

export interface PostHogProviderOptions {
  /** Initialise posthog-js with this key if the page has not already. */
  apiKey?: string
  /** PostHog host, e.g. `https://eu.posthog.com` (for init and replay links). */
  host?: string
  /** PostHog project id, for replay links when posthog-js cannot make them. */
  projectId?: string | number
  /** A posthog-js instance; default `window.posthog`, looked up at each call (PostHog's snippet may still be loading). */
  instance?: PostHogLike
}

/** The super properties registered while a turn is open (tagTurn names them in this order). */
const TAGS = ['lumina_session_id', 'lumina_turn_id', 'lumina_turn_seq', 'lumina_turn_start_ts']

/**
 * Links each turn to its PostHog session replay: tags PostHog events while a turn is open,
 * and gives finished turns `ui_session_id` and `ui_replay_url`.
 *
 * @example
 * import posthog from 'posthog-js'
 * Lumina.init({ writeKey, endpoint, uiAnalytics: postHogProvider({ instance: posthog }) })
 */
export const postHogProvider = (options: PostHogProviderOptions = {}): UIAnalyticsProvider => {
  const { apiKey, host, projectId } = options
  /** The instance: `window.posthog` is looked up at each call (PostHog's snippet may still be loading). */
  const instance = (): PostHogLike | undefined => options.instance || (globalThis as { posthog?: PostHogLike }).posthog
  /** Calls a posthog-js method if posthog and the method are there (PostHog's snippet stub lacks some). */
  const ph = (method: keyof PostHogLike, ...args: unknown[]): any =>
    (instance()?.[method] as ((...a: unknown[]) => unknown) | undefined)?.apply(instance(), args)
  /** The turn whose tags are registered: finishing an older overlapping turn leaves them. */
  let tagged: string | undefined
  const untagTurn = (turnId: string) => {
    if (tagged != turnId) {
      return
    }
    tagged = undefined
    for (const name of TAGS) {
      ph('unregister', name)
    }
  }
  const getSessionId = () => ph('get_session_id') || undefined
  return {
    name: 'posthog',
    init() {
      if (apiKey && !instance()?.__loaded) {
        ph('init', apiKey, host ? { api_host: host } : {})
      }
    },
    getSessionId,
    getReplayUrl() {
      const id = getSessionId()
      return (
        ph('get_session_replay_url', { withTimestamp: true }) ||
        (id && host && projectId ? `${host.replace(/\/+$/, '')}/project/${projectId}/replay/${id}` : undefined)
      )
    },
    tagTurn(t) {
      tagged = t.turnId
      ph('register', { lumina_session_id: t.sessionId, lumina_turn_id: t.turnId, lumina_turn_seq: t.seq, lumina_turn_start_ts: t.startedAt })
    },
    untagTurn,
    startReplay: () => ph('startSessionRecording'),
    stopReplay: () => ph('stopSessionRecording'),
    captureEvent: (name, props) => ph('capture', name, props),
    identify: (id, props) => ph('identify', id, props),
    reset: () => ph('reset'),
    shutdown() {
      if (tagged) {
        untagTurn(tagged)
      }
    },
  }
}
