// One set of numbers: the same fixture in the embedded store and in a real ClickHouse gives the
// same answer from the insights API, section by section. Percentiles are exact in both engines
// (quantileExact and the same definition in JS), so they must match exactly; sums of costs
// may differ in the last bits (floating-point addition in another order).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clickhouseAvailable, clickhouseRequired, clickhouseSkipReason, startClickHouse, type LocalClickHouse } from '../helpers-clickhouse.mjs'
// @ts-expect-error plain ESM module without types
import { openStore } from '../../collector/store.mjs'
// @ts-expect-error plain ESM module without types
import { startClickHouseLoader } from '../../collector/clickhouse/loader.mjs'
// @ts-expect-error plain ESM module without types
import { generateFixture } from './fixture.mjs'
// @ts-expect-error plain ESM module without types
import { appendAll, loadEvents } from './clickhouse-load.mjs'
// @ts-expect-error plain ESM module without types
import { serveInsights } from './serve.mjs'

const KEY = 'rk_same'
const START = Date.UTC(2026, 10, 1)
let ch: LocalClickHouse
let loader: any
let store: any
let dir: string
const servers: { origin: string; close(): Promise<void> }[] = []
let embedded: string
let clickhouse: string
const events: Record<string, any>[] = []

if (!clickhouseAvailable && !clickhouseRequired) {
  console.warn(`\n[insights] ${clickhouseSkipReason}\n`)
}
const describeClickHouse = clickhouseAvailable || clickhouseRequired ? describe : describe.skip

beforeAll(async () => {
  if (!clickhouseAvailable && !clickhouseRequired) {
    return
  }
  generateFixture({ turns: 5000, startMs: START, spanMs: 10 * 86400e3, onEvent: (e: object) => events.push(e) })
  // a second project in the same store and table: never counted
  generateFixture({ turns: 300, project: 'other', startMs: START, spanMs: 10 * 86400e3, seed: 7, onEvent: (e: object) => events.push(e) })
  dir = mkdtempSync(join(tmpdir(), 'lumina-insights-'))
  // The embedded store, written as the ingest writes it; ClickHouse filled by the ingest's loader.
  store = openStore({ dir })
  await store.ready
  await appendAll(store, events)
  ch = await startClickHouse()
  loader = startClickHouseLoader({ store, dataDir: dir, url: ch.url, intervalMs: 50 })
  await loader.caughtUp()
  // at-least-once loading: a batch delivered twice must not count twice
  await loadEvents(loader.client, 'lumina.events', events.slice(0, 2000))
  const a = await serveInsights({ readKey: KEY, ctx: { project: 'demo', store } })
  const b = await serveInsights({ readKey: KEY, ctx: { project: 'demo', clickhouse: loader.client, table: 'lumina.events' } })
  servers.push(a, b)
  embedded = a.origin
  clickhouse = b.origin
}, 120_000)
afterAll(async () => {
  for (const s of servers) {
    await s.close()
  }
  await loader?.stop()
  await store?.close()
  await ch?.stop()
  if (dir) {
    rmSync(dir, { recursive: true, force: true })
  }
})

const get = async (origin: string, path: string) => {
  const res = await fetch(origin + path, { headers: { 'X-Read-Key': KEY } })
  expect(res.status).toBe(200)
  const body = await res.json()
  delete body.timings
  delete body.engine
  return body
}

/** Equal, numbers within 1e-9 relative (cost sums); everything else exactly. */
const same = (a: unknown, b: unknown, path = '$'): void => {
  if (typeof a == 'number' && typeof b == 'number') {
    if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a))) {
      throw new Error(`${path}: embedded ${a}, ClickHouse ${b}`)
    }
    return
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(b.length, `${path}.length`).toBe(a.length)
    a.forEach((x, i) => same(x, b[i], `${path}[${i}]`))
    return
  }
  if (a && b && typeof a == 'object' && typeof b == 'object') {
    expect(Object.keys(b).sort(), `${path} keys`).toEqual(Object.keys(a).sort())
    for (const k of Object.keys(a)) {
      same((a as any)[k], (b as any)[k], `${path}.${k}`)
    }
    return
  }
  expect(b, path).toEqual(a)
}

describeClickHouse('one set of numbers: embedded store and ClickHouse', () => {
  const cases = [
    ['all time', ''],
    ['a three-day range', `from=${START + 2 * 86400e3}&to=${START + 5 * 86400e3}`],
    ['one model', `from=${START}&to=${START + 10 * 86400e3}&model=claude-3-5-sonnet`],
    ['one prompt id and one user', `from=${START}&to=${START + 10 * 86400e3}&prompt_id=support-v3&user=user_3`],
    ['a range with no turns', `from=${START - 5 * 86400e3}&to=${START - 4 * 86400e3}`],
  ]
  for (const [name, q] of cases) {
    it(`the same answer for ${name}`, async () => {
      const a = await get(embedded, '/api/insights?' + q)
      const b = await get(clickhouse, '/api/insights?' + q)
      same(a, b)
      if (name == 'all time') {
        expect(a.headline.turns).toBe(5000)
        expect(a.headline.unpriced_turns).toBeGreaterThan(0)
        expect(a.headline.inputs_abandoned).toBeGreaterThan(0)
        expect(a.recent.some((t: any) => t.server_turns > 0)).toBe(true)
      }
    })
  }

  it('the same session timelines', async () => {
    const { recent } = await get(embedded, '/api/insights')
    const sessions = [...new Set(recent.slice(0, 8).map((t: any) => `id=${t.session_id}&around=${t.ts_ms}`))]
    for (const q of sessions) {
      same(await get(embedded, '/api/insights/session?' + q), await get(clickhouse, '/api/insights/session?' + q))
    }
  })

  it('the fixture counts as generated (the test is not comparing two empty answers)', async () => {
    const finals = new Set(events.filter((e) => e.project == 'demo' && e.name == 'turn' && !e.parent_span_id).map((e) => e.turn_id))
    const a = await get(clickhouse, '/api/insights')
    expect(a.headline.turns).toBe(finals.size)
    expect(a.headline.feedback_count).toBe(events.filter((e) => e.project == 'demo' && e.name == 'feedback').length)
  })
})
