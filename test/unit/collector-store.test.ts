// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error plain ESM module without types
import { openStore } from '../../collector/store.mjs'
// @ts-expect-error plain ESM module without types
import { createDedupeIndex, DEDUPE_DAYS } from '../../collector/dedupe.mjs'
// @ts-expect-error plain ESM module without types
import { parseBatch } from '../../collector/ingest.mjs'
// @ts-expect-error plain ESM module without types
import { costOf, COST_SOURCE } from '../../collector/pricing.mjs'
import { event, ndjson, turn } from '../ingest/events'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lumina-store-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const stored = (...events: object[]) => parseBatch(ndjson(...events), { project: 'p', receivedMs: Date.now() }).events
const all = async (it: AsyncIterable<any>) => {
  const out = []
  for await (const x of it) {
    out.push(x)
  }
  return out
}

describe('store', () => {
  it('rotates into bounded segments and scans them in order, one project at a time', async () => {
    const store = openStore({ dir, segmentBytes: 4096 })
    const mine = Array.from({ length: 60 }, () => event({ pad: 'x'.repeat(200) }))
    for (let i = 0; i < mine.length; i += 6) {
      await store.append(stored(...mine.slice(i, i + 6)))
    }
    await store.append(parseBatch(ndjson(event()), { project: 'q', receivedMs: Date.now() }).events)
    const files = readdirSync(join(dir, 'events'))
    expect(files.length).toBeGreaterThan(5)
    for (const f of files) {
      expect(readFileSync(join(dir, 'events', f)).length).toBeLessThanOrEqual(4096 + 6 * 500)
    }
    expect((await all(store.scan({ project: 'p' }))).map((e) => e.id)).toEqual(mine.map((e) => e.id))
    expect(await all(store.scan({ project: 'q' }))).toHaveLength(1)
    await store.close()
  })

  it('scan with sinceMs finds an event whose ts runs ahead of the collector clock (a client clock hours fast)', async () => {
    let clock = Date.parse('2026-11-01T10:00:00.000Z')
    const store = openStore({ dir, segmentBytes: 1024, now: () => clock })
    const ahead = event({ ts: '2026-11-01T15:00:00.000Z' }) // received at 10:00, the client says 15:00
    await store.append(parseBatch(ndjson(ahead), { project: 'p', receivedMs: clock }).events)
    clock += 3600_000
    await store.append(parseBatch(ndjson(event({ pad: 'x'.repeat(2000) })), { project: 'p', receivedMs: clock }).events)
    expect(readdirSync(join(dir, 'events')).length).toBe(2)
    const got = await all(store.scan({ project: 'p', sinceMs: Date.parse('2026-11-01T14:00:00.000Z') }))
    expect(got.map((e) => e.id)).toContain(ahead.id)
    await store.close()
  })

  it('scan bounds the event time: [sinceMs, untilMs)', async () => {
    const store = openStore({ dir })
    const t = Date.parse('2026-11-01T00:00:00.000Z')
    const evs = [0, 1, 2, 3].map((h) => event({ ts: new Date(t + h * 3600_000).toISOString() }))
    await store.append(stored(...evs))
    const got = await all(store.scan({ project: 'p', sinceMs: t + 3600_000, untilMs: t + 3 * 3600_000 }))
    expect(got.map((e) => e.id)).toEqual([evs[1].id, evs[2].id])
    await store.close()
  })

  it('a torn last line (killed mid-write) is cut at restart; the lines before it stay, and dedupe still knows them', async () => {
    let store = openStore({ dir })
    const [a, b] = [event(), event()]
    await store.append(stored(a, b))
    await store.close()
    const [file] = readdirSync(join(dir, 'events'))
    appendFileSync(join(dir, 'events', file), '{"id":"half a li')
    store = openStore({ dir })
    await store.ready
    expect(readFileSync(join(dir, 'events', file), 'utf8').endsWith('}\n')).toBe(true)
    expect(await store.append(stored(a, event()))).toMatchObject({ duplicates: 1 })
    expect(await all(store.scan({ project: 'p' }))).toHaveLength(3)
    await store.close()
  })

  it('group commit: concurrent appends share fsyncs, and each resolves with its own position', async () => {
    const store = openStore({ dir })
    await store.ready
    const results = await Promise.all(Array.from({ length: 50 }, () => store.append(stored(event()))))
    expect(store.log.stats.appends).toBe(50)
    expect(store.log.stats.fsyncs).toBeLessThan(50)
    expect(new Set(results.map((r: any) => r.stored[0].position)).size).toBe(50)
    await store.close()
  })

  it('a duplicate inside one batch, or racing in another request before the first is on disk, is stored once', async () => {
    const store = openStore({ dir })
    const e = event()
    const [r1, r2] = await Promise.all([store.append(stored(e, e)), store.append(stored(e))])
    expect(r1.stored.length + r2.stored.length).toBe(1)
    expect(await all(store.scan({ project: 'p' }))).toHaveLength(1)
    await store.close()
  })
})

describe('dedupe index', () => {
  const DAY = 86_400_000
  it(`remembers ids for ${DEDUPE_DAYS} UTC days, then forgets them`, () => {
    const index = createDedupeIndex()
    const id = crypto.randomUUID()
    expect(index.covers(Date.now() - 7 * DAY)).toBe(true)
    expect(index.covers(Date.now() - DEDUPE_DAYS * DAY)).toBe(false)
    index.add(id, Date.now() - 7 * DAY)
    expect(index.has(id)).toBe(true)
    for (let d = 6; d >= 0; d--) {
      index.add(crypto.randomUUID(), Date.now() - d * DAY)
    }
    expect(index.has(id)).toBe(true)
    expect(index.stats().days).toBe(8)
  })

  it('memory is bounded: past maxIds the oldest day is forgotten, never the newest', () => {
    const logs: string[] = []
    const index = createDedupeIndex({ maxIds: 10_000, log: (m: string) => logs.push(m) })
    const old = Array.from({ length: 6000 }, () => crypto.randomUUID())
    for (const id of old) {
      index.add(id, Date.now() - DAY)
    }
    const fresh = Array.from({ length: 6000 }, () => crypto.randomUUID())
    for (const id of fresh) {
      index.add(id, Date.now())
    }
    expect(index.stats().ids).toBeLessThanOrEqual(10_000)
    expect(fresh.every((id) => index.has(id))).toBe(true)
    expect(old.some((id) => index.has(id))).toBe(false)
    expect(logs.join()).toMatch(/forgetting ids/)
    expect(index.stats().bytes).toBeLessThanOrEqual(8 * 16384 * 2)
  })

  it('structured ids (a counter in any part of the UUID) never collide', () => {
    const index = createDedupeIndex()
    const hex = (n: number, w: number) => n.toString(16).padStart(w, '0')
    const shapes = [
      (n: number) => `${hex(n, 8)}-0000-4000-8000-000000000000`,
      (n: number) => `00000000-0000-4000-8000-${hex(n, 12)}`,
      (n: number) => `00000000-${hex(n >> 16, 4)}-${hex(n & 0xffff, 4)}-8000-000000000000`,
    ]
    for (const shape of shapes) {
      for (let n = 1; n <= 20_000; n++) {
        index.add(shape(n), Date.now())
      }
    }
    expect(index.stats().ids).toBe(60_000)
    expect(index.has(shapes[1](20_001))).toBe(false)
  }, 30_000)

  it('100,000 ids: no false duplicate, ~16 bytes each', () => {
    const index = createDedupeIndex()
    const ids = Array.from({ length: 100_000 }, () => crypto.randomUUID())
    for (const id of ids) {
      index.add(id, Date.now())
    }
    expect(ids.every((id) => index.has(id))).toBe(true)
    expect(Array.from({ length: 100_000 }, () => crypto.randomUUID()).filter((id) => index.has(id))).toEqual([])
    expect(index.stats().bytes / 100_000).toBeLessThan(24)
  }, 30_000)
})

describe('cost per turn at ingest', () => {
  it('a known model with usage is priced from the table, with its source', () => {
    expect(costOf(turn({ model: 'gpt-4o', usage: { input_tokens: 1000, output_tokens: 100 } }))).toEqual({
      cost_usd: 0.0035,
      cost_source: COST_SOURCE,
    })
    expect(COST_SOURCE).toMatch(/^genai-prices@\d+\.\d+\.\d+$/)
  })
  it('an unknown model gives null, not 0', () => {
    expect(costOf(turn({ model: 'my-finetune-7', usage: { input_tokens: 1000, output_tokens: 100 } }))).toEqual({ cost_usd: null, cost_source: null })
  })
  it('a turn without usage or model is unpriced', () => {
    expect(costOf(turn({ usage: undefined }))).toEqual({ cost_usd: null, cost_source: null })
    expect(costOf(turn({ model: undefined }))).toEqual({ cost_usd: null, cost_source: null })
  })
  it('a cost the SDK sent wins', () => {
    expect(costOf(turn({ cost_usd: 0.5 }))).toEqual({ cost_usd: 0.5, cost_source: 'sdk' })
  })
  it('a free-text provider the table does not know still prices a known model', () => {
    expect(costOf(turn({ provider: 'My Gateway', model: 'gpt-4o' })).cost_usd).toBe(0.0035)
  })
  it('stored turns carry the fields; other events do not', () => {
    const [t, e] = stored(turn(), event())
    expect(t).toMatchObject({ cost_usd: 0.0035, cost_source: COST_SOURCE })
    expect('cost_usd' in e).toBe(false)
  })
})
