// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error plain ESM module without types
import { startDemo } from '../../demo/server.mjs'
// @ts-expect-error plain ESM module without types
import { validate } from '../../collector/collector.mjs'

let dataDir: string
let demo: { port: number; close(): Promise<void> }
let base: string

const event = (over: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  source: 'sdk',
  name: 'chat_input_started',
  ts: new Date().toISOString(),
  distinct_id: 'anon_x',
  sdk: { name: 'luminasdk', version: '0.1.0' },
  ...over,
})
const ndjson = (...events: object[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n'
const post = (body: string, { key = 'demo', query = false, type = 'application/x-ndjson' } = {}) =>
  fetch(`${base}/collect/sdk/events${query ? `?key=${key}` : ''}`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': type, ...(query ? {} : { 'X-Api-Key': key }) },
  })

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lumina-collector-'))
  demo = await startDemo({ port: 0, dataDir, writeKeys: ['demo', 'second'], quiet: true })
  base = `http://127.0.0.1:${demo.port}`
})
afterEach(async () => {
  await demo.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('collector', () => {
  it('accepts the header key or ?key=, NDJSON or text/plain; refuses an unknown key with 401', async () => {
    expect((await post(ndjson(event()))).status).toBe(200)
    expect((await post(ndjson(event()), { key: 'second', query: true, type: 'text/plain;charset=UTF-8' })).status).toBe(200)
    expect((await post(ndjson(event()), { key: 'wrong' })).status).toBe(401)
    expect((await fetch(`${base}/collect/sdk/events`, { method: 'POST', body: ndjson(event()) })).status).toBe(401)
    expect((await post(ndjson(event()), { type: 'image/png' })).status).toBe(415)
  })

  it('CORS on every response, errors included; preflight 204 with the header list and a max age', async () => {
    const pre = await fetch(`${base}/collect/sdk/events`, { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Headers': 'x-api-key, content-type' } })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-headers')).toBe('Content-Type, X-Api-Key')
    expect(Number(pre.headers.get('access-control-max-age'))).toBeGreaterThan(0)
    for (const res of [await post(ndjson(event())), await post('nonsense'), await post('x', { key: 'bad' }), await post('x'.repeat((1 << 20) + 10))]) {
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
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] })
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
    await demo.close()
    demo = await startDemo({ port: 0, dataDir, writeKeys: ['demo'], quiet: true })
    base = `http://127.0.0.1:${demo.port}`
    expect(await (await post(ndjson(e))).json()).toMatchObject({ accepted: 1, duplicates: 1 })
    const stored = readFileSync(join(dataDir, 'events.ndjson'), 'utf8').trim().split('\n')
    expect(stored.map((l) => JSON.parse(l).id)).toEqual([e.id])
  })

  it('streams accepted events to the live feed (Server-Sent Events)', async () => {
    const ac = new AbortController()
    const res = await fetch(`${base}/collect/live`, { signal: ac.signal })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const e = event()
    await post(ndjson(e))
    let text = ''
    while (!text.includes(e.id)) text += new TextDecoder().decode((await reader.read()).value)
    expect(text).toContain(`data: {"id":"${e.id}"`)
    ac.abort()
  })

  it('serves the demo page with the generated snippet', async () => {
    const html = await (await fetch(`${base}/demo.html`)).text()
    expect(html).toContain('"/lumina.min.js"')
    expect(html).toContain('sha384-')
    expect(html).not.toContain('LUMINA_SNIPPET -->')
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
})
