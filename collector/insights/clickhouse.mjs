// Insights in ClickHouse: the same answer as embedded.mjs, computed by SQL that runs in the
// database (ClickHouse 18.16 and current: no query parameters, one JOIN per SELECT, no CTEs).
// Percentiles use quantileExact, the definition the embedded store uses, so both engines give
// the same numbers; FINAL drops rows the loader delivered twice before the table merges them.
import { CHILD_SLACK_MS, RECENT_LIMIT, USERS_LIMIT, bucketFor, bucketStarts } from './filters.mjs'
import { randomUUID } from 'node:crypto'
import { buildTimeline } from './timeline.mjs'

/** A ClickHouse string literal. */
export const quote = (s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
const int = (n) => String(Math.trunc(Number(n)))

/** Room for the incomplete-only turns' literal list (ClickHouse's default is 256 KiB). */
const SETTINGS = { max_query_size: '67108864' }

/** How far back the newest turns are looked for first. */
const RECENT_WINDOW_MS = 3 * 3600e3

/** Numbers come back as strings for 64-bit integers and as null for NaN. */
const n = (v) => (v == null || v === '' || Number.isNaN(Number(v)) ? null : Number(v))
const count = (v) => n(v) ?? 0

/**
 * The SQL of the filtered, joined turns (one row per browser turn of the range): its own
 * columns, plus its server turns' tokens and cost and its feedback (`join: false`: its own only).
 */
export const turnsSql = (table, project, { fromMs, toMs, model, promptId, user }, { join = true, incomplete = null } = {}) => {
  const base = baseSql(project, { fromMs, toMs, model, promptId, user })
  // The replay link is read only for the newest turns (join: false); strings cost most to read.
  const cols = `turn_id, ts_ms, session_id, distinct_id, model, prompt_id, status, latency_ms, ttft_ms, input_tokens, output_tokens, cost_usd${join ? '' : ', ui_replay_url'}`
  // An `incomplete` event (sent at page hide) counts only when no final event of that turn is in
  // range, and then only the newest: `incomplete` lists those [turn_id, ts_ms] (incompleteSql),
  // as literals (an IN subquery here costs a million-turn scan three times as much).
  const which =
    incomplete && incomplete.length
      ? `(status != 'incomplete' OR (turn_id, ts_ms) IN (${incomplete.map(([id, ts]) => `(${quote(id)}, ${int(ts)})`).join(', ')}))`
      : `status != 'incomplete'`
  const top = `SELECT ${cols} FROM ${table} FINAL WHERE ${base} AND ${which}`
  if (!join) {
    return top
  }
  const children = childrenSql(table, project, fromMs, '')
  const feedback = feedbackSql(table, project, fromMs, '')
  return `
    SELECT *, toUInt64(ifNull(feedback_count, 0)) AS fb_count, toUInt64(ifNull(feedback_positive, 0)) AS fb_positive FROM (
      SELECT turn_id, ts_ms, session_id, distinct_id, model, prompt_id, status, latency_ms, ttft_ms,
        ifNull(input_tokens, 0) + c_in AS tokens_in, ifNull(output_tokens, 0) + c_out AS tokens_out,
        ifNull(cost_usd, 0) + c_cost AS cost,
        toUInt64(isNull(cost_usd) AND (isNotNull(input_tokens) OR isNotNull(output_tokens))) + c_unpriced AS unpriced,
        c_count AS server_turns
      FROM (${top}) ANY LEFT JOIN (${children}) USING turn_id
    ) ANY LEFT JOIN (${feedback}) USING turn_id`
}

/** The browser turns of a range and filters. */
const baseSql = (project, { fromMs, toMs, model, promptId, user }) =>
  [
    `project = ${quote(project)}`,
    `name = 'turn'`,
    `parent_span_id = ''`,
    `ts_ms >= ${int(fromMs)}`,
    `ts_ms <= ${int(toMs)}`,
    ...(model != null ? [`model = ${quote(model)}`] : []),
    ...(promptId != null ? [`prompt_id = ${quote(promptId)}`] : []),
    ...(user != null ? [`distinct_id = ${quote(user)}`] : []),
  ].join(' AND ')

/** The incomplete-only turns of a range: [turn_id, ts_ms of the newest incomplete event]. */
export const incompleteSql = (table, project, filters) => {
  const base = baseSql(project, filters)
  return `SELECT turn_id, max(ts_ms) AS ts FROM ${table} WHERE ${base} AND turn_id IN (SELECT turn_id FROM ${table} WHERE ${base} AND status = 'incomplete')
    GROUP BY turn_id HAVING countIf(status != 'incomplete') = 0`
}

/** Server turns' counts, tokens and cost by the browser turn they continue (`and`: more conditions). */
const childrenSql = (table, project, fromMs, and) => `
    SELECT parent_span_id AS turn_id, count() AS c_count,
      sum(ifNull(input_tokens, 0)) AS c_in, sum(ifNull(output_tokens, 0)) AS c_out, sum(ifNull(cost_usd, 0)) AS c_cost,
      sum(isNull(cost_usd) AND (isNotNull(input_tokens) OR isNotNull(output_tokens))) AS c_unpriced
    FROM ${table} FINAL
    WHERE project = ${quote(project)} AND name = 'turn' AND parent_span_id != '' AND status != 'incomplete' AND ts_ms >= ${int(Math.max(0, fromMs - CHILD_SLACK_MS))}${and}
    GROUP BY parent_span_id`

/** Feedback counts by turn. */
const feedbackSql = (table, project, fromMs, and) => `
    SELECT turn_id, count() AS feedback_count, sum(ifNull(score, 0) > 0) AS feedback_positive
    FROM ${table} FINAL WHERE project = ${quote(project)} AND name = 'feedback' AND ts_ms >= ${int(Math.max(0, fromMs - CHILD_SLACK_MS))}${and}
    GROUP BY turn_id`

/** The aggregate columns shared by the headline and the model x prompt table. */
const summarySql = `count() AS turns,
  quantileExact(0.5)(latency_ms) AS latency_p50, quantileExact(0.95)(latency_ms) AS latency_p95,
  quantileExact(0.5)(ttft_ms) AS ttft_p50, quantileExact(0.95)(ttft_ms) AS ttft_p95,
  countIf(status = 'error') AS errors, countIf(status = 'aborted') AS stopped,
  sum(tokens_in) AS input_tokens, sum(tokens_out) AS output_tokens, sum(cost) AS cost_usd,
  sum(unpriced) AS unpriced_turns, sum(fb_count) AS feedback_count, sum(fb_positive) AS feedback_positive`

const summaryOf = (r) => {
  const turns = count(r.turns)
  const errors = count(r.errors)
  const stopped = count(r.stopped)
  const feedback = count(r.feedback_count)
  const positive = count(r.feedback_positive)
  return {
    turns,
    latency_p50: turns ? n(r.latency_p50) : null,
    latency_p95: turns ? n(r.latency_p95) : null,
    ttft_p50: turns ? n(r.ttft_p50) : null,
    ttft_p95: turns ? n(r.ttft_p95) : null,
    errors,
    error_rate: turns ? errors / turns : null,
    stopped,
    stopped_rate: turns ? stopped / turns : null,
    input_tokens: count(r.input_tokens),
    output_tokens: count(r.output_tokens),
    cost_usd: count(r.cost_usd),
    unpriced_turns: count(r.unpriced_turns),
    feedback_count: feedback,
    feedback_positive: positive,
    feedback_positive_share: feedback ? positive / feedback : null,
  }
}

/**
 * @param {import('@clickhouse/client').ClickHouseClient} client
 * @param {string} table `db.events`
 * @param {string} project
 * @param {ReturnType<typeof import('./filters.mjs').filtersOf>} filters
 * @param {{ timings?: Record<string, number> }} [options] query times (ms) are written here
 */
export const insightsClickHouse = async (client, table, project, filters, { timings = {} } = {}) => {
  const { fromMs = 0, toMs = Date.now() } = filters
  const f = { ...filters, fromMs, toMs }
  const rows = async (name, query, format = 'JSONEachRow') => {
    const started = performance.now()
    const result = await client.query({ query, format, clickhouse_settings: SETTINGS })
    const out = await result.json()
    timings[name] = Math.round(performance.now() - started)
    return out
  }
  const inputWhere = [
    `project = ${quote(project)}`,
    `name IN ('chat_input_started', 'chat_input_abandoned')`,
    `ts_ms >= ${int(fromMs)}`,
    `ts_ms <= ${int(toMs)}`,
    ...(f.user != null ? [`distinct_id = ${quote(f.user)}`] : []),
  ].join(' AND ')
  const open = filters.fromMs == null
  // The joined turns are computed once, into a temporary table of this request's ClickHouse
  // session; the headline, model x prompt, series and users queries then read that table
  // (one after another: a session runs one query at a time). Recent turns and input counts run
  // beside them, outside the session.
  const session_id = `lumina_insights_${randomUUID()}`
  const inSession = async (name, query, format = 'JSONEachRow') => {
    const started = performance.now()
    const out = await (await client.query({ query, format, session_id, clickhouse_settings: SETTINGS })).json()
    timings[name] = Math.round(performance.now() - started)
    return out
  }
  const [incompleteRows, [newestRow]] = await Promise.all([
    rows('incomplete', incompleteSql(table, project, f)),
    rows('newest', `SELECT max(ts_ms) AS ts, count() AS n FROM ${table} WHERE ${baseSql(project, f)}`),
  ])
  const incomplete = incompleteRows.map((r) => [r.turn_id, count(r.ts)])
  const T = turnsSql(table, project, f, { incomplete })
  const sessionWork = (async () => {
    const started = performance.now()
    await client.command({
      clickhouse_settings: SETTINGS,
      query: `CREATE TEMPORARY TABLE insights_turns ENGINE = Memory AS SELECT ts_ms, session_id, distinct_id, model, prompt_id, status, latency_ms, ttft_ms, tokens_in, tokens_out, cost, unpriced, fb_count, fb_positive FROM (${T})`,
      session_id,
    })
    timings.turns_table = Math.round(performance.now() - started)
    try {
      // The headline is the model x prompt table's TOTALS row (ClickHouse merges the groups'
      // exact states, so the percentiles stay exact).
      const groups = await inSession(
        'headline_by_model',
        `SELECT model, prompt_id, ${summarySql}, uniqExact(session_id) AS sessions, uniqExact(distinct_id) AS users,
           uniqExactIf(distinct_id, substring(distinct_id, 1, 5) != 'anon_') AS identified_users,
           min(ts_ms) AS first_ms, max(ts_ms) AS last_ms
         FROM insights_turns GROUP BY model, prompt_id WITH TOTALS ORDER BY turns DESC, model, prompt_id`,
        'JSON',
      )
      const head = groups.data.length && groups.totals ? groups.totals : { turns: 0 }
      // With an open range the chart's axis comes from the data.
      const from = open ? (count(head.turns) ? count(head.first_ms) : toMs - 86400e3) : fromMs
      const to = open && count(head.turns) ? count(head.last_ms) : toMs
      const bucketMs = bucketFor(from, to)
      const seriesRows = await inSession(
        'series',
        `SELECT intDiv(ts_ms, ${bucketMs}) * ${bucketMs} AS b, count() AS turns, countIf(status = 'error') AS errors,
           sum(cost) AS cost_usd, quantileExact(0.95)(ttft_ms) AS ttft_p95
         FROM insights_turns GROUP BY b ORDER BY b`,
      )
      const users = await inSession(
        'users',
        `SELECT distinct_id, count() AS turns, sum(cost) AS cost_usd, sum(fb_count) AS feedback_count, sum(fb_positive) AS feedback_positive, max(ts_ms) AS last_seen_ms
         FROM insights_turns GROUP BY distinct_id ORDER BY last_seen_ms DESC, distinct_id LIMIT ${USERS_LIMIT}`,
      )
      return { groups, head, series: { bucketMs, from, to, rows: seriesRows }, users }
    } finally {
      await client.command({ query: 'DROP TEMPORARY TABLE IF EXISTS insights_turns', session_id }).catch(() => {})
    }
  })()
  const [{ groups: groupsAnswer, head: h, series, users }, [inputs], recent] = await Promise.all([
    sessionWork,
    rows(
      'inputs',
      `SELECT countIf(name = 'chat_input_started') AS started, countIf(name = 'chat_input_abandoned') AS abandoned FROM ${table} FINAL WHERE ${inputWhere}`,
    ),
    recentOf(client, table, project, f, rows, incomplete, count(newestRow.n) ? count(newestRow.ts) : f.toMs),
  ])
  const groups = groupsAnswer.data
  const started = count(inputs.started)
  const abandoned = count(inputs.abandoned)
  const users_ = count(h.users)
  const identified = count(h.identified_users)
  const headline = {
    ...summaryOf(h),
    sessions: count(h.sessions),
    users: users_,
    identified_users: identified,
    anonymous_users: users_ - identified,
    inputs_started: started,
    inputs_abandoned: abandoned,
    abandonment_rate: started ? abandoned / started : null,
  }
  const t = bucketStarts(series.from, series.to, series.bucketMs)
  const byStart = new Map(series.rows.map((r) => [count(r.b), r]))
  return {
    range: { from_ms: series.from, to_ms: series.to, bucket_ms: series.bucketMs },
    headline,
    series: {
      t,
      turns: t.map((s) => count(byStart.get(s)?.turns)),
      errors: t.map((s) => count(byStart.get(s)?.errors)),
      cost_usd: t.map((s) => count(byStart.get(s)?.cost_usd)),
      ttft_p95: t.map((s) => (byStart.has(s) ? n(byStart.get(s).ttft_p95) : null)),
    },
    by_model: groups.map((g) => ({ model: g.model, prompt_id: g.prompt_id, ...summaryOf(g) })),
    recent,
    users: users.map((u) => ({
      distinct_id: u.distinct_id,
      turns: count(u.turns),
      cost_usd: count(u.cost_usd),
      feedback_count: count(u.feedback_count),
      feedback_positive: count(u.feedback_positive),
      last_seen_ms: count(u.last_seen_ms),
      identified: u.distinct_id.slice(0, 5) != 'anon_',
    })),
  }
}

/**
 * The newest turns: the unjoined turns sorted and cut to RECENT_LIMIT first, then the server
 * turns and feedback of just those (joining every turn to sort 50 of them costs seconds).
 */
const recentOf = async (client, table, project, f, rows, incomplete, newestMs) => {
  const newest = (range) =>
    `SELECT * FROM (${turnsSql(table, project, range, { join: false, incomplete })}) ORDER BY ts_ms DESC, turn_id DESC LIMIT ${RECENT_LIMIT}`
  // The last hours before the newest turn first: when they hold RECENT_LIMIT turns, those are
  // the newest of the range.
  const windowFrom = Math.max(f.fromMs, Math.min(f.toMs, newestMs) - RECENT_WINDOW_MS)
  let top = await rows('recent', newest({ ...f, fromMs: windowFrom }))
  if (top.length < RECENT_LIMIT && windowFrom > f.fromMs) {
    top = await rows('recent', newest(f))
  }
  if (!top.length) {
    return []
  }
  const ids = top.map((r) => quote(r.turn_id)).join(', ')
  // Their server turns end before they do, their feedback comes after: both near their times.
  const oldest = Math.min(...top.map((r) => count(r.ts_ms)))
  const latest = Math.max(...top.map((r) => count(r.ts_ms)))
  const [children, feedback] = await Promise.all([
    rows('recent_children', childrenSql(table, project, Math.max(f.fromMs, oldest), ` AND ts_ms <= ${int(latest)} AND parent_span_id IN (${ids})`)),
    rows('recent_feedback', feedbackSql(table, project, Math.max(f.fromMs, oldest), ` AND turn_id IN (${ids})`)),
  ])
  const childOf = new Map(children.map((c) => [c.turn_id, c]))
  const feedbackOf = new Map(feedback.map((c) => [c.turn_id, c]))
  return top.map((r) => {
    const c = childOf.get(r.turn_id)
    const fb = feedbackOf.get(r.turn_id)
    const own = n(r.cost_usd)
    const ownUnpriced = own == null && (n(r.input_tokens) != null || n(r.output_tokens) != null) ? 1 : 0
    return {
      ts_ms: count(r.ts_ms),
      turn_id: r.turn_id,
      session_id: r.session_id,
      distinct_id: r.distinct_id,
      model: r.model,
      prompt_id: r.prompt_id,
      status: r.status,
      ttft_ms: n(r.ttft_ms),
      latency_ms: n(r.latency_ms),
      input_tokens: count(r.input_tokens) + (c ? count(c.c_in) : 0),
      output_tokens: count(r.output_tokens) + (c ? count(c.c_out) : 0),
      cost_usd: (own ?? 0) + (c ? count(c.c_cost) : 0),
      unpriced: ownUnpriced + (c ? count(c.c_unpriced) : 0),
      server_turns: c ? count(c.c_count) : 0,
      feedback_count: fb ? count(fb.feedback_count) : 0,
      feedback_positive: fb ? count(fb.feedback_positive) : 0,
      ui_replay_url: r.ui_replay_url,
    }
  })
}

/**
 * A session's timeline from ClickHouse: its events' stored lines, and the feedback on its turns,
 * a day either side of `aroundMs` as in the embedded store. Without FINAL (which would read every
 * row's `raw`): the few rows are deduplicated by id here.
 */
export const timelineClickHouse = async (client, table, project, sessionId, aroundMs) => {
  const p = quote(project)
  const s = quote(sessionId)
  const near = aroundMs != null ? ` AND ts_ms >= ${int(Math.max(0, aroundMs - 86400e3))} AND ts_ms < ${int(aroundMs + 86400e3)}` : ''
  const query = `SELECT id, raw FROM ${table}
    PREWHERE session_id = ${s} OR (name = 'feedback' AND turn_id IN (SELECT turn_id FROM ${table} WHERE project = ${p} AND name = 'turn' AND session_id = ${s}${near}))
    WHERE project = ${p}${near}`
  const result = await client.query({ query, format: 'JSONEachRow' })
  const rows = await result.json()
  const seen = new Set()
  const events = []
  for (const r of rows) {
    if (seen.has(r.id)) {
      continue
    }
    seen.add(r.id)
    try {
      events.push(JSON.parse(r.raw))
    } catch {} // a raw line that is not JSON cannot be shown
  }
  return buildTimeline(sessionId, events)
}
