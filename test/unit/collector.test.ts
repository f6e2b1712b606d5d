// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
// @ts-expect-error plain ESM module without types
import { startDemo } from '../../demo/server.mjs'
// @ts-expect-error plain ESM module without types
import { validate } from '../../collector/collector.mjs'
import { event, KEYS, ndjson, post as postTo, readSse, turn } from '../ingest/events'

let dataDir: string
let demo: { port: number; url: string; readKey: string; collector: any; close(): Promise<void> }
let base: string
const post = (body: string | Uint8Array, o?: Parameters<typeof postTo>[2]) => postTo(base, body, o)
const stored = () => {
  const dir = join(dataDir, 'events')
  return readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l))
}
const restart = async () => {
  await demo.close()
  demo = await startDemo({ port: 0, dataDir, keys: KEYS, quiet: true })
  base = `http://127.0.0.1:${demo.port}`
}

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lumina-collector-'))
  demo = await startDemo({ port: 0, dataDir, keys: KEYS, quiet: true })
  base = `http://127.0.0.1:${demo.port}`
})
afterEach(async () => {
  await demo.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('collector', () => {
  it('accepts the header key or ?key=, NDJSON or text/plain; refuses an unknown key with 401', async () => {
    expect((await post(ndjson(event()))).status).toBe(200)
    expect((await post(ndjson(event()), { key: 'wk_other', query: true, type: 'text/plain;charset=UTF-8' })).status).toBe(200)
    expect((await post(ndjson(event()), { key: 'wrong' })).status).toBe(401)
    expect((await post(ndjson(event()), { key: 'rk_demo_secret' })).status).toBe(401) // a read key cannot write
    expect((await fetch(`${base}/collect/sdk/events`, { method: 'POST', body: ndjson(event()) })).status).toBe(401)
    expect((await post(ndjson(event()), { type: 'image/png' })).status).toBe(415)
  })

  it('CORS on every response of the write endpoint, errors included; preflight 204 with the header list and a max age', async () => {
    const pre = await fetch(`${base}/collect/sdk/events`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Headers': 'x-api-key, content-type' },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-headers')).toBe('Content-Type, X-Api-Key, Content-Encoding')
    expect(Number(pre.headers.get('access-control-max-age'))).toBeGreaterThan(0)
    for (const res of [
      await post(ndjson(event())),
      await post('nonsense'),
      await post('x', { key: 'bad' }),
      await post('x'.repeat((1 << 20) + 10)),
    ]) {
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After')
    }
  })

  it('413 past 1 MB', async () => {
    const big = ndjson(event({ pad: 'x'.repeat(1 << 20) }))
    expect((await post(big)).status).toBe(413)
  })

  it('lenient NDJSON: BOM, CRLF, blank lines, no final newline', async () => {
    const [a, b] = [event(), event()]
    const res = await post('\uFEFF' + JSON.stringify(a) + '\r\n\r\n\n' + JSON.stringify(b))
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [], rejected_count: 0 })
  })

  it('good lines stored, bad lines reported by line number; 400 only when nothing parses', async () => {
    const good = event()
    const res = await post([JSON.stringify(good), '{oops', JSON.stringify(event({ id: 'not-a-uuid' }))].join('\n'))
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.accepted).toBe(1)
    expect(body.rejected.map((r: any) => r.line)).toEqual([2, 3])
    expect(body.rejected[1].error).toContain('/id')
    expect((await post('{oops\nnope')).status).toBe(400)
    expect((await post('')).status).toBe(400)
  })

  it('duplicates by id are dropped (and reported as accepted), across a restart too', async () => {
    const e = event()
    await post(ndjson(e))
    expect(await (await post(ndjson(e))).json()).toMatchObject({ accepted: 1, duplicates: 1 })
    await restart()
    expect(await (await post(ndjson(e))).json()).toMatchObject({ accepted: 1, duplicates: 1 })
    expect(stored().map((l) => l.id)).toEqual([e.id])
  })

  it('stores the line with the project and the time it was received; a line cannot claim another project', async () => {
    const e = event({ project: 'other' })
    await post(ndjson(e))
    const [line] = stored()
    expect(line).toMatchObject({ id: e.id, project: 'demo', name: e.name })
    expect(Date.parse(line.received_at)).toBeGreaterThan(Date.now() - 10_000)
  })

  it('streams accepted events to the live feed (Server-Sent Events) with the read key', async () => {
    const ac = new AbortController()
    const res = await fetch(`${base}/collect/live`, { signal: ac.signal, headers: { 'X-Read-Key': 'rk_demo_secret' } })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const e = event()
    const reading = readSse(res, (t) => t.includes(e.id))
    await post(ndjson(e))
    const text = await reading
    expect(text).toMatch(new RegExp(`id: 1-\\d+\\ndata: \\{"id":"${e.id}"`))
    ac.abort()
  })

  it('GET /collect/health answers without a key and says nothing about the data', async () => {
    const res = await fetch(`${base}/collect/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, clickhouse: 'off' })
  })

  it('serves the demo page with the generated snippet; the demo URL carries the read key', async () => {
    const html = await (await fetch(`${base}/demo.html`)).text()
    expect(html).toContain('"/lumina.min.js"')
    expect(html).toContain('sha384-')
    expect(html).not.toContain('LUMINA_SNIPPET -->')
  })
})

describe('collector: gzip bodies', () => {
  it('accepts Content-Encoding: gzip', async () => {
    const e = event()
    const res = await post(gzipSync(ndjson(e, event())), { headers: { 'Content-Encoding': 'gzip' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ accepted: 2 })
    expect(stored().map((l) => l.id)).toContain(e.id)
  })

  it('the 1 MB size limit applies after decompression', async () => {
    const body = gzipSync(ndjson(event({ pad: 'ab'.repeat(600_000) }))) // ~1.2 MB inflated, a few KB on the wire
    expect(body.length).toBeLessThan(1 << 20)
    const res = await post(body, { headers: { 'Content-Encoding': 'gzip' } })
    expect(res.status).toBe(413)
    expect((await res.json()).error).toMatch(/after decompression|ratio/)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('zip bomb: 64 MB of zeros in ~64 KB of gzip is refused at the ratio limit, without inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(64 << 20), { level: 9 })
    const before = process.memoryUsage().rss
    const res = await post(bomb, { headers: { 'Content-Encoding': 'gzip' } })
    expect(res.status).toBe(413)
    expect(process.memoryUsage().rss - before).toBeLessThan(200 << 20)
  }, 30_000)

  it('a small body inflating past the ratio limit (100x) is refused', async () => {
    const lines = ndjson(...Array.from({ length: 4000 }, () => event({ id: '00000000-0000-4000-8000-000000000000' }))) // compresses ~1000x
    const gz = gzipSync(lines, { level: 9 })
    expect(lines.length / gz.length).toBeGreaterThan(100)
    expect(lines.length).toBeLessThan(1 << 20)
    const res = await post(gz, { headers: { 'Content-Encoding': 'gzip' } })
    expect(res.status).toBe(413)
    expect((await res.json()).error).toMatch(/ratio/)
  })

  it('a corrupt gzip body is a 400; an unknown encoding a 415', async () => {
    expect((await post(Buffer.from('not gzip at all'), { headers: { 'Content-Encoding': 'gzip' } })).status).toBe(400)
    expect((await post(ndjson(event()), { headers: { 'Content-Encoding': 'br' } })).status).toBe(415)
  })
})

describe('event schema', () => {
  it('rejects what the contract forbids', () => {
    expect(validate(event())).toBe(true)
    expect(validate(event({ source: 'web' }))).toBe(false)
    expect(validate(event({ name: 'turn' }))).toBe(false) // a turn without its fields
    expect(validate(event({ session_id: '0'.repeat(32) }))).toBe(false)
    expect(validate(event({ ts: 'yesterday' }))).toBe(false)
    expect(validate({ ...event(), id: undefined })).toBe(false)
  })

  it('a turn may carry cost_usd (number or null) and cost_source', () => {
    expect(validate(turn({ cost_usd: 0.01, cost_source: 'sdk' }))).toBe(true)
    expect(validate(turn({ cost_usd: null, cost_source: null }))).toBe(true)
    expect(validate(turn({ cost_usd: -1 }))).toBe(false)
    expect(validate(turn({ cost_usd: '0.01' }))).toBe(false)
  })
})
