// The snippet's behaviour in isolation (the real-browser tests cover it against the bundle).
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createLumina } from '../../src/client'

const code = readFileSync(resolve(__dirname, '../../dist/snippet.min.js'), 'utf8')

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
    for (const m of methods) expect(w.lumina[m]()).toBeInstanceOf(Promise)
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
    expect(session.then).toBeUndefined()
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
