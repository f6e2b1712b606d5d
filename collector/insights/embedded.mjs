// Insights over the embedded store: one pass of store.scan() builds the range's turns (one per
// turn_id, the final event over an `incomplete` one), the server turns under them, feedback and
// chat-input counts; the answer is then computed in memory. Memory grows with the turns in the
// range (about 200 B each); past a few million turns, use ClickHouse.
import { CHILD_SLACK_MS, RECENT_LIMIT, USERS_LIMIT, bucketFor, bucketStarts, percentile } from './filters.mjs'

const num = (v) => (typeof v == 'number' && Number.isFinite(v) ? v : null)
const str = (v) => (typeof v == 'string' ? v : '')

/** The columns of a turn, as the ClickHouse table has them. */
export const turnRow = (e) => ({
  turn_id: str(e.turn_id),
  ts_ms: Date.parse(e.ts),
  session_id: str(e.session_id),
  distinct_id: str(e.distinct_id),
  model: str(e.model),
  prompt_id: str(e.prompt_id),
  status: str(e.status),
  latency_ms: num(e.latency_ms),
  ttft_ms: num(e.time_to_first_token_ms),
  input_tokens: num(e.usage?.input_tokens),
  output_tokens: num(e.usage?.output_tokens),
  cost_usd: num(e.cost_usd),
  ui_replay_url: str(e.ui_replay_url),
})

/** A turn with token usage but no price (an unknown model): the page says "unpriced". */
const unpriced = (row) => row.cost_usd == null && (row.input_tokens != null || row.output_tokens != null)

const sortedOf = (values) => Float64Array.from(values).sort()

/** Percentiles, rates and sums of a group of joined turns. */
const summarize = (turns) => {
  const latencies = []
  const ttfts = []
  let errors = 0
  let stopped = 0
  let inputTokens = 0
  let outputTokens = 0
  let cost = 0
  let unpricedTurns = 0
  let feedback = 0
  let positive = 0
  for (const t of turns) {
    if (t.latency_ms != null) {
      latencies.push(t.latency_ms)
    }
    if (t.ttft_ms != null) {
      ttfts.push(t.ttft_ms)
    }
    if (t.status == 'error') {
      errors++
    }
    if (t.status == 'aborted') {
      stopped++
    }
    inputTokens += t.tokens_in
    outputTokens += t.tokens_out
    cost += t.cost
    unpricedTurns += t.unpriced
    feedback += t.feedback_count
    positive += t.feedback_positive
  }
  const lat = sortedOf(latencies)
  const ttft = sortedOf(ttfts)
  const n = turns.length
  return {
    turns: n,
    latency_p50: percentile(lat, 0.5),
    latency_p95: percentile(lat, 0.95),
    ttft_p50: percentile(ttft, 0.5),
    ttft_p95: percentile(ttft, 0.95),
    errors,
    error_rate: n ? errors / n : null,
    stopped,
    stopped_rate: n ? stopped / n : null,
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cost_usd: cost,
    unpriced_turns: unpricedTurns,
    feedback_count: feedback,
    feedback_positive: positive,
    feedback_positive_share: feedback ? positive / feedback : null,
  }
}

/**
 * @param {{ scan(q: { project: string, sinceMs?: number, untilMs?: number }): AsyncIterable<any> }} store
 * @param {string} project
 * @param {ReturnType<typeof import('./filters.mjs').filtersOf>} filters
 */
export const insightsEmbedded = async (store, project, filters) => {
  const { fromMs = 0, toMs = Date.now(), model, promptId, user } = filters
  /** Top-level turns in the range that pass the filters, by turn_id. */
  const top = new Map()
  /** Server turns (parent_span_id set), by turn_id. */
  const children = new Map()
  /** Feedback by turn_id: { count, positive }. */
  const feedback = new Map()
  let inputsStarted = 0
  let inputsAbandoned = 0
  const inRange = (ts) => ts >= fromMs && ts <= toMs
  for await (const e of store.scan({ project, sinceMs: Math.max(0, fromMs - CHILD_SLACK_MS) })) {
    if (e.name == 'turn') {
      const row = turnRow(e)
      if (row.status == 'incomplete' && e.parent_span_id) {
        continue
      }
      if (e.parent_span_id) {
        children.set(row.turn_id, { parent: str(e.parent_span_id), row })
        continue
      }
      if (!inRange(row.ts_ms)) {
        continue
      }
      if (model != null && row.model != model) {
        continue
      }
      if (promptId != null && row.prompt_id != promptId) {
        continue
      }
      if (user != null && row.distinct_id != user) {
        continue
      }
      const prev = top.get(row.turn_id)
      // The final event wins over the `incomplete` one sent at page hide.
      if (!prev || prev.status == 'incomplete') {
        top.set(row.turn_id, row)
      }
    } else if (e.name == 'feedback' && e.turn_id) {
      const f = feedback.get(e.turn_id) || { count: 0, positive: 0 }
      f.count++
      if (e.score > 0) {
        f.positive++
      }
      feedback.set(e.turn_id, f)
    } else if (e.name == 'chat_input_started' || e.name == 'chat_input_abandoned') {
      const ts = Date.parse(e.ts)
      if (!inRange(ts) || (user != null && e.distinct_id != user)) {
        continue
      }
      if (e.name == 'chat_input_started') {
        inputsStarted++
      } else {
        inputsAbandoned++
      }
    }
  }
  // Join: each browser turn gets its server turns' tokens and cost, and its feedback.
  const under = new Map()
  for (const { parent, row } of children.values()) {
    const agg = under.get(parent) || { count: 0, tokens_in: 0, tokens_out: 0, cost: 0, unpriced: 0 }
    agg.count++
    agg.tokens_in += row.input_tokens ?? 0
    agg.tokens_out += row.output_tokens ?? 0
    agg.cost += row.cost_usd ?? 0
    agg.unpriced += unpriced(row) ? 1 : 0
    under.set(parent, agg)
  }
  const turns = []
  for (const row of top.values()) {
    // joined fields written onto the row itself: one object per turn, not two
    const child = under.get(row.turn_id)
    const fb = feedback.get(row.turn_id)
    row.server_turns = child ? child.count : 0
    row.tokens_in = (row.input_tokens ?? 0) + (child ? child.tokens_in : 0)
    row.tokens_out = (row.output_tokens ?? 0) + (child ? child.tokens_out : 0)
    row.cost = (row.cost_usd ?? 0) + (child ? child.cost : 0)
    row.unpriced = (unpriced(row) ? 1 : 0) + (child ? child.unpriced : 0)
    row.feedback_count = fb ? fb.count : 0
    row.feedback_positive = fb ? fb.positive : 0
    turns.push(row)
  }
  return assemble(turns, { fromMs, toMs, inputsStarted, inputsAbandoned, open: filters.fromMs == null })
}

/** Everything the page shows, from the joined turns. */
const assemble = (turns, { fromMs, toMs, inputsStarted, inputsAbandoned, open }) => {
  const sessions = new Set()
  const users = new Map()
  const groups = new Map()
  let first = Infinity
  let last = -Infinity
  for (const t of turns) {
    sessions.add(t.session_id)
    if (t.ts_ms < first) {
      first = t.ts_ms
    }
    if (t.ts_ms > last) {
      last = t.ts_ms
    }
    const u = users.get(t.distinct_id) || {
      distinct_id: t.distinct_id,
      turns: 0,
      cost_usd: 0,
      feedback_count: 0,
      feedback_positive: 0,
      last_seen_ms: 0,
    }
    u.turns++
    u.cost_usd += t.cost
    u.feedback_count += t.feedback_count
    u.feedback_positive += t.feedback_positive
    if (t.ts_ms > u.last_seen_ms) {
      u.last_seen_ms = t.ts_ms
    }
    users.set(t.distinct_id, u)
    const key = t.model + '\u0000' + t.prompt_id
    const g = groups.get(key) || { model: t.model, prompt_id: t.prompt_id, turns: [] }
    g.turns.push(t)
    groups.set(key, g)
  }
  // An open range spans the data; with no data, the last day before `to`.
  const rangeFrom = open ? (turns.length ? first : toMs - 86400e3) : fromMs
  const rangeTo = open && turns.length ? last : toMs
  const identified = [...users.keys()].filter((id) => !id.startsWith('anon_')).length
  const head = summarize(turns)
  const headline = {
    ...head,
    sessions: sessions.size,
    users: users.size,
    identified_users: identified,
    anonymous_users: users.size - identified,
    inputs_started: inputsStarted,
    inputs_abandoned: inputsAbandoned,
    abandonment_rate: inputsStarted ? inputsAbandoned / inputsStarted : null,
  }
  const bucketMs = bucketFor(rangeFrom, rangeTo)
  const t = bucketStarts(rangeFrom, rangeTo, bucketMs)
  const base = t.length ? t[0] : 0
  const perBucket = t.map(() => ({ turns: 0, errors: 0, cost: 0, ttfts: [] }))
  for (const turn of turns) {
    const b = perBucket[Math.floor((turn.ts_ms - base) / bucketMs)]
    if (!b) {
      continue
    }
    b.turns++
    if (turn.status == 'error') {
      b.errors++
    }
    b.cost += turn.cost
    if (turn.ttft_ms != null) {
      b.ttfts.push(turn.ttft_ms)
    }
  }
  const series = {
    t,
    turns: perBucket.map((b) => b.turns),
    errors: perBucket.map((b) => b.errors),
    cost_usd: perBucket.map((b) => b.cost),
    ttft_p95: perBucket.map((b) => percentile(sortedOf(b.ttfts), 0.95)),
  }
  const byModel = [...groups.values()]
    .map((g) => ({ model: g.model, prompt_id: g.prompt_id, ...summarize(g.turns) }))
    .sort((a, b) => b.turns - a.turns || cmp(a.model, b.model) || cmp(a.prompt_id, b.prompt_id))
  const recent = newest(turns, RECENT_LIMIT).map(recentOf)
  const userRows = [...users.values()]
    .sort((a, b) => b.last_seen_ms - a.last_seen_ms || cmp(a.distinct_id, b.distinct_id))
    .slice(0, USERS_LIMIT)
    .map((u) => ({ ...u, identified: !u.distinct_id.startsWith('anon_') }))
  return { range: { from_ms: rangeFrom, to_ms: rangeTo, bucket_ms: bucketMs }, headline, series, by_model: byModel, recent, users: userRows }
}

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0)
const newer = (a, b) => b.ts_ms - a.ts_ms || cmp(b.turn_id, a.turn_id)

/** The `limit` newest turns, newest first, in one pass (no sort of every turn). */
const newest = (turns, limit) => {
  const top = []
  for (const t of turns) {
    if (top.length == limit && newer(t, top[limit - 1]) >= 0) {
      continue
    }
    let i = top.length
    while (i > 0 && newer(t, top[i - 1]) < 0) {
      i--
    }
    top.splice(i, 0, t)
    if (top.length > limit) {
      top.pop()
    }
  }
  return top
}

const recentOf = (t) => ({
  ts_ms: t.ts_ms,
  turn_id: t.turn_id,
  session_id: t.session_id,
  distinct_id: t.distinct_id,
  model: t.model,
  prompt_id: t.prompt_id,
  status: t.status,
  ttft_ms: t.ttft_ms,
  latency_ms: t.latency_ms,
  input_tokens: t.tokens_in,
  output_tokens: t.tokens_out,
  cost_usd: t.cost,
  unpriced: t.unpriced,
  server_turns: t.server_turns,
  feedback_count: t.feedback_count,
  feedback_positive: t.feedback_positive,
  ui_replay_url: t.ui_replay_url,
})
