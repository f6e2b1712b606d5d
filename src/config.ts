import type { CaptureMode, LuminaConfig, PostHogByName, SystemProvider, UIProvider } from './types'
import { postHogProvider } from './providers/posthog'

export interface ResolvedConfig {
  writeKey: string
  endpoint: string
  captureTranscript: CaptureMode
  maskFn?: (text: string) => string
  enableToolWrapping?: boolean
  flushIntervalMs: number
  maxBatchBytes: number
  uiAnalytics?: UIProvider
  systemAnalytics?: SystemProvider
  sampling: { turn: number; uiEvent: number; span: number }
  cookieDomain?: string
  debug?: boolean
}

const is = (t: string) => (v: unknown) => typeof v == t && !!v
const atLeast = (min: number) => (v: unknown) => v === +v! && v >= min
const OBJECT = [is('object'), 'an object'] as const
const BOOLEAN = [(v: unknown) => v === !!v, 'true or false'] as const

/** Each option: its check and what it must be. writeKey and endpoint are required. */
const CHECKS: Record<string, readonly [ok: (v: any) => boolean, want: string]> = {
  writeKey: [is('string'), 'your project write key'],
  endpoint: [(v) => /^https?:\/\/[^/]/.test(v), 'an http(s) URL'],
  captureTranscript: [(v) => /^(full|masked|none)$/.test(v), "'full', 'masked' or 'none'"],
  maskFn: [is('function'), 'a function'],
  flushIntervalMs: [atLeast(100), 'a number ≥ 100'],
  maxBatchBytes: [atLeast(1024), 'a number ≥ 1024'],
  sampling: [(v) => is('object')(v) && ['turn', 'uiEvent', 'span'].every((k) => v[k] === undefined || v[k] >= 0 && v[k] <= 1), 'rates from 0 to 1'],
  uiAnalytics: [(v) => v == 'posthog' || (is('object')(v) && (v.provider ?? 'posthog') == 'posthog'), "a provider or 'posthog'"],
  systemAnalytics: OBJECT,
  cookieDomain: [is('string'), 'a domain'],
  enableToolWrapping: BOOLEAN,
  debug: BOOLEAN,
}

/** `'posthog'` or `{ provider: 'posthog', host, projectId }` means the page's `window.posthog`, in every build. */
const uiProviderOf = (ui: LuminaConfig['uiAnalytics']): UIProvider | undefined => {
  // the check let through no other `provider`
  if (ui == 'posthog' || (ui as PostHogByName)?.provider) return postHogProvider(typeof ui == 'object' ? (ui as PostHogByName) : {})
  return ui as UIProvider | undefined
}

/**
 * Checks the config and fills in defaults. Returns the problem as one sentence naming
 * the option when the config cannot work; the SDK then stays a harmless no-op.
 */
export const resolveConfig = (c: LuminaConfig): ResolvedConfig | string => {
  if (!is('object')(c)) return 'init(config) needs a config object'
  for (const k in c) if (!(k in CHECKS)) console.warn(`[lumina] init: unknown option "${k}" ignored`)
  for (const option in CHECKS) {
    const v = (c as any)[option]
    if ((v !== undefined || option == 'writeKey' || option == 'endpoint') && !CHECKS[option][0](v))
      return `init: "${option}" must be ${CHECKS[option][1]}, got ${typeof v == 'string' ? JSON.stringify(v) : typeof v}`
  }
  return {
    captureTranscript: 'masked',
    flushIntervalMs: 5000,
    maxBatchBytes: 100_000,
    ...(c as Omit<LuminaConfig, 'uiAnalytics'>),
    endpoint: c.endpoint.replace(/\/+$/, ''),
    uiAnalytics: uiProviderOf(c.uiAnalytics),
    sampling: { turn: 1, uiEvent: 1, span: 1, ...c.sampling },
  }
}
