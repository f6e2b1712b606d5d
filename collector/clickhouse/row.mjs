// A stored event -> a row of the ClickHouse `events` table (schema.sql). Missing strings are
// '' and missing numbers NULL; the whole stored line goes in `raw` for anything else.
const str = (v) => (typeof v == 'string' ? v : '')
const num = (v) => (typeof v == 'number' && Number.isFinite(v) ? v : null)
const count = (v) => (Number.isInteger(v) && v >= 0 ? v : null)

/**
 * @param {Record<string, any>} e a stored event
 * @param {string} [raw] its stored line (without '\n'), if at hand
 */
export const rowOf = (e, raw = JSON.stringify(e)) => {
  const tsMs = Date.parse(e.ts) || 0
  const usage = e.usage && typeof e.usage == 'object' ? e.usage : {}
  return {
    project: str(e.project),
    id: str(e.id),
    name: str(e.name),
    ts_ms: tsMs,
    day: new Date(tsMs).toISOString().slice(0, 10),
    distinct_id: str(e.distinct_id),
    session_id: str(e.session_id),
    turn_id: str(e.turn_id),
    parent_span_id: str(e.parent_span_id),
    seq: count(e.seq) ?? 0,
    model: str(e.model),
    prompt_id: str(e.prompt_id),
    status: str(e.status),
    latency_ms: num(e.latency_ms),
    ttft_ms: num(e.time_to_first_token_ms),
    input_tokens: count(usage.input_tokens),
    output_tokens: count(usage.output_tokens),
    cost_usd: num(e.cost_usd),
    cost_source: str(e.cost_source),
    ui_replay_url: str(e.ui_replay_url),
    user_id: str(e.user_id),
    previous_id: str(e.previous_id),
    score: num(e.score),
    message_id: str(e.message_id),
    typing_duration_ms: num(e.typing_duration_ms),
    received_ms: Date.parse(e.received_at) || 0,
    raw,
  }
}
