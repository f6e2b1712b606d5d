/**
 * Reading a browser turn's trace context from an incoming request's headers: W3C
 * `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header) and W3C `baggage`
 * (https://www.w3.org/TR/baggage/) carrying `lumina.distinct_id`, `lumina.session_id` and
 * `lumina.seq`. Server only: the browser writes these headers (`turn.headers()`), never reads them.
 */

/** A Node `IncomingHttpHeaders`, a Fetch `Headers`, or a plain object of header names to values. */
export type HeadersLike = { get(name: string): string | null } | Record<string, string | string[] | number | undefined | null>

/** What a request carries over from the browser turn that sent it. */
export interface Continued {
  /** The browser session's trace id: the server session continues it. */
  traceId?: string
  /** The browser turn's span id: each server turn's `parent_span_id`. */
  parentSpanId?: string
  /** The browser's distinct id (a hint the client sent: identify the signed-in user on the server). */
  distinctId?: string
  /** The browser turn's `seq` within its session. */
  seq?: number
}

/** Baggage keys written by the browser's `turn.headers()`. */
export const BAGGAGE_DISTINCT_ID = 'lumina.distinct_id'
export const BAGGAGE_SESSION_ID = 'lumina.session_id'
export const BAGGAGE_SEQ = 'lumina.seq'

/** W3C limits on a baggage header: 180 members, 4096 bytes a member, 8192 in all. */
const MAX_MEMBERS = 180
const MAX_MEMBER_BYTES = 4096
const MAX_BAGGAGE_BYTES = 8192
/** The schema's longest distinct id. */
const MAX_DISTINCT_ID = 400

/**
 * Version (never `ff`), trace id and parent id (never all zeros), flags; a future version may
 * append `-…` fields, version 00 may not (W3C Trace Context, "Versioning of traceparent").
 */
const TRACEPARENT = /^\s?((?!ff)[0-9a-f]{2})-((?!0{32})[0-9a-f]{32})-((?!0{16})[0-9a-f]{16})-[0-9a-f]{2}(-.*)?\s?$/

/** Every value of one header, whatever the container: Fetch `Headers`, Node's lowercase object, or any-case keys. */
const valuesOf = (headers: HeadersLike, name: string): string[] => {
  if (typeof (headers as { get?: unknown }).get == 'function') {
    const value = (headers as { get(name: string): string | null }).get(name)
    return value == null ? [] : [value]
  }
  const record = headers as Record<string, unknown>
  let value = record[name]
  if (value === undefined) {
    for (const key in record) {
      if (key.toLowerCase() == name) {
        value = record[key]
      }
    }
  }
  if (Array.isArray(value)) {
    return value.map(String)
  }
  return value == null ? [] : [String(value)]
}

/** The trace id and parent span id of a valid traceparent (the first, when there are several), or undefined. */
export const parseTraceparent = (headers: HeadersLike): { traceId: string; parentSpanId: string } | undefined => {
  const match = TRACEPARENT.exec(valuesOf(headers, 'traceparent')[0] || '')
  if (!match || (match[1] == '00' && match[4])) {
    return undefined
  }
  return { traceId: match[2], parentSpanId: match[3] }
}

/**
 * The baggage members as key → value (percent-decoded; properties after `;` ignored), all
 * `baggage` headers together, within the W3C limits (members beyond them are left out).
 */
export const parseBaggage = (headers: HeadersLike): Record<string, string> => {
  const members: Record<string, string> = {}
  let count = 0
  let total = 0
  for (const header of valuesOf(headers, 'baggage')) {
    for (const member of header.split(',')) {
      if (count >= MAX_MEMBERS) {
        return members
      }
      if (member.length > MAX_MEMBER_BYTES) {
        continue
      }
      const pair = member.split(';')[0]
      const eq = pair.indexOf('=')
      const key = pair.slice(0, eq).trim()
      const raw = pair.slice(eq + 1).trim()
      if (eq < 1 || !key || !raw) {
        continue
      }
      let value: string
      try {
        value = decodeURIComponent(raw)
      } catch {
        continue // malformed percent-encoding: this member only
      }
      const size = (count ? 1 : 0) + member.length
      if (total + size > MAX_BAGGAGE_BYTES) {
        return members
      }
      let name: string
      try {
        name = decodeURIComponent(key)
      } catch {
        continue
      }
      members[name] = value
      count++
      total += size
    }
  }
  return members
}

/**
 * What a request continues from the browser turn that sent it. A malformed or absent
 * traceparent continues nothing of the trace (a fresh one starts); the baggage's
 * session id must be that trace's, its seq a positive integer, its distinct id a
 * non-empty string of at most 400 characters, or each is ignored.
 */
export const continuedFrom = (headers: HeadersLike | unknown): Continued => {
  if (!headers || typeof headers != 'object') {
    return {}
  }
  const trace = parseTraceparent(headers as HeadersLike)
  const baggage = parseBaggage(headers as HeadersLike)
  const continued: Continued = {}
  const distinctId = baggage[BAGGAGE_DISTINCT_ID]
  if (distinctId && distinctId.length <= MAX_DISTINCT_ID) {
    continued.distinctId = distinctId
  }
  if (trace) {
    continued.traceId = trace.traceId
    continued.parentSpanId = trace.parentSpanId
    const session = baggage[BAGGAGE_SESSION_ID]
    const seq = Number(baggage[BAGGAGE_SEQ])
    if ((!session || session == trace.traceId) && Number.isSafeInteger(seq) && seq > 0) {
      continued.seq = seq
    }
  }
  return continued
}
