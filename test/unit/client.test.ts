import { describe, expect, it, vi } from 'vitest'
import { createLumina } from '../../src/client'
import { fakeBrowser, oneTurn, tick } from '../helpers'

describe('init', () => {
  it('calls before init are held and run in order after it', async () => {
    const b = fakeBrowser()
    const lumina = createLumina({
      fetch: b.net.fetch,
      localStorage: () => b.local,
      sessionStorage: () => b.session,
      document: b.doc as any,
      window: b.win as any,
    })
    const order: string[] = []
    const ui = { identify: (id: string) => order.push('identify:' + id), reset: () => order.push('reset') }
    const first = lumina.identify('early_user')
    lumina.reset()
    const started = lumina.session.start()
    const second = lumina.identify('second_user')
    expect(order).toEqual([])
    lumina.init({ writeKey: 'wk', endpoint: 'https://ingest.test', uiAnalytics: ui })
    expect(order).toEqual(['identify:early_user', 'reset', 'identify:second_user'])
    const s = await started
    await first
    await second
    expect(s.sessionId).toMatch(/^[0-9a-f]{32}$/)
    const [a, c] = b.net.events()
    expect(a).toMatchObject({ name: 'identify', user_id: 'early_user' })
    expect(c).toMatchObject({ name: 'identify', user_id: 'second_user' })
    expect(c.previous_id).toMatch(/^anon_/) // reset ran between them
  })

  it('a second init is ignored with a debug note', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const b = fakeBrowser()
    const lumina = b.sdk({ debug: true })
    lumina.init({ writeKey: 'other', endpoint: 'https://other.test' })
    await oneTurn(lumina)
    await lumina.flush()
    expect(b.net.sent[0].url).toBe('https://ingest.test/collect/sdk/events')
    expect(log.mock.calls.some((c) => String(c[1]).includes('init called twice'))).toBe(true)
  })

  it.each([
    [{ endpoint: 'https://x.test' }, 'writeKey'],
    [{ writeKey: 'wk' }, 'endpoint'],
    [{ writeKey: 'wk', endpoint: 'ingest.test' }, 'endpoint'],
    [{ writeKey: 'wk', endpoint: 'https://x.test', captureTranscript: 'partial' }, 'captureTranscript'],
    [{ writeKey: 'wk', endpoint: 'https://x.test', maskFn: 'no' }, 'maskFn'],
    [{ writeKey: 'wk', endpoint: 'https://x.test', flushIntervalMs: -1 }, 'flushIntervalMs'],
    [{ writeKey: 'wk', endpoint: 'https://x.test', maxBatchBytes: '10' }, 'maxBatchBytes'],
    [{ writeKey: 'wk', endpoint: 'https://x.test', sampling: { turn: 2 } }, 'sampling.turn'],
    [{ writeKey: 'wk', endpoint: 'https://x.test', uiAnalytics: 5 }, 'uiAnalytics'],
  ])('bad config %j: one console error naming "%s", then a harmless no-op', async (config, option) => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const b = fakeBrowser()
    const lumina = createLumina({
      fetch: b.net.fetch,
      localStorage: () => b.local,
      sessionStorage: () => b.session,
      document: b.doc as any,
      window: b.win as any,
    })
    const held = lumina.session.start()
    lumina.init(config as any)
    expect(error).toHaveBeenCalledTimes(1)
    expect(String(error.mock.calls[0][1])).toContain(`"${option}"`)
    const s = await held
    const turn = s.turn()
    expect(await turn.wrapLLM(() => Promise.resolve('answer'))).toBe('answer')
    await turn.finish()
    await lumina.identify('u')
    await lumina.flush()
    expect(b.net.sent).toHaveLength(0)
  })

  it('init(undefined) does not throw', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => createLumina().init(undefined as any)).not.toThrow()
  })

  it('silent without debug; every operation logged with [lumina] under debug', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const quiet = fakeBrowser()
    await oneTurn(quiet.sdk())
    expect(log).not.toHaveBeenCalled()
    const loud = fakeBrowser()
    await oneTurn(loud.sdk({ debug: true }))
    expect(log.mock.calls.length).toBeGreaterThan(2)
    expect(log.mock.calls.every((c) => c[0] == '[lumina]')).toBe(true)
  })

  it('never rejects at the host page when its own machinery fails', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk(
      {},
      {
        fetch: () => {
          throw new Error('fetch itself threw')
        },
      },
    )
    await oneTurn(lumina)
    const done = lumina.flush()
    await tick(3000)
    await expect(done).resolves.toBeUndefined()
  })
})

describe('init faults', () => {
  it('init after a rejected init: the first valid config configures the SDK', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const b = fakeBrowser()
    const lumina = createLumina({
      fetch: b.net.fetch,
      localStorage: () => b.local,
      sessionStorage: () => b.session,
      document: b.doc as any,
      window: b.win as any,
    })
    const held = lumina.session.start()
    lumina.init(null as any)
    expect(error).toHaveBeenCalledTimes(1)
    expect((await held).sessionId).toBe('') // what was held does not wait for a valid init
    expect((await lumina.session.start()).sessionId).toBe('') // a no-op until then
    lumina.init({ writeKey: 'wk', endpoint: 'https://ingest.test' })
    await oneTurn(lumina)
    await lumina.flush()
    expect(b.net.events().map((e) => e.name)).toEqual(['turn'])
    lumina.init({ writeKey: 'other', endpoint: 'https://other.test' }) // a valid init counted: this one is ignored
    await oneTurn(lumina)
    await lumina.flush()
    expect(new Set(b.net.sent.map((r) => r.url))).toEqual(new Set(['https://ingest.test/collect/sdk/events']))
  })

  it('a config whose getter throws is rejected with one error; a valid init after it works', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const b = fakeBrowser()
    const lumina = createLumina({
      fetch: b.net.fetch,
      localStorage: () => b.local,
      sessionStorage: () => b.session,
      document: b.doc as any,
      window: b.win as any,
    })
    const hostile = {
      writeKey: 'wk',
      get endpoint(): string {
        throw new Error('getter')
      },
    }
    expect(() => lumina.init(hostile)).not.toThrow()
    expect(() =>
      lumina.init(
        new Proxy(
          {},
          {
            ownKeys: () => {
              throw new Error('trap')
            },
          },
        ) as any,
      ),
    ).not.toThrow()
    expect(error).toHaveBeenCalledTimes(2)
    lumina.init({ writeKey: 'wk', endpoint: 'https://ingest.test' })
    await oneTurn(lumina)
    await lumina.flush()
    expect(b.net.events().map((e) => e.name)).toEqual(['turn'])
  })
})

describe('quiet load', () => {
  /** What one page load touches: init, the load's pageshow, and (optionally) a call. */
  const load = (b: ReturnType<typeof fakeBrowser>) => {
    b.local.ops = []
    b.session.ops = []
    b.doc.cookieReads = 0
    b.doc.cookieWrites = []
    const lumina = b.sdk()
    b.win.dispatchEvent(new Event('pageshow')) // every load fires one
    return lumina
  }
  const touched = (b: ReturnType<typeof fakeBrowser>) => ({
    local: b.local.ops,
    session: b.session.ops,
    cookieReads: b.doc.cookieReads,
    cookieWrites: b.doc.cookieWrites,
  })
  const writes = (ops: string[]) => ops.filter((op) => !op.startsWith('get:'))

  it("init and the load's pageshow touch no cookie and no storage", async () => {
    const b = fakeBrowser()
    load(b)
    expect(touched(b)).toEqual({ local: [], session: [], cookieReads: 0, cookieWrites: [] })
    await tick(0) // the stored outbox is read once init is over
    expect(b.session.ops).toEqual([])
    expect(b.doc.cookieReads).toBe(0)
    expect(b.local.ops).toEqual(['get:lumina_outbox'])
  })

  it('a returning visitor: nothing is written at load that did not change, and getters never write', async () => {
    const b = fakeBrowser()
    const first = b.sdk()
    const s1 = await first.session.start()
    await s1.turn().finish()
    await first.flush()
    const id = first.getDistinctId()
    b.reload()
    const lumina = load(b)
    await tick(0)
    const s2 = await lumina.session.start()
    expect(s2.sessionId).toBe(s1.sessionId)
    expect(s2.sessionId).toBe(s2.sessionId) // a getter, read twice
    expect(lumina.getDistinctId()).toBe(id)
    expect(lumina.isAnonymous()).toBe(true)
    expect(writes(b.local.ops)).toEqual([])
    expect(b.doc.cookieWrites).toEqual([])
    // the one session write: this page now holds the session (the duplicated-tab flag)
    expect(writes(b.session.ops)).toEqual(['set:lumina_tab'])
  })

  it('reading the session id (an event before any session.start) writes nothing', async () => {
    const b = fakeBrowser()
    const s1 = await b.sdk().session.start()
    b.reload()
    const lumina = load(b)
    lumina.feedback('0123456789abcdef', { score: 1 }) // an event: reads the session id
    await lumina.flush()
    expect(b.net.events().at(-1)).toMatchObject({ name: 'feedback', session_id: s1.sessionId })
    expect(writes(b.session.ops)).toEqual([])
  })
})

describe('event lines', () => {
  it('have the contract fields: id, source, name, ts, distinct_id, session_id, sdk', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = await oneTurn(lumina)
    await lumina.flush()
    const [e] = b.net.events()
    expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(e.source).toBe('sdk')
    expect(e.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(e.distinct_id).toBe(lumina.getDistinctId())
    expect(e.session_id).toMatch(/^[0-9a-f]{32}$/)
    expect(e.sdk).toEqual({ name: 'luminasdk', version: expect.any(String) })
    expect(e).toMatchObject({ turn_id: turn.turnId, seq: 1, traceparent: turn.traceparent })
    expect(typeof e.latency_ms).toBe('number')
  })
})

describe('debug', () => {
  it('logs every public call by name under debug', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const b = fakeBrowser()
    const lumina = b.sdk({ debug: true })
    lumina.reset()
    lumina.session.clear()
    await lumina.identify('u1')
    const names = log.mock.calls.map((c) => c[1])
    for (const n of ['reset', 'session.clear', 'identify']) {
      expect(names).toContain(n)
    }
  })
})
