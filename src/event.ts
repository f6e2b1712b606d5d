import { jsonSafe, utf8Bytes } from './lib/json-safe'

/** Name and version sent with every event (replaced at build time). */
declare const __VERSION__: string
export const SDK = { name: 'luminasdk', version: typeof __VERSION__ == 'string' ? __VERSION__ : '0.0.0-dev' }

/** Every line fits a keepalive chunk (32 KiB) so page hide can always send it. */
export const MAX_EVENT_BYTES = 32_000

/**
 * One event as one NDJSON line. An oversized event is truncated with `truncated: true`,
 * never dropped whole: long strings are cut harder, then only its scalar fields are kept.
 */
export const serialize = (event: Record<string, unknown>): string => {
  let line = JSON.stringify(event)
  for (const cap of [1024, 64]) {
    if (utf8Bytes(line) <= MAX_EVENT_BYTES) return line
    line = JSON.stringify({ ...(jsonSafe(event, cap) as object), truncated: true })
  }
  if (utf8Bytes(line) <= MAX_EVENT_BYTES) return line
  const scalars: Record<string, unknown> = { sdk: SDK, truncated: true }
  for (const k in event) if (typeof event[k] != 'object') scalars[k] = jsonSafe(event[k], 256)
  return JSON.stringify({ id: event.id, ...scalars })
}
