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

/** A field as JSON can encode it: the value itself, else its JSON-safe copy, else nothing (a getter or Proxy that throws). */
const safeField = (value: unknown): unknown => {
  try {
    JSON.stringify(value)
    return value
  } catch {}
  const copy = jsonSafe(value)
  return copy === '[unserializable]' ? undefined : copy
}

/**
 * JSON.stringify that never throws (a BigInt, a cycle, a throwing getter, toJSON or Proxy in an
 * option): field by field, each bad field replaced by its JSON-safe copy or left out, so one
 * bad value never costs the event, and one bad event never stops the others.
 */
const stringify = (event: Record<string, unknown>): string => {
  try {
    return JSON.stringify(event)
  } catch {}
  const copy: Record<string, unknown> = {}
  for (const k of Object.keys(event)) {
    try {
      copy[k] = safeField(event[k])
    } catch {}
  }
  try {
    return JSON.stringify(copy)
  } catch {
    // a value that encoded once and then threw (a hostile getter): the envelope alone
    return JSON.stringify({
      id: event.id,
      source: 'sdk',
      name: String(event.name),
      ts: event.ts,
      distinct_id: String(event.distinct_id),
      sdk: SDK,
      truncated: true,
    })
  }
}

/**
 * One event as one NDJSON line, a JSON object with its id first; never throws. An oversized
 * event is truncated with `truncated: true`, never dropped whole: long strings are cut harder,
 * then only its scalar fields are kept.
 */
export const serialize = (event: Record<string, unknown>): string => {
  let line = stringify(event)
  if (utf8Bytes(line) <= MAX_EVENT_BYTES) {
    return line
  }
  const parsed = JSON.parse(line)
  for (const cap of [1024, 64]) {
    line = JSON.stringify({ ...jsonSafe(parsed, cap), truncated: true })
    if (utf8Bytes(line) <= MAX_EVENT_BYTES) {
      return line
    }
  }
  const scalars: Record<string, unknown> = { id: parsed.id, sdk: SDK, truncated: true }
  for (const k in parsed) {
    if (typeof parsed[k] != 'object') {
      scalars[k] = jsonSafe(parsed[k], 256)
    }
  }
  return JSON.stringify(scalars)
}
