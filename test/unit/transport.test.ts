import { describe, expect, it, vi } from 'vitest'
import { fakeBrowser, oneTurn, tick } from '../helpers'
import { OUTBOX_KEY } from '../../src/outbox'

const outboxLines = (b: ReturnType<typeof fakeBrowser>) => (b.local.map.get(OUTBOX_KEY) || '').split('\n').filter(Boolean)
/** flush() with fake time running, for flushes that wait through retries. */
const flushFor = async (lumina: { flush(): Promise<void> }, ms: number) => {
  const done = lumina.flush()
  await tick(ms)
  await done
}
const countById = (ids: string[]) =>
  ids.reduce<Record<string, number>>((m, id) => {
    m[id] = (m[id] || 0) + 1
    return m
  }, {})

describe('normal flush', () => {
  it('posts NDJSON with the key header, without credentials, on the timer', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ flushIntervalMs: 1000 })
    await oneTurn(lumina)
    expect(b.net.sent).toHaveLength(0)
    await tick(1000)
    expect(b.net.sent).toHaveLength(1)
    const [req] = b.net.sent
    expect(req.url).toBe('https://ingest.test/collect/sdk/events')
    expect(req.headers).toEqual({ 'Content-Type': 'application/x-ndjson', 'X-Api-Key': 'wk_test' })
    const init = (b.net.fetch as any).mock.calls[0][1]
    expect(init.credentials).toBe('omit')
    expect(req.body.endsWith('\n')).toBe(true)
    expect(req.events[0]).toMatchObject({ source: 'sdk', name: 'turn', status: 'ok', model: 'gpt-test', prompt_id: 'p1' })
  })

  it('sends as soon as the queue passes maxBatchBytes, in batches no larger than it', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ maxBatchBytes: 4000, flushIntervalMs: 60_000 })
    for (let i = 0; i < 12; i++) {
      await oneTurn(lumina, (t) => t.annotate({ pad: 'x'.repeat(500) }))
    }
    await tick(0)
    expect(b.net.sent.length).toBeGreaterThan(0)
    await lumina.flush()
    for (const r of b.net.sent) {
      expect(new TextEncoder().encode(r.body).length).toBeLessThanOrEqual(4000)
    }
    expect(b.net.delivered()).toHaveLength(12)
  })

  it('flush() sends everything queued and resolves', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    await oneTurn(lumina)
    await oneTurn(lumina)
    await lumina.flush()
    expect(b.net.delivered()).toHaveLength(2)
    expect(b.net.sent).toHaveLength(1)
  })

  it('keeps one request in flight at a time', async () => {
    const b = fakeBrowser()
    let inFlight = 0
    let most = 0
    const realFetch = b.net.fetch
    const lumina = b.sdk(
      { maxBatchBytes: 1024 },
      {
        fetch: async (u, i) => {
          most = Math.max(most, ++inFlight)
          await new Promise((r) => setTimeout(r, 50))
          inFlight--
          return realFetch(u, i)
        },
      },
    )
    for (let i = 0; i < 6; i++) {
      await oneTurn(lumina, (t) => t.annotate({ pad: 'y'.repeat(600) }))
    }
    lumina.flush()
    await tick(2000)
    expect(most).toBe(1)
    expect(b.net.delivered()).toHaveLength(6)
  })
})

describe('faults', () => {
  it('network down then back: each event arrives once', async () => {
    const b = fakeBrowser()
    let down = true
    b.net.reply = () => (down ? 'network' : 200)
    const lumina = b.sdk()
    await oneTurn(lumina)
    await oneTurn(lumina)
    await flushFor(lumina, 2500) // 1 + 3 fast retries, then backoff
    expect(b.net.sent).toHaveLength(4)
    expect(b.net.delivered()).toHaveLength(0)
    expect(outboxLines(b)).toHaveLength(2) // back at the head of the persisted queue
    await oneTurn(lumina)
    down = false
    await tick(5_000 * 1.2)
    await lumina.flush()
    const counts = countById(b.net.delivered())
    expect(Object.keys(counts)).toHaveLength(3)
    expect(Object.values(counts).every((n) => n == 1)).toBe(true)
    expect(outboxLines(b)).toHaveLength(0)
  })

  it('500 ×3 then 200: delivered once, on the fourth attempt, with the same ids', async () => {
    const b = fakeBrowser()
    let calls = 0
    b.net.reply = () => (++calls <= 3 ? 500 : 200)
    const lumina = b.sdk()
    await oneTurn(lumina)
    const start = Date.now()
    const done = lumina.flush()
    while (b.net.sent.length < 4) {
      await tick(10)
    }
    const took = Date.now() - start
    await done
    expect(b.net.sent).toHaveLength(4)
    expect(new Set(b.net.sent.map((r) => r.ids[0])).size).toBe(1)
    expect(b.net.delivered()).toHaveLength(1)
    // 300 + 600 + 900 ms, each ±20%
    expect(took).toBeGreaterThanOrEqual(0.8 * 1800)
    expect(took).toBeLessThanOrEqual(1.2 * 1800 + 10)
  })

  it('backoff doubles from 5 s after each failed round', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 500
    const lumina = b.sdk()
    await oneTurn(lumina)
    await flushFor(lumina, 2500)
    const rounds: number[] = []
    for (let i = 0; i < 3; i++) {
      const before = b.net.sent.length
      const t0 = Date.now()
      while (b.net.sent.length == before) {
        await tick(100)
      }
      rounds.push(Date.now() - t0)
      await tick(3000) // let the fast retries of this round finish
    }
    expect(rounds[0]).toBeGreaterThanOrEqual(5000 - 2000)
    expect(rounds[1]).toBeGreaterThanOrEqual(10_000 - 3100)
    expect(rounds[2]).toBeGreaterThanOrEqual(20_000 - 3100)
  })

  it('429 with Retry-After waits that long, then sends', async () => {
    const b = fakeBrowser()
    let calls = 0
    b.net.reply = () => (++calls == 1 ? { status: 429, headers: { 'Retry-After': '7' } } : 200)
    const lumina = b.sdk()
    await oneTurn(lumina)
    await lumina.flush()
    expect(b.net.sent).toHaveLength(1)
    await tick(6900)
    expect(b.net.sent).toHaveLength(1)
    await tick(200)
    expect(b.net.sent).toHaveLength(2)
    expect(b.net.delivered()).toHaveLength(1)
  })

  it('413 splits the batch until it fits', async () => {
    const b = fakeBrowser()
    b.net.reply = (req) => (req.ids.length > 2 ? 413 : 200)
    const lumina = b.sdk()
    for (let i = 0; i < 7; i++) {
      await oneTurn(lumina)
    }
    await lumina.flush()
    expect(b.net.sent[0].ids).toHaveLength(7)
    const counts = countById(b.net.delivered())
    expect(Object.keys(counts)).toHaveLength(7)
    expect(Object.values(counts).every((n) => n == 1)).toBe(true)
  })

  it('413, then the first half fails: the second half is not stranded, everything arrives once', async () => {
    const b = fakeBrowser()
    let down = true
    b.net.reply = (req) => (req.ids.length > 2 ? 413 : down ? 503 : 200)
    const lumina = b.sdk()
    for (let i = 0; i < 4; i++) {
      await oneTurn(lumina)
    }
    await flushFor(lumina, 5_000) // 413, then the first half: 503 four times, back off
    down = false
    await tick(60_000) // the backoff timer sends what waits
    const counts = countById(b.net.delivered())
    expect(Object.keys(counts)).toHaveLength(4)
    expect(Object.values(counts).every((n) => n == 1)).toBe(true)
  })

  it('400 is not retried: the batch is dropped, and counted as rejected', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 400
    const lumina = b.sdk({ debug: false })
    await oneTurn(lumina)
    await lumina.flush()
    await tick(60_000)
    const turns = b.net.sent.filter((r) => r.events.some((e) => e.name == 'turn'))
    expect(turns).toHaveLength(1)
    // the count goes out next; its own 400 is not counted again (it would report itself forever)
    expect(b.net.sent.map((r) => r.events[0].name)).toEqual(['turn', 'dropped'])
    expect(b.net.sent[1].events[0]).toMatchObject({ dropped: 1, reasons: { rejected: 1 } })
    expect(outboxLines(b)).toHaveLength(0)
  })

  it('401 pauses sending and warns once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const b = fakeBrowser()
    b.net.reply = () => 401
    const lumina = b.sdk()
    await oneTurn(lumina)
    await lumina.flush()
    await oneTurn(lumina)
    await lumina.flush()
    await tick(600_000)
    expect(b.net.sent).toHaveLength(1)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(outboxLines(b)).toHaveLength(1) // kept for a later page with a working key
    warn.mockRestore()
  })

  it('offline: waits for the online event instead of retrying', async () => {
    const b = fakeBrowser()
    b.setOnline(false)
    const lumina = b.sdk()
    await oneTurn(lumina)
    await tick(60_000)
    expect(b.net.sent).toHaveLength(0)
    b.setOnline(true)
    await tick(0)
    expect(b.net.delivered()).toHaveLength(1)
  })

  it('a request that hangs is timed out and retried', async () => {
    const b = fakeBrowser()
    let calls = 0
    b.net.reply = () => (++calls == 1 ? 'hang' : 200)
    const lumina = b.sdk()
    await oneTurn(lumina)
    lumina.flush()
    await tick(12_000)
    expect(b.net.delivered()).toHaveLength(1)
  })
})

describe('page hide', () => {
  it('writes the outbox first, then sends text/plain with ?key= and keepalive', async () => {
    const b = fakeBrowser()
    let outboxAtSend: string[] = []
    b.net.reply = () => {
      outboxAtSend = outboxLines(b)
      return 200
    }
    const lumina = b.sdk()
    await oneTurn(lumina)
    b.hide()
    expect(outboxAtSend).toHaveLength(1)
    const [req] = b.net.sent
    expect(req.url).toBe('https://ingest.test/collect/sdk/events?key=wk_test')
    expect(req.keepalive).toBe(true)
    expect(req.headers).toEqual({ 'Content-Type': 'text/plain;charset=UTF-8' })
    await tick(0)
    expect(outboxLines(b)).toHaveLength(0) // confirmed, so removed
  })

  it('sends line-aligned chunks of at most 32 KiB and at most 48 KiB in flight', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 'hang'
    const lumina = b.sdk({ flushIntervalMs: 600_000, maxBatchBytes: 10_000_000 })
    for (let i = 0; i < 20; i++) {
      await oneTurn(lumina, (t) => t.annotate({ pad: 'z'.repeat(5000) }))
    }
    b.hide()
    const sizes = b.net.sent.map((r) => new TextEncoder().encode(r.body).length)
    expect(sizes.every((s) => s <= 32 * 1024)).toBe(true)
    expect(sizes.reduce((a, s) => a + s, 0)).toBeLessThanOrEqual(48 * 1024)
    for (const r of b.net.sent) {
      for (const line of r.body.split('\n').filter(Boolean)) {
        expect(() => JSON.parse(line)).not.toThrow()
      }
    }
    expect(outboxLines(b)).toHaveLength(20) // all persisted, the rest waits for the next load
  })

  it('keepalive rejected and beacon refusing over quota: events stay for the next load', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 'network'
    b.net.beaconAccepts = false
    const lumina = b.sdk()
    await oneTurn(lumina)
    b.hide()
    await tick(0)
    expect(b.net.sendBeacon).toHaveBeenCalledTimes(1)
    expect(b.net.sendBeacon.mock.calls[0][0]).toBe('https://ingest.test/collect/sdk/events?key=wk_test')
    expect(outboxLines(b)).toHaveLength(1)
    // next load: the network works again
    b.reload()
    b.net.reply = () => 200
    b.sdk()
    await tick(0)
    expect(b.net.delivered()).toHaveLength(1)
    expect(outboxLines(b)).toHaveLength(0)
  })

  it('falls back to sendBeacon when keepalive fetch rejects', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 'network'
    const lumina = b.sdk()
    await oneTurn(lumina)
    b.hide()
    await tick(0)
    expect(b.net.delivered()).toHaveLength(1)
    expect(b.net.sent.map((r) => r.via)).toEqual(['fetch', 'beacon'])
  })

  it('hide then visible again: nothing is sent twice', async () => {
    const b = fakeBrowser()
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const realFetch = b.net.fetch
    const lumina = b.sdk(
      {},
      {
        fetch: async (u, i) => {
          await gate
          return realFetch(u, i)
        },
      },
    )
    await oneTurn(lumina)
    b.hide()
    b.pagehide() // both events fire on navigation; one send
    b.show()
    await oneTurn(lumina)
    lumina.flush()
    release()
    await tick(10_000)
    await lumina.flush()
    const counts = countById(b.net.delivered())
    expect(Object.keys(counts)).toHaveLength(2)
    expect(Object.values(counts).every((n) => n == 1)).toBe(true)
  })

  it('outbox resent on next load, then cleared', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 'hang'
    const first = b.sdk()
    await oneTurn(first)
    await oneTurn(first)
    b.hide()
    const ids = outboxLines(b).map((l) => JSON.parse(l).id)
    expect(ids).toHaveLength(2)
    b.reload()
    b.net.reply = () => 200
    b.sdk()
    await tick(0)
    expect(b.net.delivered().sort()).toEqual(ids.sort())
    expect(outboxLines(b)).toHaveLength(0)
  })

  it('a turn never finished is sent as incomplete when the page is hidden', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const s = await lumina.session.start()
    const turn = s.turn()
    turn.setMessages([{ role: 'user', content: 'hello' }])
    b.hide()
    await tick(0)
    const [event] = b.net.events()
    expect(event).toMatchObject({ name: 'turn', status: 'incomplete', turn_id: turn.turnId })
    b.hide() // hidden twice: still one incomplete report
    await tick(0)
    expect(b.net.events()).toHaveLength(1)
  })
})

describe('storage faults', () => {
  it('corrupt outbox JSON is skipped, good lines still sent', async () => {
    const b = fakeBrowser()
    const good = JSON.stringify({ id: '11111111-1111-4111-8111-111111111111', source: 'sdk', name: 'turn', ts: new Date().toISOString() })
    b.local.setItem(OUTBOX_KEY, `{not json\n${good}\n{"id":"x"`)
    b.sdk()
    await tick(0)
    expect(b.net.delivered()).toEqual(['11111111-1111-4111-8111-111111111111'])
  })

  it('localStorage throwing: events still go out over the network', async () => {
    const b = fakeBrowser()
    b.local.broken = true
    const lumina = b.sdk()
    await oneTurn(lumina)
    b.hide()
    await tick(0)
    expect(b.net.delivered()).toHaveLength(1)
  })

  it('localStorage full (QuotaExceededError): keeps the newest that fit, and counts what the hide path cuts', async () => {
    const b = fakeBrowser()
    b.local.quota = 3000
    b.net.reply = () => 'hang'
    b.net.beaconAccepts = false
    const lumina = b.sdk()
    for (let i = 0; i < 10; i++) {
      await oneTurn(lumina, (t) => t.annotate({ pad: 'q'.repeat(400) }))
    }
    expect(() => b.hide()).not.toThrow()
    const stored = outboxLines(b)
    expect(stored.length).toBeGreaterThan(0)
    expect(stored.length).toBeLessThan(10)
    expect(JSON.parse(b.local.getItem('lumina_dropped')!)).toEqual({ storage: 10 - stored.length })
  })
})

describe('bounds', () => {
  it('queue keeps the newest 1,000 events and reports what it dropped', async () => {
    const b = fakeBrowser()
    b.setOnline(false)
    const lumina = b.sdk()
    const s = await lumina.session.start()
    for (let i = 0; i < 1010; i++) {
      s.turn().finish()
    }
    b.setOnline(true)
    await tick(0)
    await lumina.flush()
    const events = b.net.events()
    const dropped = events.filter((e) => e.name == 'dropped')
    expect(dropped).toHaveLength(1)
    expect(dropped[0].dropped).toBe(10)
    const seqs = events.filter((e) => e.name == 'turn').map((e) => e.seq)
    expect(seqs).toHaveLength(1000)
    expect(seqs[0]).toBe(11)
  })

  it('events older than 7 days in the outbox are dropped and counted', async () => {
    const b = fakeBrowser()
    const old = (id: string, days: number) =>
      JSON.stringify({ id, source: 'sdk', name: 'turn', ts: new Date(Date.now() - days * 864e5).toISOString() })
    b.local.setItem(OUTBOX_KEY, [old('11111111-1111-4111-8111-111111111111', 8), old('22222222-2222-4222-8222-222222222222', 1)].join('\n'))
    b.sdk()
    await tick(0)
    const names = b.net.events().map((e) => e.name)
    expect(names).toEqual(['dropped', 'turn'])
    expect(b.net.events()[0].dropped).toBe(1)
  })
})

describe('drop counts across pages and tabs', () => {
  it('a count a page left is reported once, though two tabs load it', async () => {
    const a = fakeBrowser()
    a.local.setItem('lumina_dropped', '7')
    const b = fakeBrowser(a.local) // a second tab: same localStorage
    const [la, lb] = [a.sdk(), b.sdk()]
    await oneTurn(la)
    await oneTurn(lb)
    await la.flush()
    await lb.flush()
    const reports = [...a.net.events(), ...b.net.events()].filter((e) => e.name == 'dropped')
    expect(reports.map((e) => e.dropped)).toEqual([7])
    expect(a.local.getItem('lumina_dropped')).toBeNull()
  })

  it('drops counted before a page hide are reported by the next load', async () => {
    const a = fakeBrowser()
    a.setOnline(false)
    a.net.reply = () => 'network'
    a.net.beaconAccepts = false
    const s = await a.sdk().session.start()
    for (let i = 0; i < 1003; i++) {
      s.turn().finish()
    }
    a.hide()
    a.reload()
    a.net.reply = () => 200
    a.setOnline(true)
    a.sdk()
    await tick(0)
    await tick(0)
    expect(
      a.net
        .events()
        .filter((e) => e.name == 'dropped')
        .map((e) => e.dropped),
    ).toEqual([3])
  })
})

describe('back/forward cache', () => {
  it('a page restored from the bfcache carries on: events after it go out normally', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ flushIntervalMs: 1000 })
    await oneTurn(lumina)
    b.pagehide() // navigation: the page goes into the cache
    await tick(0)
    b.win.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }))
    await oneTurn(lumina)
    await tick(1000)
    const requests = b.net.sent.map((r) => r.keepalive)
    expect(requests).toEqual([true, false]) // the second turn by the normal path, not the hide path
    expect(b.net.delivered()).toHaveLength(2)
  })
})

describe('two tabs', () => {
  it("each tab keeps the other tab's unconfirmed lines in the shared outbox; a later page sends both", async () => {
    const a = fakeBrowser()
    const b = fakeBrowser(a.local) // a second tab: same localStorage, its own page
    a.net.reply = () => 'hang'
    b.net.reply = () => 'hang'
    const tabA = a.sdk()
    const tabB = b.sdk()
    await oneTurn(tabA)
    await oneTurn(tabB)
    a.hide()
    b.hide()
    expect(outboxLines(a)).toHaveLength(2)
    const later = fakeBrowser(a.local)
    later.sdk()
    await tick(0)
    expect(later.net.delivered()).toHaveLength(2)
  })

  it('lines a tab saw confirmed are not brought back by its next write', async () => {
    const a = fakeBrowser()
    let hang = true
    a.net.reply = () => (hang ? 'hang' : 200)
    a.net.beaconAccepts = false
    const tab = a.sdk()
    await oneTurn(tab)
    a.hide() // persisted, keepalive hangs
    a.show()
    hang = false
    await tick(11_000) // the keepalive times out, the beacon refuses: back to waiting, then sent normally
    await tab.flush()
    expect(a.net.delivered()).toHaveLength(1)
    expect(outboxLines(a)).toHaveLength(0)
    await oneTurn(tab)
    a.net.reply = () => 'hang'
    a.hide()
    expect(outboxLines(a)).toHaveLength(1) // only the new one
  })
})

describe('page hide, then the page lives on', () => {
  it('a keepalive answered 500 goes back to the normal path without waiting for a new event', async () => {
    const b = fakeBrowser()
    let calls = 0
    // the keepalive's 500 arrives after the periodic timer has found nothing to send
    b.net.reply = () => (++calls == 1 ? new Promise((r) => setTimeout(() => r(500), 2000)) : 200)
    const lumina = b.sdk({ flushIntervalMs: 1000 })
    await oneTurn(lumina)
    b.hide()
    b.show()
    await tick(2000)
    expect(b.net.delivered()).toHaveLength(0)
    await tick(1000)
    expect(b.net.delivered()).toHaveLength(1)
    expect(b.net.sent.map((r) => r.keepalive)).toEqual([true, false])
  })
})
