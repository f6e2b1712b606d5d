import type { CaptureMode, LuminaConfig, SystemProvider, UIProvider } from './types'

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

type Check = readonly [ok: (v: any) => boolean, want: string]

const is = (t: string) => (v: unknown) => typeof v == t && !!v
/** A real number (not a numeric string, not null, not NaN) of at least `min`. */
const atLeast = (min: number) => (v: unknown) => v === +v! && v >= min
const OBJECT = [is('object'), 'an object'] as const
const BOOLEAN = [(v: unknown) => v === !!v, 'true or false'] as const
/** A sampling rate: a number from 0 to 1 ('0.5' and null are not: the collector rejects the one, and the other would turn the kind off). */
const RATE: Check = [(v) => atLeast(0)(v) && v <= 1, 'a number from 0 to 1']

/** Each option: its check and what it must be. writeKey and endpoint are required. */
const CHECKS: Record<string, Check> = {
  // It travels in a request header (X-Api-Key), which cannot carry a character above U+00FF
  // or a control character: such a key would fail every POST.
  writeKey: [(v) => is('string')(v) && /^[ -~\xa0-\xff]+$/.test(v), 'your project write key (Latin-1 only)'],
  endpoint: [(v) => /^https?:\/\/[^/]/.test(v), 'an http(s) URL'],
  captureTranscript: [(v) => /^(full|masked|none)$/.test(v), "'full', 'masked' or 'none'"],
  maskFn: [is('function'), 'a function'],
  flushIntervalMs: [atLeast(100), 'a number >= 100'],
  maxBatchBytes: [atLeast(1024), 'a number >= 1024'],
  sampling: OBJECT,
  // Checked after 'sampling' itself, by their path in it.
  'sampling.turn': RATE,
  'sampling.uiEvent': RATE,
  'sampling.span': RATE,
  uiAnalytics: OBJECT,
  systemAnalytics: OBJECT,
  cookieDomain: [is('string'), 'a domain'],
  enableToolWrapping: BOOLEAN,
  debug: BOOLEAN,
}

/** The one sentence naming what is wrong: the option, what it must be, what it got. */
const problem = (option: string, v: unknown, check: Check) =>
  `init: "${option}" must be ${check[1]}, got ${typeof v == 'string' || v === null ? JSON.stringify(v) : typeof v}`

/**
 * Checks the config and fills in defaults. Returns the problem as one sentence naming
 * the option when the config cannot work; the SDK then stays a harmless no-op.
 */
export const resolveConfig = (c: LuminaConfig): ResolvedConfig | string => {
  if (!is('object')(c)) return 'init(config) needs a config object'
  for (const k in c) if (!(k in CHECKS)) console.warn(`[lumina] init: unknown option "${k}" ignored`)
  for (const option in CHECKS) {
    const [name, rate] = option.split('.')
    const v = rate ? (c as any)[name]?.[rate] : (c as any)[option]
    if ((v !== undefined || option == 'writeKey' || option == 'endpoint') && !CHECKS[option][0](v)) return problem(option, v, CHECKS[option])
  }
  return {
    captureTranscript: 'masked',
    flushIntervalMs: 5000,
    maxBatchBytes: 100_000,
    ...(c as Omit<LuminaConfig, 'uiAnalytics'>),
    endpoint: c.endpoint.replace(/\/+$/, ''),
    sampling: { turn: 1, uiEvent: 1, span: 1, ...c.sampling },
  }
}
