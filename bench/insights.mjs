// Insights on real volumes: BENCH_INSIGHTS_TURNS (default 1,000,000) turns with their chat-input,
// feedback and server-side events, in the embedded store and in ClickHouse (Debian's 18.16,
// started in a temp dir). Measures, for each engine, the time from navigation to the insights
// page's first full render in Chromium (every card, chart and table drawn), the API's query
// times behind it, and a session timeline. Writes bench/insights-results.json and prints a table.
// Run: node bench/insights.mjs (after npm run build). Not part of npm test.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { openStore } from '../collector/store.mjs'
import { rowOf } from '../collector/clickhouse/row.mjs'
import { clickhouseAvailable, startClickHouse } from '../test/helpers-clickhouse.mjs'
import { fixtureEvents } from '../test/insights/fixture.mjs'
import { applySchema } from '../test/insights/clickhouse-load.mjs'
import { serveInsights } from '../test/insights/serve.mjs'
import { createClient } from '@clickhouse/client'

const root = fileURLToPath(new URL('..', import.meta.url))
const TURNS = +(process.env.BENCH_INSIGHTS_TURNS || 1_000_000)
const RUNS = +(process.env.BENCH_INSIGHTS_RUNS || 3)
const EMBEDDED_RUNS = +(process.env.BENCH_INSIGHTS_EMBEDDED_RUNS || 1)
const KEY = 'rk_bench'
const DAY = 86400e3
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const log = (msg) => console.log(`[insights bench] ${msg}`)

const dir = mkdtempSync(join(tmpdir(), 'lumina-insights-bench-'))
const store = openStore({ dir })
await store.ready
const ch = clickhouseAvailable ? await startClickHouse() : null
const client = ch ? createClient({ url: ch.url, request_timeout: 300_000, compression: { request: false, response: false } }) : null
// Interrupted: the ClickHouse child and the temp store go too.
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, async () => {
    await ch?.stop()
    rmSync(dir, { recursive: true, force: true })
    process.exit(130)
  })
if (client) await applySchema(client, 'lumina')
else log('ClickHouse not installed: embedded store only')

// --- the fixture: the last 29 days, written in batches to both engines ---
const started = performance.now()
const gen = fixtureEvents({ turns: TURNS, startMs: Date.now() - 29 * DAY, spanMs: 28 * DAY })
let batch = []
let stats
let events = 0
const flush = async () => {
  const list = batch
  batch = []
  await Promise.all([store.append(list), client ? client.insert({ table: 'lumina.events', values: list.map((e) => rowOf(e)), format: 'JSONEachRow' }) : null])
}
for (;;) {
  const next = gen.next()
  if (next.done) {
    stats = next.value
    break
  }
  batch.push(next.value)
  events++
  if (batch.length == 20_000) await flush()
  if (events % 1_000_000 == 0) log(`${events} events written`)
}
await flush()
if (client) await client.command({ query: 'OPTIMIZE TABLE lumina.events FINAL' }) // as after background merges
const loadMs = performance.now() - started
log(`${stats.turns} turns, ${stats.events} events, ${stats.sessions} sessions loaded in ${(loadMs / 1000).toFixed(0)} s`)

// --- the page, in Chromium ---
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] })
/** Navigation to full render (data-state=ready: cards, charts, tables drawn), and the API's timings. */
const render = async (origin, screenshot) => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  await page.goto(`${origin}/insights/?read_key=${KEY}&range=30d`)
  await page.waitForFunction(() => document.body.dataset.state == 'ready' || document.body.dataset.state == 'error', null, { timeout: 600_000 })
  const result = await page.evaluate(() => ({ state: document.body.dataset.state, renderMs: performance.now(), status: document.getElementById('status').textContent, turns: document.querySelector('.card .value')?.textContent }))
  if (screenshot) {
    mkdirSync(join(root, 'test-results'), { recursive: true })
    await page.screenshot({ path: join(root, 'test-results', screenshot) })
  }
  await page.close()
  if (result.state != 'ready') throw new Error(`insights page failed: ${result.status}`)
  return result
}
const apiTimings = async (origin, path) => {
  const t = performance.now()
  const res = await fetch(origin + path, { headers: { 'X-Read-Key': KEY } })
  const body = await res.json()
  return { wallMs: performance.now() - t, body }
}

const results = { turns: stats.turns, events: stats.events, sessions: stats.sessions, load_s: Math.round(loadMs / 1000), engines: {} }
const engines = [['embedded', { project: 'demo', store }, EMBEDDED_RUNS]]
if (client) engines.unshift(['clickhouse', { project: 'demo', clickhouse: client, table: 'lumina.events' }, RUNS])
for (const [name, ctx, runs] of engines) {
  const srv = await serveInsights({ readKey: KEY, ctx })
  const renders = []
  const queries = []
  let shown = ''
  for (let i = 0; i < runs; i++) {
    const r = await render(srv.origin, i == 0 ? `insights-bench-${name}.png` : '')
    renders.push(r.renderMs)
    shown = r.turns
    const now = Date.now()
    const api = await apiTimings(srv.origin, `/api/insights?from=${now - 30 * DAY}&to=${now}`)
    queries.push(api.body.timings)
  }
  const { body } = await apiTimings(srv.origin, `/api/insights?from=${Date.now() - 30 * DAY}&to=${Date.now()}`)
  const sample = body.recent[0]
  const session = await apiTimings(srv.origin, `/api/insights/session?id=${sample.session_id}&around=${sample.ts_ms}`)
  const perQuery = {}
  for (const k of Object.keys(queries[0])) perQuery[k] = median(queries.map((q) => q[k]))
  results.engines[name] = { render_ms: Math.round(median(renders)), renders_ms: renders.map(Math.round), turns_shown: shown, api_ms: perQuery, session_ms: Math.round(session.wallMs) }
  log(`${name}: first full render ${Math.round(median(renders))} ms (runs ${renders.map(Math.round).join(', ')}), API ${JSON.stringify(perQuery)}, session timeline ${Math.round(session.wallMs)} ms`)
  await srv.close()
}

await browser.close()
await client?.close()
await ch?.stop()
await store.close()
rmSync(dir, { recursive: true, force: true })
writeFileSync(join(root, 'bench/insights-results.json'), JSON.stringify(results, null, 2) + '\n')
console.log(`\nInsights with ${results.turns.toLocaleString('en-US')} turns (${results.events.toLocaleString('en-US')} events)`)
console.log('engine      first full render   API total   per query (ms)                          session timeline')
for (const [name, r] of Object.entries(results.engines))
  console.log(`${name.padEnd(12)}${(r.render_ms + ' ms').padEnd(20)}${(r.api_ms.total + ' ms').padEnd(12)}${Object.entries(r.api_ms).filter(([k]) => k != 'total').map(([k, v]) => `${k} ${v}`).join(', ').padEnd(40)}${r.session_ms} ms`)
