import { jsonSafe, utf8Bytes } from './lib/json-safe'
import { iso, uuid } from './lib/ids'

/** Name and version sent with every event (replaced at build time). */
declare const __VERSION__: string
export const SDK = { name: 'luminasdk', version: typeof __VERSION__ == 'string' ? __VERSION__ : '0.0.0-dev' }

/** Every line fits a keepalive chunk (32 KiB) so page hide can always send it. */
export const MAX_EVENT_BYTES = 32_000

/**
 * The fields every event line has, then its own. The id comes first: the outbox reads it
 * from there without parsing. A `session_id` in `fields` overrides the envelope's.
 */
export const envelope = (
  name: string,
  fields: Record<string, unknown>,
  ts: number,
  distinctId: string,
  sessionId: string | undefined,
): Record<string, unknown> => ({
  id: uuid(),
  source: 'sdk',
  name,
  ts: iso(ts),
  distinct_id: distinctId,
  session_id: sessionId,
  sdk: SDK,
  ...fields,
})

/** JSON.stringify that never throws (a BigInt, a throwing getter or toJSON): the JSON-safe copy instead. */
const stringify = (value: unknown): string => {
  try {
    return JSON.stringify(value)
  } catch {
    return JSON.stringify(jsonSafe(value))
  }
}

/**
 * One event as one NDJSON line; never throws. An oversized event is truncated with
 * `truncated: true`, never dropped whole: long strings are cut harder, then only its scalar
 * fields are kept.
 */
export const serialize = (event: Record<string, unknown>): string => {
  let line = stringify(event)
  for (const cap of [1024, 64]) {
    if (utf8Bytes(line) <= MAX_EVENT_BYTES) {
      return line
    }
    line = JSON.stringify({ ...(jsonSafe(event, cap) as object), truncated: true })
  }
  if (utf8Bytes(line) <= MAX_EVENT_BYTES) {
    return line
  }
  const scalars: Record<string, unknown> = { sdk: SDK, truncated: true }
  for (const k in event) {
    if (typeof event[k] != 'object') {
      scalars[k] = jsonSafe(event[k], 256)
    }
  }
  return JSON.stringify({ id: event.id, ...scalars })
}
