// One batch in: NDJSON text -> the events to store (with the ingest's fields) and the lines
// rejected, each with its reason and text (kept in the quarantine). The response names the
// rejected lines, capped so a hostile body cannot make a large answer.
import { costOf } from './pricing.mjs'
import { firstError, validate } from './validate.mjs'

/** At most this many rejected lines are listed in a response; `rejected_count` has them all. */
export const REPORT_MAX = 100

/**
 * @param {string} text the body
 * @param {{ project: string, receivedMs: number }} ctx
 * @returns {{ events: Record<string, any>[], rejected: { line: number, error: string, text: string }[], lines: number }}
 */
export const parseBatch = (text, { project, receivedMs }) => {
  const receivedAt = new Date(receivedMs).toISOString()
  const headOf = (id) => `{"id":"${id}","project":${JSON.stringify(project)},"received_at":"${receivedAt}"`
  const events = []
  const rejected = []
  let lines = 0
  let lineNo = 0
  let start = text.charCodeAt(0) == 0xfeff ? 1 : 0
  while (start <= text.length) {
    let nl = text.indexOf('\n', start)
    if (nl < 0) {
      nl = text.length
    }
    lineNo++
    let end = nl
    if (end > start && text.charCodeAt(end - 1) == 13) {
      end--
    }
    const raw = text.slice(start, end)
    start = nl + 1
    if (raw.charCodeAt(0) != 123 && !raw.trim()) {
      continue
    } // '{' starts every line worth parsing
    lines++
    let event
    try {
      event = JSON.parse(raw)
    } catch {
      rejected.push({ line: lineNo, error: 'not JSON', text: raw })
      continue
    }
    if (!validate(event)) {
      rejected.push({ line: lineNo, error: firstError(), text: raw })
      continue
    }
    const cost = event.name == 'turn' ? costOf(event) : null
    const spliced = storedLine(raw, event, headOf(event.id), cost)
    if (spliced) {
      // the line is the SDK's text spliced; the object just gains the same fields
      event.project = project
      event.received_at = receivedAt
      if (cost) {
        Object.assign(event, cost)
      }
      lineCache.set(event, spliced)
      events.push(event)
      continue
    }
    // `id`, `project`, `received_at` first: the store reads the id at a fixed offset
    const stored = { id: event.id, project, received_at: receivedAt, ...event }
    stored.project = project // a line cannot claim another project
    stored.received_at = receivedAt
    if (cost) {
      Object.assign(stored, cost)
    }
    events.push(stored)
  }
  return { events, rejected, lines }
}

/** The stored text of events built by parseBatch, so the store need not stringify them again. */
const lineCache = new WeakMap()
const OWN_FIELDS = /"(project|received_at|cost_usd|cost_source)":/

/**
 * The stored line, spliced from the SDK's own text when it starts with its id (as the SDK
 * writes it) and names none of the fields we add: `{"id":…,"project":…,"received_at":…` + the
 * rest of the line (+ the cost fields). A third of the ingest's CPU was this JSON.stringify.
 * Returns undefined when the line must be built by JSON.stringify.
 */
const storedLine = (raw, event, head, cost) => {
  if (raw.charCodeAt(raw.length - 1) != 125 || !raw.startsWith('{"id":"') || raw.charCodeAt(43) != 34 || raw.charCodeAt(44) != 44) {
    return undefined
  }
  if (raw.slice(7, 43) !== event.id || OWN_FIELDS.test(raw)) {
    return undefined
  }
  const tail = cost
    ? `${raw.slice(44, -1)},"cost_usd":${JSON.stringify(cost.cost_usd)},"cost_source":${JSON.stringify(cost.cost_source)}}`
    : raw.slice(44)
  return head + tail
}

/**
 * The NDJSON line of a stored event (without '\n').
 * @param {Record<string, any>} e
 */
export const lineOf = (e) => lineCache.get(e) || JSON.stringify(e)

/**
 * The response body for a batch: counts, and the first REPORT_MAX rejected lines.
 * @param {{ accepted: number, duplicates: number, rejected: { line: number, error: string }[] }} r
 */
export const report = ({ accepted, duplicates, rejected }) => {
  const body = {
    accepted,
    duplicates,
    rejected: rejected.slice(0, REPORT_MAX).map((r) => ({ line: r.line, error: r.error })),
    rejected_count: rejected.length,
  }
  if (rejected.length > REPORT_MAX) {
    body.rejected_truncated = true
  }
  return body
}
