// The ClickHouse loader against the real engine: Debian's clickhouse-server started here on
// 127.0.0.1 with a temporary config and data directory. Without the binary these tests are
// skipped with a note; LUMINA_REQUIRE_CLICKHOUSE=1 (CI) makes that a failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '@clickhouse/client'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clickhouseAvailable, clickhouseRequired, clickhouseSkipReason, startClickHouse, type LocalClickHouse } from '../helpers-clickhouse.mjs'
// @ts-expect-error plain ESM module without types
import { startCollectorServer } from '../../collector/main.mjs'
import { event, KEYS, ndjson, turn } from './events'
import { startCollectorProcess, type CollectorProcess } from './processes'

if (!clickhouseAvailable) {
  console.log(clickhouseSkipReason)
}
const run = clickhouseAvailable || clickhouseRequired

let ch: LocalClickHouse
let client: ReturnType<typeof createClient>
const dirs: string[] = []
const procs: CollectorProcess[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'lumina-chl-'))
  dirs.push(d)
  return d
}
const query = async (sql: string) => (await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as any[]
const counts = async (db: string) => {
  const [row] = await query(`SELECT count() AS n, uniqExact(id) AS ids FROM ${db}.events FINAL`)
  const [raw] = await query(`SELECT count() AS n FROM ${db}.events`)
  return { final: +row.n, ids: +row.ids, raw: +raw.n }
}
const waitFor = async (what: string, cond: () => Promise<boolean>, ms = 60_000) => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await cond().catch(() => false)) {
      return
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}
/** Whether a collector's loader checkpoint has reached the end of its store. */
const loadedAll = (dataDir: string) => {
  const cp = JSON.parse(readFileSync(join(dataDir, 'clickhouse-checkpoint.json'), 'utf8'))
  const last = readdirSync(join(dataDir, 'events')).sort().at(-1)!
  return cp.seq == parseInt(last, 10) && cp.offset == statSync(join(dataDir, 'events', last)).size
}
const postTo = (url: string, events: object[], key = 'wk_demo') =>
  fetch(`${url}/collect/sdk/events`, { method: 'POST', headers: { 'X-Api-Key': key }, body: ndjson(...events) }).then(async (r) => {
    expect(r.status).toBe(200)
    return r.json()
  })
const postMany = async (url: string, n: number, per = 500) => {
  const ids: string[] = []
  for (let i = 0; i < n; i += per) {
    const batch = Array.from({ length: Math.min(per, n - i) }, () => turn())
    for (const e of batch) {
      ids.push(e.id as string)
    }
    await postTo(url, batch)
  }
  return ids
}

beforeAll(async () => {
  if (!run) {
    return
  }
  if (!clickhouseAvailable) {
    throw new Error(clickhouseSkipReason)
  }
  ch = await startClickHouse()
  client = createClient({ url: ch.url })
})
afterAll(async () => {
  for (const p of procs.splice(0)) {
    await p.kill().catch(() => {})
  }
  await client?.close()
  await ch?.stop()
  for (const d of dirs.splice(0)) {
    rmSync(d, { recursive: true, force: true })
  }
})

describe.runIf(run)('ClickHouse loader (real clickhouse-server)', () => {
  it('loads into a ReplacingMergeTree and queries back; cost on known and unknown models; checkpoint persisted', async () => {
    const dataDir = tempDir()
    const s = await startCollectorServer({ port: 0, dataDir, keys: KEYS, clickhouse: { url: ch.url, database: 'lumina_t1' } })
    const known = turn({ model: 'gpt-4o', usage: { input_tokens: 1000, output_tokens: 100 } })
    const unknown = turn({ model: 'in-house-llm-3', usage: { input_tokens: 10, output_tokens: 10 } })
    const sdkCost = turn({ model: 'gpt-4o', cost_usd: 0.25 })
    const other = event({ name: 'feedback', turn_id: (known as any).turn_id, score: 1 })
    await postTo(s.url, [known, unknown, sdkCost, other])
    await s.collector.loader.caughtUp()
    const rows = await query(
      `SELECT id, name, model, cost_usd, cost_source, score, input_tokens, project, visitParamExtractString(raw, 'source') AS src FROM lumina_t1.events FINAL ORDER BY id`,
    )
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]))
    expect(byId[known.id as string]).toMatchObject({
      name: 'turn',
      model: 'gpt-4o',
      cost_usd: 0.0035,
      cost_source: expect.stringMatching(/^genai-prices@/),
      input_tokens: '1000',
      project: 'demo',
      src: 'sdk',
    })
    expect(byId[unknown.id as string]).toMatchObject({ cost_usd: null, cost_source: '' })
    expect(byId[sdkCost.id as string]).toMatchObject({ cost_usd: 0.25, cost_source: 'sdk' })
    expect(byId[other.id as string]).toMatchObject({ name: 'feedback', score: 1, cost_usd: null })
    expect(existsSync(join(dataDir, 'clickhouse-checkpoint.json'))).toBe(true)
    await s.close()
  })

  it('ClickHouse down: the collector keeps accepting, and catches up when it returns', async () => {
    const s = await startCollectorServer({ port: 0, dataDir: tempDir(), keys: KEYS, clickhouse: { url: ch.url, database: 'lumina_t2' } })
    await postMany(s.url, 100)
    await s.collector.loader.caughtUp()
    await ch.kill()
    const during = await postMany(s.url, 2000) // all 200: the local store has them
    expect(during).toHaveLength(2000)
    await ch.start()
    await s.collector.loader.caughtUp()
    expect(await counts('lumina_t2')).toMatchObject({ final: 2100, ids: 2100 })
    expect(s.collector.loader.stats.failures).toBeGreaterThan(0)
    await s.close()
  })

  it('ClickHouse killed mid-load and restarted: every event exactly once', async () => {
    const s = await startCollectorServer({
      port: 0,
      dataDir: tempDir(),
      keys: KEYS,
      clickhouse: { url: ch.url, database: 'lumina_t3', batchRows: 500 },
    })
    await postMany(s.url, 100)
    await s.collector.loader.caughtUp()
    const ids = await postMany(s.url, 20_000, 1000)
    await waitFor('a few batches', async () => s.collector.loader.stats.batches >= 4, 30_000)
    await ch.kill()
    await new Promise((r) => setTimeout(r, 500))
    await ch.start()
    await s.collector.loader.caughtUp()
    const c = await counts('lumina_t3')
    expect(c.final).toBe(ids.length + 100)
    expect(c.ids).toBe(ids.length + 100)
    await s.close()
  })

  it('the collector SIGKILLed mid-load and restarted: it resumes from its checkpoint, every event exactly once', async () => {
    const dataDir = tempDir()
    const env = { LUMINA_CLICKHOUSE_URL: ch.url, LUMINA_CLICKHOUSE_DB: 'lumina_t4', LUMINA_CLICKHOUSE_BATCH_ROWS: '500', LUMINA_QUIET: '1' }
    let proc = await startCollectorProcess(dataDir, env)
    procs.push(proc)
    const ids = await postMany(proc.url, 20_000, 1000)
    await waitFor('some rows loaded', async () => (await counts('lumina_t4')).raw >= 1000, 30_000)
    await proc.kill()
    const loadedAtKill = (await counts('lumina_t4')).raw
    expect(loadedAtKill).toBeLessThan(ids.length) // it really was mid-load
    proc = await startCollectorProcess(dataDir, env)
    procs.push(proc)
    await waitFor('all rows', async () => (await counts('lumina_t4')).final == ids.length, 60_000)
    const c = await counts('lumina_t4')
    expect(c).toMatchObject({ final: ids.length, ids: ids.length })
    await proc.stop()
  })

  it('two collectors, each with its own store, load into one ClickHouse; a resend that reached both counts once', async () => {
    const env = { LUMINA_CLICKHOUSE_URL: ch.url, LUMINA_CLICKHOUSE_DB: 'lumina_t5', LUMINA_QUIET: '1' }
    const [dirA, dirB] = [tempDir(), tempDir()]
    const a = await startCollectorProcess(dirA, env)
    const b = await startCollectorProcess(dirB, env)
    procs.push(a, b)
    const onA = await postMany(a.url, 3000)
    const onB = await postMany(b.url, 3000)
    // the SDK retried a batch whose response it lost; the load balancer sent the retry to B
    const both = Array.from({ length: 200 }, () => turn())
    await postTo(a.url, both)
    await postTo(b.url, both)
    const total = onA.length + onB.length + both.length
    await waitFor('both collectors loaded', async () => loadedAll(dirA) && loadedAll(dirB), 60_000)
    expect(await counts('lumina_t5')).toMatchObject({ final: total, ids: total })
    // ReplacingMergeTree collapses the duplicate rows when it merges parts, which is eventual: a
    // part inserted while OPTIMIZE ran is merged by the next one, so ask until the merge is done.
    await waitFor(
      'the resend merged away',
      async () => {
        await client.command({ query: 'OPTIMIZE TABLE lumina_t5.events FINAL' })
        return (await counts('lumina_t5')).raw == total
      },
      30_000,
    )
    expect(await counts('lumina_t5')).toMatchObject({ final: total, ids: total, raw: total })
    await a.stop()
    await b.stop()
  })
})
