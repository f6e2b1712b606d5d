// Issue 12's delivery faults (items 2, 7, 10-15) and gzip batches (issue 16): each test is
// named for the fault and fails on the code before its fix.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { gunzipSync } from 'node:zlib'
import { fakeBrowser, oneTurn, tick, zlibGzip } from '../helpers'
import { createOutbox, DROPPED_KEY, OUTBOX_KEY } from '../../src/outbox'
import { createTransport } from '../../src/transport'
import { createPageHide } from '../../src/page-hide'
import { envelope, serialize } from '../../src/event'
import { resolveConfig, type ResolvedConfig } from '../../src/config'
import { webStore } from '../../src/lib/storage'
import { MemoryStorage } from '../helpers'
import type { Platform } from '../../src/types'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

type Browser = ReturnType<typeof fakeBrowser>
const outboxLines = (b: Browser) => (b.local.map.get(OUTBOX_KEY) || '').split('\n').filter(Boolean)
const reported = (b: Browser) => b.net.events().filter((e) => e.name == 'dropped')
const sum = (ns: number[]) => ns.reduce((a, n) => a + n, 0)
/** Distinct turns the collector stored. */
const arrivedTurns = (b: Browser) =>
  new Set(
    b.net
      .events()
      .filter((e) => e.name == 'turn')
      .map((e) => e.turn_id),
  ).size

describe('item 2: one bad event never stops the others or the hide path', () => {
  it('serialising never throws: a BigInt, a cycle, a throwing getter or a revoked Proxy costs only its field', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    const event = envelope(
      'turn',
      {
        model: 10n,
        provider: cyclic,
        annotations: {
          get bad() {
            throw new Error('getter')
          },
        },
        retrievals: revoked.proxy,
        status: 'ok',
      },
      Date.now(),
      'anon_x',
      undefined,
    )
    let line = ''
    expect(() => (line = serialize(event))).not.toThrow()
    const parsed = JSON.parse(line)
    expect(line.startsWith(`{"id":"${event.id}"`)).toBe(true)
    expect(parsed).toMatchObject({ name: 'turn', model: '10', status: 'ok', provider: { a: 1, self: '[circular]' } })
    expect(parsed.annotations).toEqual({ bad: '[unserializable]' })
    expect(parsed).not.toHaveProperty('retrievals')
  })

  it('a page-hide report that throws does not stop the other reports nor the outbox write', () => {
    const local = new MemoryStorage()
    const kv = webStore(() => local)
    const platform = {
      fetch: undefined,
      sendBeacon: () => false,
      now: Date.now,
      random: Math.random,
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (id: unknown) => clearTimeout(id as number),
      isOnline: () => true,
    } as unknown as Platform
    const config = resolveConfig({ writeKey: 'wk', endpoint: 'https://ingest.test' }) as ResolvedConfig
    const line = (n: number) => serialize(envelope('turn', { seq: n }, Date.now(), 'anon_x', undefined))
    const outbox = createOutbox(kv, Date.now, () => line(0))
    const transport = createTransport(config, platform, outbox, () => {})
    const hide = createPageHide(platform, outbox, transport, () => {})
    outbox._add(line(1), Date.now())
    hide._register(() => {
      throw new TypeError('Do not know how to serialize a BigInt')
    })
    hide._register(() => outbox._add(line(2), Date.now()))
    expect(() => hide._hide()).not.toThrow()
    expect((local.getItem(OUTBOX_KEY) || '').split('\n').map((l) => JSON.parse(l).seq)).toEqual([1, 2])
  })
})

describe('item 7: identify and flush never wait on a collector that does not answer', () => {
  it('await identify() resolves at once while the collector hangs', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 'hang'
    const lumina = b.sdk()
    let done = false
    lumina.identify('bob').then(() => (done = true))
    await tick(0)
    expect(done).toBe(true)
    expect(b.net.sent).toHaveLength(1) // it did start a send
  })

  it('a flush() during a failing round starts no new round at once: the gaps between rounds keep growing', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 'network'
    const lumina = b.sdk()
    await oneTurn(lumina)
    const times: number[] = []
    b.net.reply = () => {
      times.push(Date.now())
      return 'network'
    }
    const t0 = Date.now()
    for (let i = 0; i < 800; i++) {
      lumina.flush() // a page that flushes every 100 ms (each message, each route change)
      await tick(100)
    }
    // rounds of 4 attempts: a round starts after a gap of more than 3 s
    const starts = times.filter((t, i) => i == 0 || t - times[i - 1] > 3000).map((t) => t - t0)
    const gaps = starts.slice(1).map((t, i) => t - starts[i])
    expect(gaps.length).toBeGreaterThanOrEqual(3)
    for (let i = 1; i < gaps.length; i++) {
      expect(gaps[i]).toBeGreaterThan(gaps[i - 1])
    }
    expect(times.length).toBeLessThan(30) // without the fix: a round after every flush, ~250 requests
  })
})

describe('item 10: a line the ingest rejects is counted, never silently gone', () => {
  const answers: [string, (b: Browser) => string][] = [
    ['a list by line number', () => JSON.stringify({ accepted: 1, rejected: [{ line: 2, error: '/model must be string' }] })],
    ['a list by id', (b) => JSON.stringify({ accepted: 1, rejected: [{ id: b.net.sent[0].ids[1], reason: '/model must be string' }] })],
    ['a count', () => JSON.stringify({ accepted: 1, rejected: 1 })],
    ['a capped list with rejected_count', () => JSON.stringify({ accepted: 1, rejected: [], rejected_count: 1 })],
  ]
  it.each(answers)('200 listing a rejected line (%s): reported under debug and counted in the next dropped report', async (_, answer) => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const b = fakeBrowser()
    let first = true
    b.net.reply = () => {
      const body = first ? answer(b) : '{}'
      first = false
      return { status: 200, body }
    }
    const lumina = b.sdk({ debug: true })
    await oneTurn(lumina)
    await oneTurn(lumina)
    await lumina.flush()
    await oneTurn(lumina)
    await lumina.flush()
    expect(reported(b).map((e) => e.reasons)).toEqual([{ rejected: 1 }])
    expect(log.mock.calls.some((c) => c.includes('rejected by the ingest'))).toBe(true)
    log.mockRestore()
  })

  it('422 for a whole batch: every line counted as rejected, never resent', async () => {
    const b = fakeBrowser()
    b.net.reply = (req) => (req.events.some((e) => e.name == 'turn') ? 422 : 200)
    const lumina = b.sdk()
    await oneTurn(lumina)
    await oneTurn(lumina)
    await lumina.flush()
    await lumina.flush()
    expect(reported(b).map((e) => [e.dropped, e.reasons])).toEqual([[2, { rejected: 2 }]])
    expect(b.net.sent.filter((r) => r.events.some((e) => e.name == 'turn'))).toHaveLength(1)
  })
})

describe('item 11: outage accounting', () => {
  it('10,000 turns in a 30 s outage: arrived + reported dropped = turns made, and the stored outbox stays within its bound', async () => {
    const b = fakeBrowser()
    let down = true
    b.net.reply = () => (down ? 'network' : 200)
    b.net.beaconAccepts = false
    let mostLines = 0
    let mostChars = 0
    const setItem = b.local.setItem.bind(b.local)
    b.local.setItem = (key: string, value: string) => {
      if (key == OUTBOX_KEY) {
        mostLines = Math.max(mostLines, value.split('\n').length)
        mostChars = Math.max(mostChars, value.length)
      }
      setItem(key, value)
    }
    const lumina = b.sdk()
    const s = await lumina.session.start()
    for (let i = 0; i < 10_000; i++) {
      const turn = s.turn()
      turn.setMessages([{ role: 'user', content: 'message ' + i }])
      turn.finish()
      if (i % 100 == 99) {
        await tick(300)
      } // 30 s in all
      if (i % 2500 == 1249) {
        b.hide() // tab switches during the outage
        b.show()
      }
    }
    down = false
    await tick(600_000)
    await lumina.flush()
    const dropped = sum(reported(b).map((e) => e.dropped))
    expect(arrivedTurns(b) + dropped).toBe(10_000)
    expect(arrivedTurns(b)).toBeGreaterThanOrEqual(999)
    expect(mostLines).toBeLessThanOrEqual(1000)
    expect(mostChars).toBeLessThanOrEqual(1 << 20)
    // nothing evicted comes back: storage is empty once everything is confirmed
    expect(outboxLines(b)).toHaveLength(0)
    // a later load reports nothing more
    b.reload()
    b.sdk()
    await tick(1000)
    expect(sum(reported(b).map((e) => e.dropped))).toBe(dropped)
  })

  it('lines evicted from memory are evicted from storage too: not sent again by the next load', async () => {
    const b = fakeBrowser()
    b.setOnline(false)
    b.net.reply = () => 'network'
    b.net.beaconAccepts = false
    const lumina = b.sdk()
    const s = await lumina.session.start()
    for (let i = 0; i < 600; i++) {
      await s.turn().finish()
    }
    b.hide() // 600 stored
    b.show()
    for (let i = 0; i < 600; i++) {
      await s.turn().finish()
    } // the first 200 evicted from memory
    b.hide()
    expect(outboxLines(b).length).toBeLessThanOrEqual(1000)
    b.reload()
    b.net.reply = () => 200
    b.setOnline(true)
    b.sdk()
    await tick(1000)
    expect(arrivedTurns(b)).toBe(1000)
    expect(sum(reported(b).map((e) => e.dropped))).toBe(200)
  })

  it('an expired line is reported once, not on every load', async () => {
    const b = fakeBrowser()
    const old = JSON.stringify({
      id: '11111111-1111-4111-8111-111111111111',
      source: 'sdk',
      name: 'turn',
      ts: new Date(Date.now() - 8 * 864e5).toISOString(),
    })
    b.local.setItem(OUTBOX_KEY, old)
    for (let load = 0; load < 3; load++) {
      const lumina = b.sdk()
      await oneTurn(lumina)
      await lumina.flush()
      b.reload()
    }
    expect(reported(b).map((e) => e.reasons)).toEqual([{ expired: 1 }])
  })

  it('the dropped report is never evicted by the bound', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 'network'
    const lumina = b.sdk()
    const s = await lumina.session.start()
    for (let i = 0; i < 1010; i++) {
      s.turn().finish()
    }
    await tick(10_000) // the round at 5 s failed: the report of 10 is now the head of the queue
    for (let i = 0; i < 1500; i++) {
      s.turn().finish()
    } // the bound evicts 1,500 more
    b.net.reply = () => 200
    await tick(600_000)
    await lumina.flush()
    // the report holds one of the 1,000 places: 999 turns arrive, 1,511 are reported
    expect(arrivedTurns(b) + sum(reported(b).map((e) => e.dropped))).toBe(2510)
    expect(reported(b)[0].dropped).toBe(10)
  })
})

describe('item 12: storage nearly full', () => {
  it('the hide path keeps what fits and counts what it cuts: 300 turns all accounted for', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 'network'
    b.net.beaconAccepts = false
    b.local.setItem('site_data', 'x'.repeat(100_000))
    b.local.quota = 160_000 // room for about a quarter of the turns
    const lumina = b.sdk({ flushIntervalMs: 600_000 })
    const s = await lumina.session.start()
    for (let i = 0; i < 300; i++) {
      const turn = s.turn()
      turn.annotate({ pad: 'p'.repeat(150) })
      turn.finish()
    }
    b.hide()
    const stored = outboxLines(b).length
    expect(stored).toBeGreaterThan(0)
    expect(stored).toBeLessThan(300)
    b.reload() // the page is gone
    b.net.reply = () => 200
    b.sdk()
    await tick(1000)
    expect(arrivedTurns(b) + sum(reported(b).map((e) => e.dropped))).toBe(300)
    expect(reported(b)[0].reasons).toEqual({ storage: 300 - stored })
  })
})

describe('item 13: Retry-After never shortens the backoff', () => {
  it.each(['0', new Date(Date.now() - 60_000).toUTCString()])('Retry-After %s: no faster than the backoff (5 s, doubling)', async (retryAfter) => {
    const b = fakeBrowser()
    b.net.reply = () => ({ status: 503, headers: { 'Retry-After': retryAfter } })
    const lumina = b.sdk()
    await oneTurn(lumina)
    lumina.flush()
    await tick(4900)
    expect(b.net.sent).toHaveLength(1)
    await tick(60_000 - 4900)
    expect(b.net.sent.length).toBeLessThanOrEqual(4) // 0, 5, 15, 35 s
  })
})

describe('item 14: events handed to sendBeacon while offline', () => {
  it('are sent again by the page when the network returns', async () => {
    const b = fakeBrowser()
    const beaconed: string[] = []
    b.setOnline(false)
    b.net.reply = () => 'network'
    // offline: the beacon is queued (true) and never leaves
    const lumina = b.sdk(
      {},
      {
        sendBeacon: (_url, body) => {
          beaconed.push(body)
          return true
        },
      },
    )
    const turn = await oneTurn(lumina)
    b.hide()
    await tick(0)
    expect(beaconed).toHaveLength(1)
    b.show()
    b.net.reply = () => 200
    b.setOnline(true)
    await tick(0)
    await lumina.flush()
    expect(b.net.events().filter((e) => e.turn_id == turn.turnId)).toHaveLength(1)
    expect(outboxLines(b)).toHaveLength(0)
  })
})

describe('item 15: a drop count is reported once across tabs', () => {
  it("a count another tab claimed is not brought back from the storage helper's memory", async () => {
    const a = fakeBrowser()
    a.net.reply = () => 'network'
    a.net.beaconAccepts = false
    a.setOnline(false)
    const tabA = a.sdk()
    const s = await tabA.session.start()
    for (let i = 0; i < 1003; i++) {
      s.turn().finish()
    }
    a.hide() // hands { bound: 3 } to localStorage
    a.show()
    const b = fakeBrowser(a.local) // a second tab claims and reports it
    const tabB = b.sdk()
    await oneTurn(tabB)
    await tabB.flush()
    // 3, and 1 more: B took over A's 1,000 stored lines, and its own turn pushed one out
    expect(reported(b).map((e) => e.reasons)).toEqual([{ bound: 4 }])
    a.net.reply = () => 200
    a.setOnline(true)
    await tick(1000)
    await tabA.flush()
    expect(reported(a)).toHaveLength(0)
    expect(a.local.getItem(DROPPED_KEY)).toBeNull()
  })
})

describe('issue 16: gzip batches', () => {
  it('normal-path batches go gzip-compressed with Content-Encoding: gzip; the page-hide path stays plain', async () => {
    const b = fakeBrowser()
    const bodies: unknown[] = []
    const fetch = b.net.fetch
    const lumina = b.sdk(
      {},
      {
        gzip: zlibGzip,
        fetch: (u, init) => {
          bodies.push(init!.body)
          return fetch(u, init)
        },
      },
    )
    await oneTurn(lumina)
    await lumina.flush()
    expect(b.net.sent[0].headers).toEqual({ 'Content-Type': 'application/x-ndjson', 'X-Api-Key': 'wk_test', 'Content-Encoding': 'gzip' })
    expect(JSON.parse(gunzipSync(Buffer.from(bodies[0] as ArrayBuffer)).toString()).name).toBe('turn')
    await oneTurn(lumina)
    b.hide()
    await tick(0)
    expect(b.net.sent[1].headers).toEqual({ 'Content-Type': 'text/plain;charset=UTF-8' })
    expect(typeof bodies[1]).toBe('string')
    expect(b.net.delivered()).toHaveLength(2)
  })

  it('without CompressionStream batches go plain', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({}, { gzip: undefined })
    await oneTurn(lumina)
    await lumina.flush()
    expect(b.net.sent[0].headers).toEqual({ 'Content-Type': 'application/x-ndjson', 'X-Api-Key': 'wk_test' })
  })

  it.each([415, 400, 'network'] as const)(
    'an ingest that cannot take gzip (%s) gets the batch plain at once, and later batches plain',
    async (refusal) => {
      const b = fakeBrowser()
      b.net.reply = (req) => (req.headers['Content-Encoding'] ? refusal : 200)
      const lumina = b.sdk({}, { gzip: zlibGzip })
      await oneTurn(lumina)
      const done = lumina.flush()
      await tick(1000)
      await done
      await oneTurn(lumina)
      await lumina.flush()
      expect(b.net.sent.map((r) => !!r.headers['Content-Encoding'])).toEqual([true, false, false])
      expect(b.net.delivered()).toHaveLength(2)
      expect(reported(b)).toHaveLength(0)
    },
  )
})
