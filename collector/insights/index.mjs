// The insights query: one function, one JSON answer, from whichever engine the collector has —
// ClickHouse when configured (the queries run there), else the embedded store's scan().
import { insightsClickHouse, timelineClickHouse } from './clickhouse.mjs'
import { insightsEmbedded } from './embedded.mjs'
import { timelineEmbedded } from './timeline.mjs'

export { filtersOf } from './filters.mjs'

/**
 * @typedef {{ project: string, store?: { scan(q: object): AsyncIterable<any> }, clickhouse?: any, table?: string }} InsightsCtx
 */

/**
 * Everything the insights page shows for a project and filters: headline numbers, charts'
 * series, the model x prompt table, recent turns and users.
 * @param {InsightsCtx} ctx
 * @param {ReturnType<typeof import('./filters.mjs').filtersOf>} filters
 * @example const data = await queryInsights({ project: 'demo', store }, filtersOf(url.searchParams))
 */
export const queryInsights = async (ctx, filters) => {
  const started = performance.now()
  const timings = {}
  const engine = ctx.clickhouse ? 'clickhouse' : 'embedded'
  const data = ctx.clickhouse
    ? await insightsClickHouse(ctx.clickhouse, ctx.table || 'lumina.events', ctx.project, filters, { timings })
    : await insightsEmbedded(ctx.store, ctx.project, filters)
  timings.total = Math.round(performance.now() - started)
  return { engine, project: ctx.project, filters, ...data, timings }
}

/**
 * One session's timeline. `aroundMs` (a turn's time) bounds it to a day either side (the
 * embedded store then reads that instead of the whole store).
 * @param {InsightsCtx} ctx
 * @param {string} sessionId
 * @param {number} [aroundMs]
 */
export const querySession = (ctx, sessionId, aroundMs) =>
  ctx.clickhouse
    ? timelineClickHouse(ctx.clickhouse, ctx.table || 'lumina.events', ctx.project, sessionId, aroundMs)
    : timelineEmbedded(ctx.store, ctx.project, sessionId, aroundMs)
