// Insights on real volumes: BENCH_INSIGHTS_TURNS (default 1,000,000) turns with their chat-input,
// feedback and server-side events, in the embedded store and in ClickHouse (Debian's 18.16,
// started in a temp dir). Measures, for each engine, the time from navigation to the insights
// page's first full render in Chromium (every card, chart and table drawn), the API's query
// times behind it, and a session timeline. Writes bench/insights-results.json and prints a table.
// Run: node bench/insights.mjs (after npm run build). Not part of npm test.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
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
const EMBEDDED_RUNS = +(process.env.BENCH_INSIGHTS_EMBEDDED_RUNS ?? 1)
const KEY = 'rk_bench'
/** The fixture spans 29 days before it was made: all time, so a reused one is still whole. */
const RANGE = 'all'
const DAY = 86400e3
/** The pid of the process whose command line contains `needle` (the ClickHouse server). */
function pidOf(needle) {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) {
      continue
    }
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) {
        return pid
      }
    } catch {} // a process that ended meanwhile
  }
  return null
}
/** CPU seconds a process used so far (user + system), from /proc. */
const cpuOf = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const log = (msg) => console.log(`[insights bench] ${msg}`)

// BENCH_INSIGHTS_DATA=<dir> keeps the loaded fixture there (store/ and ch/) for the next run,
// which then skips the load (it takes minutes); without it, a temp dir deleted at the end.
const keep = process.env.BENCH_INSIGHTS_DATA || ''
const dir = keep || mkdtempSync(join(tmpdir(), 'lumina-insights-bench-'))
const loaded = keep && existsSync(join(dir, 'store', 'events')) && existsSync(join(dir, 'ch', 'data'))
mkdirSync(join(dir, 'store'), { recursive: true })
const store = openStore({ dir: join(dir, 'store') })
await store.ready
const ch = clickhouseAvailable ? await startClickHouse({ dir: join(dir, 'ch') }) : null
const chPid = ch ? pidOf(`${join(dir, 'ch')}/config.xml`) : null
const client = ch ? createClient({ url: ch.url, request_timeout: 300_000, compression: { request: false, response: false } }) : null
// Interrupted: the ClickHouse child and the temp store go too.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    if (keep) {
      await ch?.kill()
    } else {
      await ch?.stop()
    }
    if (!keep) {
      rmSync(dir, { recursive: true, force: true })
    }
    process.exit(130)
  })
}
if (client && !loaded) {
  await applySchema(client, 'lumina')
}
if (!client) {
  log('ClickHouse not installed: embedded store only')
}

// --- the fixture: the last 29 days, written in batches to both engines ---
const started = performance.now()
let stats
if (loaded) {
  stats = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8'))
  log(`reusing the fixture in ${dir}: ${stats.turns} turns, ${stats.events} events`)
} else {
  const gen = fixtureEvents({ turns: TURNS, startMs: Date.now() - 29 * DAY, spanMs: 28 * DAY })
  let batch = []
  let events = 0
  const flush = async () => {
    const list = batch
    batch = []
    await Promise.all([
      store.append(list),
      client ? client.insert({ table: 'lumina.events', values: list.map((e) => rowOf(e)), format: 'JSONEachRow' }) : null,
    ])
  }
  for (;;) {
    const next = gen.next()
    if (next.done) {
      stats = next.value
      break
    }
    batch.push(next.value)
    events++
    if (batch.length == 20_000) {
      await flush()
    }
    if (events % 1_000_000 == 0) {
      log(`${events} events written`)
    }
  }
  await flush()
  if (client) {
    await client.command({ query: 'OPTIMIZE TABLE lumina.events FINAL' })
  } // as after background merges
  stats.generated_at = Date.now()
  writeFileSync(join(dir, 'fixture.json'), JSON.stringify(stats))
}
const loadMs = performance.now() - started
log(`${stats.turns} turns, ${stats.events} events, ${stats.sessions} sessions ${loaded ? 'reused' : 'loaded'} in ${(loadMs / 1000).toFixed(0)} s`)

// --- the page, in Chromium ---
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] })
/** Navigation to full render (data-state=ready: cards, charts, tables drawn), and the API's timings. */
const render = async (origin, screenshot) => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  await page.goto(`${origin}/insights/?read_key=${KEY}&range=${RANGE}`)
  await page.waitForFunction(() => document.body.dataset.state == 'ready' || document.body.dataset.state == 'error', null, { timeout: 600_000 })
  const result = await page.evaluate(() => ({
    state: document.body.dataset.state,
    renderMs: performance.now(),
    status: document.getElementById('status').textContent,
    turns: document.querySelector('.card .value')?.textContent,
  }))
  if (screenshot) {
    mkdirSync(join(root, 'test-results'), { recursive: true })
    await page.screenshot({ path: join(root, 'test-results', screenshot) })
  }
  await page.close()
  if (result.state != 'ready') {
    throw new Error(`insights page failed: ${result.status}`)
  }
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
if (client) {
  engines.unshift(['clickhouse', { project: 'demo', clickhouse: client, table: 'lumina.events' }, RUNS])
}
for (const [name, ctx, runs] of engines) {
  if (!runs) {
    continue
  }
  const srv = await serveInsights({ readKey: KEY, ctx })
  const renders = []
  const queries = []
  let shown = ''
  const cpuSeconds = []
  for (let i = 0; i < runs; i++) {
    const cpu0 = process.cpuUsage()
    const ch0 = chPid ? cpuOf(chPid) : 0
    const r = await render(srv.origin, i == 0 ? `insights-bench-${name}.png` : '')
    const cpu = process.cpuUsage(cpu0)
    // the CPU the answer cost: the collector's (this process: the embedded engine, routes) and ClickHouse's
    cpuSeconds.push((cpu.user + cpu.system) / 1e6 + (chPid ? cpuOf(chPid) - ch0 : 0))
    renders.push(r.renderMs)
    shown = r.turns
    const api = await apiTimings(srv.origin, '/api/insights')
    queries.push(api.body.timings)
  }
  const { body } = await apiTimings(srv.origin, '/api/insights')
  const sample = body.recent[0]
  const session = await apiTimings(srv.origin, `/api/insights/session?id=${sample.session_id}&around=${sample.ts_ms}`)
  const perQuery = {}
  for (const k of Object.keys(queries[0])) {
    perQuery[k] = median(queries.map((q) => q[k]))
  }
  results.engines[name] = {
    render_ms: Math.round(median(renders)),
    renders_ms: renders.map(Math.round),
    cpu_s: Math.round(median(cpuSeconds) * 10) / 10,
    turns_shown: shown,
    api_ms: perQuery,
    session_ms: Math.round(session.wallMs),
  }
  log(
    `${name}: first full render ${Math.round(median(renders))} ms (runs ${renders.map(Math.round).join(', ')}; ${median(cpuSeconds).toFixed(1)} CPU s), API ${JSON.stringify(perQuery)}, session timeline ${Math.round(session.wallMs)} ms`,
  )
  await srv.close()
}

await browser.close()
await client?.close()
if (keep) {
  await ch?.kill()
} else {
  await ch?.stop()
}
await store.close()
if (!keep) {
  rmSync(dir, { recursive: true, force: true })
}
results.load_average = loadavg().map((x) => Math.round(x * 10) / 10)
writeFileSync(join(root, 'bench/insights-results.json'), JSON.stringify(results, null, 2) + '\n')
console.log(`\nInsights with ${results.turns.toLocaleString('en-US')} turns (${results.events.toLocaleString('en-US')} events)`)
console.log(`(load average of the machine at the end: ${results.load_average.join(', ')} on ${cpus().length} cores)`)
console.log('engine      first full render   CPU    API total   per query (ms)                          session timeline')
for (const [name, r] of Object.entries(results.engines)) {
  console.log(
    `${name.padEnd(12)}${(r.render_ms + ' ms').padEnd(20)}${(r.cpu_s + ' s').padEnd(7)}${(r.api_ms.total + ' ms').padEnd(12)}${Object.entries(
      r.api_ms,
    )
      .filter(([k]) => k != 'total')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')
      .padEnd(40)}${r.session_ms} ms`,
  )
}
