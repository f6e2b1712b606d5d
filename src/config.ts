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

const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v == 'object'
const isType = (t: string) => (v: unknown) => typeof v == t
const atLeast = (min: number) => (v: unknown) => typeof v == 'number' && v >= min

/** Each option: its check, what it must be, and whether it is required. */
const CHECKS: [option: string, ok: (v: any) => boolean, want: string, required?: 1][] = [
  ['writeKey', (v) => typeof v == 'string' && v != '', 'your project write key', 1],
  ['endpoint', (v) => /^https?:\/\/[^/]/.test(v), 'an http(s) URL like "https://ingest.example.com"', 1],
  ['captureTranscript', (v) => /^(full|masked|none)$/.test(v), "'full', 'masked' or 'none'"],
  ['maskFn', isType('function'), 'a function (text) => string'],
  ['flushIntervalMs', atLeast(100), 'a number ≥ 100'],
  ['maxBatchBytes', atLeast(1024), 'a number ≥ 1024'],
  ['sampling', (v) => isObject(v) && ['turn', 'uiEvent', 'span'].every((k) => v[k] === undefined || (v[k] >= 0 && v[k] <= 1)), '{ turn, uiEvent, span } rates from 0 to 1'],
  ['uiAnalytics', isObject, 'a provider object'],
  ['systemAnalytics', isObject, 'a provider object'],
  ['cookieDomain', isType('string'), 'a domain like ".example.com"'],
  ['enableToolWrapping', isType('boolean'), 'true or false'],
  ['debug', isType('boolean'), 'true or false'],
]

/**
 * Checks the config and fills in defaults. Returns the problem as one sentence naming
 * the option when the config cannot work; the SDK then stays a harmless no-op.
 */
export const resolveConfig = (c: LuminaConfig): ResolvedConfig | string => {
  if (!isObject(c)) return 'init(config) needs a config object'
  for (const k in c) if (!CHECKS.some(([option]) => option == k)) console.warn(`[lumina] init: unknown option "${k}" ignored`)
  for (const [option, ok, want, required] of CHECKS) {
    const v = (c as any)[option]
    if ((required || v !== undefined) && !ok(v)) return `init: "${option}" must be ${want}, got ${typeof v == 'string' ? JSON.stringify(v) : typeof v}`
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
