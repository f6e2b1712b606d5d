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

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v == 'object'
const isRate = (v: unknown) => v === undefined || (typeof v == 'number' && v >= 0 && v <= 1)
const type = (t: string) => (v: unknown) => typeof v == t

/** Each option with its check and what it must be; `required` ones may not be absent. */
const CHECKS: [option: keyof LuminaConfig, ok: (v: any) => boolean, want: string, required?: 1][] = [
  ['writeKey', (v) => typeof v == 'string' && v != '', 'your project write key (a non-empty string)', 1],
  ['endpoint', (v) => /^https?:\/\/[^/]/.test(v), 'an http(s) URL like "https://ingest.example.com"', 1],
  ['captureTranscript', (v) => ['full', 'masked', 'none'].includes(v), "'full', 'masked' or 'none'"],
  ['maskFn', type('function'), 'a function (text) => string'],
  ['flushIntervalMs', (v) => v >= 100, 'a number of ms ≥ 100'],
  ['maxBatchBytes', (v) => v >= 1024, 'a number of bytes ≥ 1024'],
  ['sampling', (v) => isObject(v) && isRate(v.turn) && isRate(v.uiEvent) && isRate(v.span), '{ turn, uiEvent, span } with rates from 0 to 1'],
  ['uiAnalytics', isObject, 'a provider object'],
  ['systemAnalytics', isObject, 'a provider object'],
  ['cookieDomain', type('string'), 'a domain like ".example.com"'],
]

/**
 * Checks the config and fills in defaults. Returns the problem as one sentence naming
 * the option when the config cannot work; the SDK then stays a harmless no-op.
 */
export const resolveConfig = (c: LuminaConfig): ResolvedConfig | string => {
  if (!isObject(c)) return 'init(config) needs a config object'
  for (const k in c)
    if (!CHECKS.some(([option]) => option == k) && k != 'debug' && k != 'enableToolWrapping') console.warn(`[lumina] init: unknown option "${k}" ignored`)
  for (const [option, ok, want, required] of CHECKS) {
    const v = c[option]
    if ((required || v !== undefined) && !(typeof v == 'number' ? isFinite(v) && ok(v) : ok(v)))
      return `init: "${option}" must be ${want}, got ${typeof v == 'string' ? JSON.stringify(v) : typeof v}`
  }
  return {
    captureTranscript: 'masked',
    flushIntervalMs: 5000,
    maxBatchBytes: 100_000,
    ...(c as Omit<LuminaConfig, 'uiAnalytics'> & { uiAnalytics?: UIProvider }),
    endpoint: c.endpoint.replace(/\/+$/, ''),
    sampling: { turn: 1, uiEvent: 1, span: 1, ...c.sampling },
  }
}
