// The snippet's behaviour in isolation (the real-browser tests cover it against the bundle).
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createLumina } from '../../src/client'

const code = readFileSync(resolve(__dirname, '../../dist/snippet.min.js'), 'utf8')
const bundle = readFileSync(resolve(__dirname, '../../dist/lumina.min.js'), 'utf8')

afterEach(() => {
  vi.restoreAllMocks()
})

/** Runs the snippet against a fake window and document; returns them and the script it injected. */
const run = (existing?: object) => {
  const injected: any[] = []
  const timers: (() => void)[] = []
  const w: any = existing ? { lumina: existing } : {}
  const d = { createElement: () => ({}), head: { append: (s: any) => injected.push(s) }, currentScript: { nonce: 'abc123' } }
  new Function('window', 'document', 'setTimeout', code)(w, d, (fn: () => void) => timers.push(fn))
  return { w, injected, timers }
}

describe('snippet', () => {
  it('stubs every public method of the SDK, each returning a real Promise', () => {
    const { w } = run()
    const api = createLumina()
    const methods = Object.keys(api).filter((k) => typeof (api as any)[k] == 'function' && !k.startsWith('_'))
    for (const m of methods) {
      expect(w.lumina[m]()).toBeInstanceOf(Promise)
    }
    expect(w.lumina.session.start()).toBeInstanceOf(Promise)
    expect(w.lumina.session.clear()).toBeInstanceOf(Promise)
    expect(w.lumina._q.map((e: unknown[]) => e[0])).toEqual([...methods, 'start', 'clear'])
    expect(w.lumina._q.every((e: unknown) => Array.isArray(e))).toBe(true) // queue entries are plain arrays
  })

  it('injects one script with the URL and the nonce of the script it runs in', () => {
    const { injected } = run()
    expect(injected).toHaveLength(1)
    expect(injected[0].src).toMatch(/^https:\/\/cdn\.jsdelivr\.net\/npm\/luminasdk@/)
    expect(injected[0].nonce).toBe('abc123')
    expect(injected[0].integrity).toBeUndefined()
  })

  it('pasted twice (or lumina already there): changes nothing, injects nothing', () => {
    const existing = { mine: true }
    const { w, injected } = run(existing)
    expect(w.lumina).toBe(existing)
    expect(injected).toHaveLength(0)
  })

  it('bundle fails: pending and later calls resolve; the session runs wrapped functions and is not thenable', async () => {
    const { w, injected } = run()
    const pending = w.lumina.session.start()
    const flushed = w.lumina.flush()
    injected[0].onerror()
    await expect(flushed).resolves.toBeUndefined()
    const session = await pending
    const turn = session.turn()
    expect(turn.wrapLLM(() => 42, { model: 'm' })).toBe(42)
    expect(turn.recordTool('t', () => 'tool', {})).toBe('tool')
    await expect(turn.finish()).resolves.toBeUndefined()
    await expect(turn.annotate({ a: 1 })).resolves.toBeUndefined()
    expect(turn.then).toBeFalsy()
    expect(session.then).toBeFalsy()
    const later = await w.lumina.session.start()
    expect(later.turn().wrapLLM(() => 'still works')).toBe('still works')
    await expect(w.lumina.identify('u')).resolves.toBeUndefined()
  })

  it('a load event without the bundle installing itself (a surrogate) is a failure; a stall fails after the timer', async () => {
    const a = run()
    const p = a.w.lumina.session.start()
    a.injected[0].onload()
    expect((await p).turn().wrapLLM(() => 1)).toBe(1)
    const b = run()
    const q = b.w.lumina.identify('x')
    expect(b.timers).toHaveLength(1)
    b.timers[0]() // 5 s later, no load, no error
    await expect(q).resolves.toBeUndefined()
  })

  it('a bundle that installed itself is not failed by its load event or the timer', () => {
    const { w, injected, timers } = run()
    w.lumina.flush()
    w.lumina._loaded = true
    injected[0].onload()
    timers[0]()
    expect(w.lumina._q).toHaveLength(1) // left for the bundle to replay
  })
})

/** A settled value, or 'pending' if `p` has not settled within a few real event-loop turns. */
const settled = (p: Promise<unknown>) => Promise.race([p, new Promise((r) => setTimeout(() => r('pending'), 50))])

/**
 * The real snippet and the real minified bundle on jsdom's window: `stall()` fires the 5 s
 * timer, `arrive()` runs the bundle and then its load event, as a browser does. Requests go
 * to a recording fetch.
 */
const page = () => {
  const w = window as any
  delete w.lumina
  const injected: any[] = []
  const timers: (() => void)[] = []
  const d = { createElement: () => ({}), head: { append: (s: any) => injected.push(s) }, currentScript: null }
  const sent: { body: string; key: string }[] = []
  w.fetch = async (_url: string, init: RequestInit) => {
    sent.push({ body: String(init.body), key: (init.headers as Record<string, string>)['X-Api-Key'] })
    return new Response('{}')
  }
  new Function('window', 'document', 'setTimeout', code)(w, d, (fn: () => void) => timers.push(fn))
  return {
    lumina: w.lumina,
    sent,
    events: () =>
      sent.flatMap((r) =>
        r.body
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      ),
    stall: () => timers.forEach((fn) => fn()),
    fail: () => injected[0].onerror(),
    arrive: () => {
      new Function(bundle)()
      injected[0].onload()
    },
  }
}

describe('snippet faults (issue 12, 15)', () => {
  it('late bundle after the 5 s stall timer: nothing pends past the timer, and the bundle starts with the page init config', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const p = page()
    const { lumina } = p
    lumina.init({ writeKey: 'wk_late', endpoint: 'https://ingest.test' })
    const early = lumina.identify('late_user')
    const started = lumina.session.start()
    expect(await settled(early)).toBe('pending') // queued, waiting for the bundle
    p.stall() // 5 s: the CDN has not answered
    expect(await settled(early)).toBeUndefined()
    expect((await started).sessionId).toBe('') // the stand-in session
    const between = lumina.flush() // after the timer, before the bundle: settles at once
    expect(await settled(between)).toBeUndefined()
    p.arrive() // 6 s: the bundle comes after all
    // Every call after it runs on the real SDK, configured with the page's init.
    const session: any = await settled(lumina.session.start())
    expect(session.sessionId).toMatch(/^[0-9a-f]{32}$/)
    expect(await settled(lumina.getDistinctId())).toBe('late_user') // the queued identify was replayed
    const turn = session.turn()
    expect(turn.wrapLLM(() => 'real')).toBe('real')
    turn.finish()
    expect(await settled(lumina.flush())).toBeUndefined()
    expect(p.events().map((e) => e.name)).toEqual(['identify', 'turn'])
    expect(p.sent.every((r) => r.key == 'wk_late')).toBe(true)
    expect(warn).toHaveBeenCalledTimes(1) // the stall was reported once
  })

  it('late bundle after the stall, with init itself called after the timer: the bundle still gets it', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const p = page()
    p.stall()
    const late = p.lumina.init({ writeKey: 'wk_later', endpoint: 'https://ingest.test' })
    expect(await settled(late)).toBeUndefined()
    p.arrive()
    expect(await settled(p.lumina.identify('u2'))).toBeUndefined()
    expect(await settled(p.lumina.getDistinctId())).toBe('u2')
    expect(p.sent.map((r) => r.key)).toEqual(['wk_later'])
  })

  it('a blocked page queues nothing after the failure but init (the queue stops growing)', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const p = page()
    p.lumina.init({ writeKey: 'wk', endpoint: 'https://ingest.test' })
    p.lumina.identify('a')
    p.fail()
    for (let i = 0; i < 100; i++) {
      p.lumina.getDistinctId()
    }
    expect(p.lumina._q.map((e: unknown[]) => e[0])).toEqual(['init', 'identify'])
  })

  it('the bundle cannot load: one console message says so, naming the URL, even when the timer fires too', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const p = page()
    expect(warn).not.toHaveBeenCalled()
    p.fail()
    p.stall()
    p.fail()
    expect(warn).toHaveBeenCalledTimes(1)
    expect(error).not.toHaveBeenCalled()
    expect(String(warn.mock.calls[0][0])).toMatch(/^\[lumina\] did not load https:\/\/cdn\.jsdelivr\.net\/npm\/luminasdk@/)
  })

  it('a bundle that loads says nothing in the console', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const p = page()
    p.arrive()
    p.stall()
    expect(warn).not.toHaveBeenCalled()
  })

  it('blocked-bundle fallback turn: annotate/addRetrieval({ call }) do not throw or call it; turnId/seq/traceparent are values; headers() are strings', async () => {
    const { w, injected } = run()
    const started = w.lumina.session.start()
    injected[0].onerror()
    const session = await started
    const turn = session.turn()
    let called = 0
    const call = () => called++
    expect(() => turn.annotate({ call })).not.toThrow()
    expect(() => turn.addRetrieval({ call, query: 'q' })).not.toThrow()
    await expect(turn.annotate({ call })).resolves.toBeUndefined()
    await expect(turn.setMessages([{ role: 'user', content: 'hi' }])).resolves.toBeUndefined()
    expect(turn.wrapLLM(() => 'llm', { model: 'm', call })).toBe('llm')
    expect(turn.recordTool('t', () => 'tool', { call })).toBe('tool')
    expect(called).toBe(0) // nothing found in the arguments was ever called
    expect([turn.turnId, turn.seq, turn.traceparent]).toEqual(['', 0, ''])
    expect([session.sessionId, session.traceparent]).toEqual(['', ''])
    const headers = turn.headers()
    expect(headers).toEqual({ traceparent: '' })
    expect(Object.values(headers).every((v) => typeof v == 'string')).toBe(true)
    expect(() => new Headers(headers)).not.toThrow()
    expect(turn.futureMethod).toBeTypeOf('function') // a method added later resolves too
    await expect(turn.futureMethod(call)).resolves.toBeUndefined()
    expect(called).toBe(0)
  })
})

describe('CDN init inside the guard (issue 12)', () => {
  const throwingGetter = () => ({
    writeKey: 'wk',
    endpoint: 'https://ingest.test',
    get uiAnalytics(): never {
      throw new Error('getter throws')
    },
  })
  const throwingProxy = () =>
    new Proxy(
      {},
      {
        get() {
          throw new Error('proxy get throws')
        },
        ownKeys() {
          throw new Error('proxy ownKeys throws')
        },
      },
    )

  for (const [what, config] of [
    ['a throwing getter', throwingGetter],
    ['a throwing Proxy', throwingProxy],
  ] as const) {
    it(`a config with ${what}: init never throws into the page, and every later call settles`, async () => {
      const error = vi.spyOn(console, 'error').mockImplementation(() => {})
      const p = page()
      p.arrive()
      expect(() => p.lumina.init(config())).not.toThrow()
      expect(error).toHaveBeenCalled() // said so, once configured as off
      expect(await settled(p.lumina.identify('u'))).toBeUndefined()
      const s: any = await settled(p.lumina.session.start())
      expect(s.turn().wrapLLM(() => 1)).toBe(1)
    })

    it(`a queued init with ${what}: the replay does not stop, and the calls queued after it settle`, async () => {
      vi.spyOn(console, 'error').mockImplementation(() => {})
      const p = page()
      p.lumina.init(config())
      const after = [p.lumina.identify('u'), p.lumina.session.start(), p.lumina.flush()]
      expect(() => p.arrive()).not.toThrow()
      for (const call of after) {
        expect(await settled(call)).not.toBe('pending')
      }
      expect(await settled(p.lumina.reset())).toBeUndefined()
    })
  }
})
