// `npm run bench`, the ingest section (also runs alone: node bench/ingest.mjs). Measures, in
// one run on this machine: the disk's own fsync rate and sequential write bandwidth (the
// physical limit); events/s the collector accepts with durable acknowledgement (every 2xx
// fsynced) and the p50/p99 acknowledgement latency at that load, as a ratio to the limit;
// and the loader's rows/s into ClickHouse against a direct bulk insert of the same rows.
// Writes bench/ingest-results.json.
import { spawn } from 'node:child_process'
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from '@clickhouse/client'
import { openStore } from '../collector/store.mjs'
import { startClickHouseLoader } from '../collector/clickhouse/loader.mjs'
import { rowOf } from '../collector/clickhouse/row.mjs'
import { clickhouseAvailable, startClickHouse } from '../test/helpers-clickhouse.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const SECONDS = +(process.env.BENCH_INGEST_SECONDS || 5)
const work = mkdtempSync(join(tmpdir(), 'lumina-bench-ingest-'))
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * p))] : NaN
}

// --- the disk's limits, in the same directory the store uses ---
const fsyncRate = () => {
  const fd = openSync(join(work, 'fsync.probe'), 'w')
  const block = Buffer.alloc(4096, 1)
  let n = 0
  const t0 = performance.now()
  while (performance.now() - t0 < 2000) {
    writeSync(fd, block)
    fsyncSync(fd)
    n++
  }
  closeSync(fd)
  return n / ((performance.now() - t0) / 1000)
}
const writeBandwidth = () => {
  const fd = openSync(join(work, 'bw.probe'), 'w')
  const block = Buffer.alloc(1 << 20, 7)
  const total = 512
  const t0 = performance.now()
  for (let i = 0; i < total; i++) {
    writeSync(fd, block)
  }
  fsyncSync(fd)
  closeSync(fd)
  rmSync(join(work, 'bw.probe'))
  return (total * (1 << 20)) / ((performance.now() - t0) / 1000)
}
const disk = { fsync_per_s: Math.round(fsyncRate()), write_mb_per_s: +(writeBandwidth() / 1e6).toFixed(0) }

// --- the collector as its own process, loaded from this one ---
const startCollector = (dataDir) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [root + 'collector/main.mjs'], {
      env: { ...process.env, PORT: '0', LUMINA_DATA_DIR: dataDir, LUMINA_KEYS: 'bench:wk_bench:rk_bench_secret', LUMINA_QUIET: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
      const m = /listening (\S+)/.exec(out)
      if (m) {
        resolve({ url: m[1], child })
      }
    })
    child.once('exit', (code) => reject(new Error(`collector exited ${code}`)))
  })

const hex = (n) =>
  Array.from({ length: n }, () => '0123456789abcdef'[(Math.random() * 16) | 0])
    .join('')
    .replace(/^0/, '1')
/**
 * A realistic turn line (~900 B: two short messages, usage, a tool call), from a template with
 * a fresh id each time: the load generator shares the CPU with the collector, so it must be cheap.
 */
const template = (() => {
  const trace = hex(32)
  const span = hex(16)
  const now = new Date().toISOString()
  return JSON.stringify({
    id: 'ID',
    source: 'sdk',
    name: 'turn',
    ts: now,
    distinct_id: 'anon_' + crypto.randomUUID(),
    session_id: trace,
    sdk: { name: 'luminasdk', version: '0.1.0' },
    turn_id: span,
    seq: 3,
    traceparent: `00-${trace}-${span}-01`,
    started_at: now,
    ended_at: now,
    latency_ms: 812,
    model: 'gpt-4o-mini',
    prompt_id: 'support-v3',
    status: 'ok',
    time_to_first_token_ms: 240,
    usage: { input_tokens: 412, output_tokens: 96 },
    messages: [
      { role: 'user', content: 'Where is my order #1234?' },
      { role: 'assistant', content: 'It shipped yesterday and arrives Friday.' },
    ],
    tool_calls: [{ span_id: hex(16), name: 'lookup_order', type: 'function', started_at: now, status: 'ok', latency_ms: 35 }],
  }).split('"ID"')
})()
const turnLine = () => template[0] + '"' + crypto.randomUUID() + '"' + template[1]

/** CPU seconds a process has used (user + system), from /proc: robust to other load on the machine. */
const cpuSeconds = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (+fields[11] + +fields[12]) / 100 // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN
  }
}

/** `clients` concurrent senders posting `perBatch` turns each, for SECONDS. */
const load = async (url, clients, perBatch, pid) => {
  const latencies = []
  let events = 0
  let bytes = 0
  const end = performance.now() + SECONDS * 1000
  const sender = async () => {
    while (performance.now() < end) {
      const body = Array.from({ length: perBatch }, turnLine).join('\n') + '\n'
      const t0 = performance.now()
      const res = await fetch(`${url}/collect/sdk/events`, {
        method: 'POST',
        headers: { 'X-Api-Key': 'wk_bench', 'Content-Type': 'application/x-ndjson' },
        body,
      })
      await res.text()
      if (res.status != 200) {
        throw new Error(`status ${res.status}`)
      }
      latencies.push(performance.now() - t0)
      events += perBatch
      bytes += body.length
    }
  }
  const t0 = performance.now()
  const cpu0 = cpuSeconds(pid)
  await Promise.all(Array.from({ length: clients }, sender))
  const secs = (performance.now() - t0) / 1000
  const cpu = cpuSeconds(pid) - cpu0
  return {
    clients,
    events_per_request: perBatch,
    events_per_s: Math.round(events / secs),
    requests_per_s: Math.round(latencies.length / secs),
    mb_per_s: +(bytes / secs / 1e6).toFixed(1),
    ack_p50_ms: +pct(latencies, 0.5).toFixed(2),
    ack_p99_ms: +pct(latencies, 0.99).toFixed(2),
    // the collector's own CPU: events per CPU-second does not depend on what else runs here
    collector_cpu_share: +(cpu / secs).toFixed(2),
    events_per_cpu_s: Math.round(events / cpu),
  }
}

const dataDir = join(work, 'store')
const collector = await startCollector(dataDir)
const runs = []
runs.push(await load(collector.url, 32, 50, collector.child.pid)) // SDK batches under load
runs.push(await load(collector.url, 64, 1, collector.child.pid)) // one event per request: what group commit is for
collector.child.kill('SIGTERM')
await new Promise((r) => collector.child.once('exit', r))
for (const r of runs) {
  // fsyncs the disk could do vs requests acknowledged: > 1 means group commit acknowledged more
  // requests than the disk has fsyncs; bytes vs bandwidth: the share of the disk's write speed used
  r.requests_per_fsync_limit = +(r.requests_per_s / disk.fsync_per_s).toFixed(2)
  r.bandwidth_share = +(r.mb_per_s / disk.write_mb_per_s).toFixed(3)
}

// --- the loader into ClickHouse ---
let clickhouse = { skipped: 'no clickhouse-server binary' }
if (clickhouseAvailable) {
  const ch = await startClickHouse()
  const store = openStore({ dir: dataDir })
  await store.ready
  const rows = store.log.list().reduce((n, s) => n + s.size, 0)
  const t0 = performance.now()
  const loader = startClickHouseLoader({ store, dataDir, url: ch.url, database: 'bench' })
  await loader.caughtUp()
  const loadSecs = (performance.now() - t0) / 1000
  const loaded = loader.stats.rows
  await loader.stop()
  // the limit: the same rows, already built in memory, in one direct insert per 20,000
  const client = createClient({ url: ch.url })
  await client.command({ query: 'CREATE TABLE bench.direct AS bench.events' })
  const built = []
  for await (const e of store.scan({ project: 'bench' })) {
    built.push(rowOf(e))
  }
  const t1 = performance.now()
  for (let i = 0; i < built.length; i += 20_000) {
    await client.insert({ table: 'bench.direct', values: built.slice(i, i + 20_000), format: 'JSONEachRow' })
  }
  const directSecs = (performance.now() - t1) / 1000
  await client.close()
  await store.close()
  await ch.stop()
  clickhouse = {
    rows: loaded,
    store_mb: +(rows / 1e6).toFixed(1),
    loader_rows_per_s: Math.round(loaded / loadSecs),
    direct_insert_rows_per_s: Math.round(built.length / directSecs),
  }
  clickhouse.ratio_to_direct = +(clickhouse.loader_rows_per_s / clickhouse.direct_insert_rows_per_s).toFixed(2)
}
rmSync(work, { recursive: true, force: true })

const results = { date: new Date().toISOString(), seconds_per_run: SECONDS, disk, collector: runs, clickhouse }
writeFileSync(root + 'bench/ingest-results.json', JSON.stringify(results, null, 2) + '\n')
console.log(`\ningest (durable acknowledgement: every 2xx fsynced)`)
console.log(`disk: ${disk.fsync_per_s} fsync/s, ${disk.write_mb_per_s} MB/s sequential write`)
for (const r of runs) {
  console.log(
    `${String(r.clients).padStart(3)} clients x ${String(r.events_per_request).padStart(2)} events/request: ${r.events_per_s} events/s, ${r.requests_per_s} req/s ` +
      `(${r.requests_per_fsync_limit}x the disk's fsync/s), ${r.mb_per_s} MB/s (${(r.bandwidth_share * 100).toFixed(1)}% of its bandwidth), ack p50 ${r.ack_p50_ms} ms, p99 ${r.ack_p99_ms} ms; ` +
      `collector CPU ${r.collector_cpu_share} cores, ${r.events_per_cpu_s} events per CPU-second`,
  )
}
if (clickhouse.rows) {
  console.log(
    `ClickHouse loader: ${clickhouse.loader_rows_per_s} rows/s (${clickhouse.rows} rows) vs ${clickhouse.direct_insert_rows_per_s} rows/s direct insert of prebuilt rows: ${clickhouse.ratio_to_direct}x`,
  )
} else {
  console.log(`ClickHouse loader: skipped (${clickhouse.skipped})`)
}
console.log('results in bench/ingest-results.json')
