import { describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error plain ESM module without types
import { queryInsights, querySession } from '../../collector/insights/index.mjs'
// @ts-expect-error plain ESM module without types
import { filtersOf, percentile, bucketFor } from '../../collector/insights/filters.mjs'
// @ts-expect-error plain ESM module without types
import { quote } from '../../collector/insights/clickhouse.mjs'
// @ts-expect-error plain ESM module without types
import { insightsRoute } from '../../collector/insights/routes.mjs'
// @ts-expect-error plain ESM module without types
import { startCollectorServer } from '../../collector/main.mjs'

const T0 = Date.UTC(2026, 10, 20, 12)
let n = 0
const ev = (name: string, at: number, fields: Record<string, unknown> = {}) => ({
  id: `00000000-0000-4000-a000-${String(++n).padStart(12, '0')}`,
  project: 'p1',
  received_at: new Date(T0 + at + 100).toISOString(),
  source: 'sdk',
  name,
  ts: new Date(T0 + at).toISOString(),
  distinct_id: 'anon_a',
  session_id: 's1',
  sdk: { name: 'luminasdk', version: '0.1.0' },
  ...fields,
})
const turn = (at: number, turn_id: string, fields: Record<string, unknown> = {}) =>
  ev('turn', at, {
    turn_id,
    seq: 1,
    model: 'm1',
    prompt_id: 'p',
    status: 'ok',
    latency_ms: 1000,
    started_at: new Date(T0 + at - 1000).toISOString(),
    ...fields,
  })
const storeOf = (events: object[]) => ({
  async *scan({ project, sinceMs = -Infinity }: { project: string; sinceMs?: number }) {
    for (const e of events as any[]) {
      if (e.project == project && Date.parse(e.ts) >= sinceMs) {
        yield e
      }
    }
  },
})
const all = { fromMs: T0 - 86400e3, toMs: T0 + 86400e3 }

describe('insights over the embedded store', () => {
  it('counts a turn once when its incomplete event (page hide) is followed by the final one', async () => {
    const store = storeOf([
      turn(0, 'a', { status: 'incomplete', latency_ms: 400 }),
      turn(1000, 'a', { latency_ms: 1400 }),
      turn(2000, 'b', { status: 'incomplete' }),
    ])
    const r = await queryInsights({ project: 'p1', store }, all)
    expect(r.headline.turns).toBe(2)
    expect(r.recent.map((t: any) => [t.turn_id, t.status, t.latency_ms])).toEqual([
      ['b', 'incomplete', 1000],
      ['a', 'ok', 1400],
    ])
  })

  it('joins server turns under their browser turn: tokens and cost added, not counted as turns', async () => {
    const store = storeOf([
      turn(0, 'b1', { time_to_first_token_ms: 300 }),
      turn(-20, 's1', { parent_span_id: 'b1', usage: { input_tokens: 10, output_tokens: 5 }, cost_usd: 0.25 }),
      turn(-10, 's2', { parent_span_id: 'b1', model: 'unknown', usage: { input_tokens: 1, output_tokens: 1 }, cost_usd: null }),
    ])
    const r = await queryInsights({ project: 'p1', store }, all)
    expect(r.headline).toMatchObject({ turns: 1, input_tokens: 11, output_tokens: 6, cost_usd: 0.25, unpriced_turns: 1, ttft_p50: 300 })
    expect(r.recent[0]).toMatchObject({ turn_id: 'b1', server_turns: 2, cost_usd: 0.25, unpriced: 1 })
    const s = await querySession({ project: 'p1', store }, 's1')
    expect(s.items).toHaveLength(1)
    expect(s.items[0].server_turns.map((t: any) => t.turn_id)).toEqual(['s1', 's2'])
  })

  it('rates: errors, stopped streams, abandoned inputs and positive feedback', async () => {
    const store = storeOf([
      ev('chat_input_started', 0),
      ev('chat_input_abandoned', 100),
      ev('chat_input_started', 200),
      ev('chat_input_started', 300),
      turn(1000, 't1'),
      turn(2000, 't2', { status: 'aborted', output_characters: 12 }),
      turn(3000, 't3', { status: 'error', error: { type: 'E', message: 'x' } }),
      turn(4000, 't4'),
      ev('feedback', 5000, { turn_id: 't1', score: 1 }),
      ev('feedback', 5000, { turn_id: 't2', score: -1 }),
      ev('feedback', 5000, { turn_id: 't4', score: 1 }),
      ev('feedback', 5000, { turn_id: 'not-stored', score: 1 }),
    ])
    const { headline } = await queryInsights({ project: 'p1', store }, all)
    expect(headline).toMatchObject({ turns: 4, errors: 1, error_rate: 0.25, stopped: 1, stopped_rate: 0.25 })
    expect(headline).toMatchObject({ inputs_started: 3, inputs_abandoned: 1, abandonment_rate: 1 / 3 })
    expect(headline).toMatchObject({ feedback_count: 3, feedback_positive: 2, feedback_positive_share: 2 / 3 })
  })

  it('filters by time range, model, prompt id and user; another project is never read', async () => {
    const store = storeOf([
      turn(0, 'a', { model: 'm1', prompt_id: 'x', distinct_id: 'ada' }),
      turn(10, 'b', { model: 'm2', prompt_id: 'x' }),
      turn(20, 'c', { model: 'm1', prompt_id: 'y' }),
      turn(3 * 86400e3, 'late'),
      { ...turn(30, 'other'), project: 'p2' },
    ])
    const ids = async (f: object) => (await queryInsights({ project: 'p1', store }, { ...all, ...f })).recent.map((t: any) => t.turn_id).sort()
    expect(await ids({})).toEqual(['a', 'b', 'c'])
    expect(await ids({ model: 'm1' })).toEqual(['a', 'c'])
    expect(await ids({ promptId: 'x' })).toEqual(['a', 'b'])
    expect(await ids({ user: 'ada' })).toEqual(['a'])
    expect(await ids({ fromMs: T0 + 5, toMs: T0 + 15 })).toEqual(['b'])
  })

  it('percentiles are ClickHouse quantileExact: the element at floor(level * n) of the sorted values', () => {
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 0.5)).toBe(3)
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 0.95)).toBe(4)
    expect(percentile(Float64Array.from([5]), 0.5)).toBe(5)
    expect(percentile(new Float64Array(0), 0.5)).toBe(null)
    expect(bucketFor(0, 3600e3)).toBe(60e3)
    expect(bucketFor(0, 7 * 86400e3)).toBe(3 * 3600e3)
  })

  it('reads filters from the URL (epoch ms or ISO) and quotes strings for SQL', () => {
    expect(filtersOf(new URLSearchParams('from=1000&to=2026-11-20T00:00:00Z&model=m&prompt_id=p&user=u'))).toEqual({
      fromMs: 1000,
      toMs: Date.UTC(2026, 10, 20),
      model: 'm',
      promptId: 'p',
      user: 'u',
    })
    expect(filtersOf(new URLSearchParams('from=yesterday'))).toEqual({})
    expect(quote("a'b\\c")).toBe("'a\\'b\\\\c'")
  })

  it('the timeline orders input, submit, turn (at its start), feedback, and shows abandoned inputs', async () => {
    const store = storeOf([
      ev('chat_input_started', 0),
      ev('chat_input_abandoned', 500, { typing_duration_ms: 400, character_count: 9 }),
      ev('chat_input_started', 1000),
      ev('chat_message_submitted', 2000, { typing_duration_ms: 1000, message_id: 'm' }),
      turn(4000, 't1', { latency_ms: 1900, started_at: new Date(T0 + 2100).toISOString(), messages: [{ role: 'user', content: 'hi' }] }),
      ev('feedback', 6000, { turn_id: 't1', score: 1, session_id: 'another-session-after-reload' }),
      ev('turn', 100, { session_id: 's2', turn_id: 'x' }),
    ])
    const s = await querySession({ project: 'p1', store }, 's1')
    expect(s.items.map((i: any) => i.kind)).toEqual(['input_started', 'abandoned', 'input_started', 'submitted', 'turn', 'feedback'])
    expect(s.items[4].messages).toEqual([{ role: 'user', content: 'hi' }])
  })
})

describe('insights routes, in the collector', () => {
  it('need the read key of the project: 401 without, 403 with a write key, only its own events; the page, its assets and the API with it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lumina-insights-routes-'))
    const server = await startCollectorServer({
      port: 0,
      dataDir,
      keys: [
        { project: 'p1', writeKey: 'wk_1', readKey: 'rk_1' },
        { project: 'p2', writeKey: 'wk_2', readKey: 'rk_2' },
      ],
      routes: [insightsRoute],
    })
    try {
      const now = Date.now()
      const line = (turn_id: string) => {
        const {
          project: _,
          received_at: __,
          ...sdkLine
        } = turn(0, turn_id, {
          ts: new Date(now).toISOString(),
          started_at: new Date(now - 1000).toISOString(),
          ended_at: new Date(now).toISOString(),
          traceparent: `00-${'a'.repeat(32)}-${turn_id}-01`,
          session_id: 'a'.repeat(32),
        })
        return JSON.stringify(sdkLine)
      }
      for (const [key, id] of [
        ['wk_1', '1111111111111111'],
        ['wk_2', '2222222222222222'],
        ['wk_2', '3333333333333333'],
      ]) {
        const res = await fetch(server.url + '/collect/sdk/events', {
          method: 'POST',
          headers: { 'X-Api-Key': key, 'Content-Type': 'application/x-ndjson' },
          body: line(id) + '\n',
        })
        expect(await res.json()).toMatchObject({ accepted: 1 })
      }
      expect((await fetch(server.url + '/insights/')).status).toBe(401)
      expect((await fetch(server.url + '/api/insights')).status).toBe(401)
      expect((await fetch(server.url + '/api/insights', { headers: { 'X-Read-Key': 'wk_1' } })).status).toBe(403)
      const page = await fetch(server.url + '/insights/?read_key=rk_1')
      expect(page.status).toBe(200)
      expect(page.headers.get('access-control-allow-origin')).toBe(null)
      const html = await page.text()
      expect(html).toContain('src="app.js?read_key=rk_1"')
      expect(html).toContain('src="vendor/uPlot.iife.min.js?read_key=rk_1"')
      expect(await (await fetch(server.url + '/insights/vendor/uPlot.iife.min.js?read_key=rk_1')).text()).toContain('uPlot')
      expect((await fetch(server.url + '/insights/app.js')).status).toBe(401)
      const mine = await (await fetch(server.url + '/api/insights', { headers: { 'X-Read-Key': 'rk_1' } })).json()
      expect(mine).toMatchObject({ engine: 'embedded', project: 'p1', headline: { turns: 1 } })
      expect(mine.recent.map((t: any) => t.turn_id)).toEqual(['1111111111111111'])
      const theirs = await (await fetch(server.url + '/api/insights', { headers: { Authorization: 'Bearer rk_2' } })).json()
      expect(theirs.headline.turns).toBe(2)
      const session = await (await fetch(server.url + `/api/insights/session?id=${'a'.repeat(32)}`, { headers: { 'X-Read-Key': 'rk_1' } })).json()
      expect(session.items.map((i: any) => i.turn_id)).toEqual(['1111111111111111'])
      expect((await fetch(server.url + '/api/insights/session', { headers: { 'X-Read-Key': 'rk_1' } })).status).toBe(400)
    } finally {
      await server.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
