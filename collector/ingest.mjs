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
  const events = []
  const rejected = []
  let lines = 0
  let lineNo = 0
  let start = text.charCodeAt(0) == 0xfeff ? 1 : 0
  while (start <= text.length) {
    let nl = text.indexOf('\n', start)
    if (nl < 0) nl = text.length
    lineNo++
    let end = nl
    if (end > start && text.charCodeAt(end - 1) == 13) end--
    const raw = text.slice(start, end)
    start = nl + 1
    if (!raw.trim()) continue
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
    // `id`, `project`, `received_at` first: the store reads the id at a fixed offset
    const stored = { id: event.id, project, received_at: receivedAt, ...event }
    stored.project = project // a line cannot claim another project
    stored.received_at = receivedAt
    if (event.name == 'turn') Object.assign(stored, costOf(event))
    events.push(stored)
  }
  return { events, rejected, lines }
}

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
  if (rejected.length > REPORT_MAX) body.rejected_truncated = true
  return body
}
