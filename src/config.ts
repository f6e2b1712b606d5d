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

/** A check and what the option must be (said in the message when it fails). */
type Check = readonly [ok: (v: any) => boolean, want: string]

/** A real number (not a numeric string, not null, not NaN) of at least `min`. */
const atLeast = (min: number): Check => [(v) => v === +v && v >= min, 'a number >= ' + min]
/** A sampling rate: a number from 0 to 1 ('0.5' and null are not: the collector rejects the one, and the other would turn the kind off). */
const RATE: Check = [(v) => v === +v && v >= 0 && v <= 1, 'a number from 0 to 1']

/**
 * Each option: its check, or the `typeof` it must have (an object is not null, a string not
 * empty). writeKey and endpoint are required.
 */
const CHECKS: Record<string, Check | string> = {
  // It travels in a request header (X-Api-Key), which cannot carry a character above U+00FF
  // or a control character: such a key would fail every POST.
  writeKey: [(v) => typeof v == 'string' && /^[ -~\xa0-\xff]+$/.test(v), 'a Latin-1 string'],
  endpoint: [(v) => /^https?:\/\/[^/]/.test(v), 'an http(s) URL'],
  captureTranscript: [(v) => /^(full|masked|none)$/.test(v), 'full, masked or none'],
  maskFn: 'function',
  flushIntervalMs: atLeast(100),
  maxBatchBytes: atLeast(1024),
  sampling: 'object',
  // Checked after 'sampling' itself, by their path in it.
  'sampling.turn': RATE,
  'sampling.uiEvent': RATE,
  'sampling.span': RATE,
  uiAnalytics: [(v) => v == 'posthog' || (typeof v == 'object' && !!v && (v.provider ?? 'posthog') == 'posthog'), "a provider or 'posthog'"],
  systemAnalytics: 'object',
  cookieDomain: 'string',
  enableToolWrapping: 'boolean',
  debug: 'boolean',
}

/** The check of a `typeof` name: booleans may be false, objects and strings must be truthy. */
const checkOf = (c: Check | string): Check => (typeof c == 'string' ? [(v) => typeof v == c && (c == 'boolean' || !!v), 'a ' + c] : c)

/** The one sentence naming what is wrong: the option, what it must be, what it got. */
const problem = (option: string, v: unknown, want: string) =>
  `init: "${option}" must be ${want}, got ${typeof v == 'string' || v === null ? JSON.stringify(v) : typeof v}`

/**
 * `'posthog'` or `{ provider: 'posthog', host, projectId }` means the page's `window.posthog`,
 * in every build. (A config that throws when read is rejected by init's check.)
 */
const uiProviderOf = (ui: LuminaConfig['uiAnalytics']): UIProvider | undefined => {
  // the check let through no other `provider`
  if (ui == 'posthog' || (ui as PostHogByName)?.provider) {
    return postHogProvider(typeof ui == 'object' ? (ui as PostHogByName) : {})
  }
  return ui as UIProvider | undefined
}

/**
 * Checks the config and fills in defaults. Returns the problem as one sentence naming
 * the option when the config cannot work; the SDK then stays a harmless no-op.
 */
export const resolveConfig = (c: LuminaConfig): ResolvedConfig | string => {
  if (!c || typeof c != 'object') {
    return 'init needs a config object'
  }
  for (const k in c) {
    if (!(k in CHECKS)) {
      console.warn(`[lumina] init: unknown option "${k}" ignored`)
    }
  }
  for (const option in CHECKS) {
    const [name, rate] = option.split('.')
    const v = rate ? (c as any)[name]?.[rate] : (c as any)[option]
    const [ok, want] = checkOf(CHECKS[option])
    if ((v !== undefined || option == 'writeKey' || option == 'endpoint') && !ok(v)) {
      return problem(option, v, want)
    }
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
