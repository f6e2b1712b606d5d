// @vitest-environment node
// The collector faults of the adversarial pass (issue 12, items 10, 22-26), one test each.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error plain ESM module without types
import { startDemo } from '../../demo/server.mjs'
// @ts-expect-error plain ESM module without types
import { startCollectorServer } from '../../collector/main.mjs'
import { event, KEYS, ndjson, post as postTo, readSse } from '../ingest/events'

let dataDir: string
let demo: { port: number; collector: any; close(): Promise<void> }
let base: string
const post = (body: string | Uint8Array, o?: Parameters<typeof postTo>[2]) => postTo(base, body, o)
const live = (headers: Record<string, string> = {}, query = '') => fetch(`${base}/collect/live${query}`, { headers })
const ids = (text: string) => [...text.matchAll(/"id":"([0-9a-f-]{36})"/g)].map((m) => m[1])

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lumina-faults-'))
  demo = await startDemo({ port: 0, dataDir, keys: KEYS, quiet: true })
  base = `http://127.0.0.1:${demo.port}`
})
afterEach(async () => {
  await demo.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('collector faults', () => {
  it('22: GET /collect/live needs the read key (not the write key), is scoped to its project, and is not readable cross-origin', async () => {
    const mine = event()
    const theirs = event()
    await post(ndjson(mine))
    await post(ndjson(theirs), { key: 'wk_other' })
    expect((await live()).status).toBe(401)
    expect((await live({}, '?read_key=wk_demo')).status).toBe(403)
    expect((await live({ 'X-Read-Key': 'wk_demo' })).status).toBe(403)
    const ok = await live({ Authorization: 'Bearer rk_demo_secret', Origin: 'https://evil.example' })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('access-control-allow-origin')).toBeNull()
    const text = await readSse(ok, (t) => t.includes(mine.id), 2000)
    expect(ids(text)).toEqual([mine.id])
    const other = await readSse(await live({}, '?read_key=rk_other_secret'), (t) => t.includes(theirs.id), 2000)
    expect(ids(other)).toEqual([theirs.id])
    for (const path of ['/collect/quarantine', '/collect/export']) {
      expect((await fetch(base + path)).status).toBe(401)
      const res = await fetch(base + path, { headers: { 'X-Read-Key': 'rk_demo_secret', Origin: 'https://evil.example' } })
      expect(res.status).toBe(200)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      await res.text()
    }
    const exported = await (await fetch(`${base}/collect/export?read_key=rk_other_secret`)).text()
    expect(ids(exported)).toEqual([theirs.id])
  })

  it('22: a listed read origin (readOrigins) may read cross-origin, with the read key; others still may not', async () => {
    const s = await startCollectorServer({ port: 0, dataDir: join(dataDir, 'origins'), keys: KEYS, readOrigins: ['https://dash.example'] })
    const ok = await fetch(`${s.url}/collect/export`, { headers: { Origin: 'https://dash.example', 'X-Read-Key': 'rk_demo_secret' } })
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://dash.example')
    await ok.text()
    const pre = await fetch(`${s.url}/collect/export`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://dash.example', 'Access-Control-Request-Headers': 'authorization' },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-headers')).toContain('Authorization')
    const other = await fetch(`${s.url}/collect/export`, { headers: { Origin: 'https://evil.example', 'X-Read-Key': 'rk_demo_secret' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    await other.text()
    await s.close()
  })

  it('23: an idle live-feed client is disconnected once it holds 1 MiB unread; it never pins the backlog; fast readers keep up', async () => {
    // a client that sends the request and then never reads its socket
    const idle = connect(demo.port, '127.0.0.1')
    idle.write(`GET /collect/live?read_key=rk_demo_secret HTTP/1.1\r\nHost: x\r\n\r\n`)
    idle.pause()
    const fast = await live({ 'X-Read-Key': 'rk_demo_secret' })
    // the fast reader keeps only the ids it saw (32 MB of text would make the test slow, not the feed)
    const seen = new Set<string>()
    const reader = fast.body!.getReader()
    const decoder = new TextDecoder()
    let tail = ''
    const fastRead = (async () => {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) {
          return
        }
        tail += decoder.decode(value, { stream: true })
        const cut = tail.lastIndexOf('\n')
        for (const id of ids(tail.slice(0, cut + 1))) {
          seen.add(id)
        }
        tail = tail.slice(cut + 1)
        if (seen.size >= 40) {
          return
        }
      }
    })()
    const sent: string[] = []
    let maxBuffered = 0
    for (let i = 0; i < 40; i++) {
      const e = event({ pad: 'x'.repeat(800_000) }) // 40 x 800 KB = 32 MB through the feed
      sent.push(e.id)
      expect((await post(ndjson(e))).status).toBe(200)
      maxBuffered = Math.max(maxBuffered, demo.collector.live.bufferedBytes())
    }
    await fastRead
    reader.cancel().catch(() => {})
    expect(demo.collector.live.stats.disconnectedSlow).toBe(1) // the idle one, not the fast one
    expect(maxBuffered).toBeLessThanOrEqual(2 * (1 << 20)) // every client together, the fast one included
    expect(sent.filter((id) => !seen.has(id))).toEqual([])
    idle.destroy()
  }, 60_000)

  it('23: one event near the 1 MiB limit still reaches a reader that keeps up (not cut as slow, no reconnect loop)', async () => {
    const res = await live({ 'X-Read-Key': 'rk_demo_secret' })
    const shell = ndjson(event({ pad: '' })).length
    const big = event({ pad: 'y'.repeat((1 << 20) - shell) }) // the body is exactly 1 MiB
    const body = ndjson(big)
    expect(body.length).toBe(1 << 20)
    const reading = readSse(res, (t) => t.includes(`"pad":"yyy`) && t.endsWith('\n\n'), 10_000)
    expect((await post(body)).status).toBe(200)
    expect(await reading).toContain(big.id)
    expect(demo.collector.live.stats.disconnectedSlow).toBe(0)
  }, 30_000)

  it('25: a 1 MB body of {} lines gets a capped rejection report (and every line is quarantined)', async () => {
    const body = '{}\n'.repeat(349_000)
    const res = await post(body)
    const text = await res.text()
    expect(text.length).toBeLessThan(16_000) // was ~21 MB
    const report = JSON.parse(text)
    expect(report.rejected_count).toBe(349_000)
    expect(report.rejected).toHaveLength(100)
    expect(report.rejected_truncated).toBe(true)
    const kept = await (await fetch(`${base}/collect/quarantine?limit=100000&read_key=rk_demo_secret`)).text()
    expect(kept.trim().split('\n')).toHaveLength(100_000) // the GET is capped by ?limit=, the store is not
  }, 30_000)

  it('26: a live-feed reconnect with Last-Event-ID resumes after the last event seen instead of replaying', async () => {
    const [a, b, c] = [event(), event(), event()]
    await post(ndjson(a, b))
    const first = await readSse(await live({ 'X-Read-Key': 'rk_demo_secret' }), (t) => t.includes(b.id), 2000)
    expect(ids(first)).toEqual([a.id, b.id])
    const lastId = [...first.matchAll(/^id: (.+)$/gm)].at(-1)![1]
    await post(ndjson(c))
    const again = await readSse(await live({ 'X-Read-Key': 'rk_demo_secret', 'Last-Event-ID': lastId }), (t) => t.includes(c.id), 2000)
    expect(ids(again)).toEqual([c.id])
  })

  it('10: a rejected line is kept in the quarantine with its reason, named in the response, readable with the read key only', async () => {
    const bad = JSON.stringify(event({ name: 'identify', user_id: 'u'.repeat(10) })) // no previous_id
    const res = await post([JSON.stringify(event()), bad].join('\n'))
    const report = await res.json()
    expect(report).toMatchObject({ accepted: 1, rejected_count: 1, rejected: [{ line: 2 }] })
    const kept = (await (await fetch(`${base}/collect/quarantine`, { headers: { 'X-Read-Key': 'rk_demo_secret' } })).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(kept).toEqual([{ received_at: expect.any(String), line: 2, reason: report.rejected[0].error, text: bad }])
    expect((await (await fetch(`${base}/collect/quarantine?read_key=rk_other_secret`)).text()).trim()).toBe('')
  })
})
