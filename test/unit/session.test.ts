import { describe, expect, it } from 'vitest'
import { fakeBrowser, tick } from '../helpers'
import { traceparentOf } from '../../src/lib/ids'
import { sampledRate } from '../../src/session'

describe('session storage', () => {
  it('reload mid-session: same session id, seq continues', async () => {
    const b = fakeBrowser()
    const s1 = await b.sdk().session.start()
    s1.turn()
    s1.turn()
    b.reload()
    const s2 = await b.sdk().session.start()
    expect(s2.sessionId).toBe(s1.sessionId)
    expect(s2.turn().seq).toBe(3)
    expect(b.session.getItem('traceparent')).toBe(s1.traceparent)
  })

  it('a duplicated tab (sessionStorage copied from a live tab) opens its own session', async () => {
    const a = fakeBrowser()
    const s1 = await a.sdk().session.start()
    s1.turn()
    a.hide() // the original tab is in the background, alive: no pagehide
    const dup = fakeBrowser(a.local)
    for (const [k, v] of a.session.map) {
      dup.session.setItem(k, v)
    }
    const s2 = await dup.sdk().session.start()
    expect(s2.sessionId).not.toBe(s1.sessionId)
    expect(s2.turn().seq).toBe(1)
    a.show()
    expect(s1.turn().seq).toBe(2) // the original carries on
    // and a reload of the duplicate keeps the duplicate's session
    dup.reload()
    const s3 = await dup.sdk().session.start()
    expect(s3.sessionId).toBe(s2.sessionId)
    expect(s3.turn().seq).toBe(2)
  })

  it('a page restored from the back/forward cache keeps its session, and a duplicate of it does not', async () => {
    const a = fakeBrowser()
    const lumina = a.sdk()
    const s1 = await lumina.session.start()
    a.pagehide() // into the bfcache
    a.win.dispatchEvent(new Event('pageshow')) // and back
    expect((await lumina.session.start()).sessionId).toBe(s1.sessionId)
    const dup = fakeBrowser(a.local)
    for (const [k, v] of a.session.map) {
      dup.session.setItem(k, v)
    }
    expect((await dup.sdk().session.start()).sessionId).not.toBe(s1.sessionId)
  })

  it('session.clear(): the next start opens a new trace and seq restarts', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const s1 = await lumina.session.start()
    s1.turn()
    lumina.session.clear()
    await tick(0)
    const s2 = await lumina.session.start()
    expect(s2.sessionId).not.toBe(s1.sessionId)
    expect(s2.turn().seq).toBe(1)
  })

  it('an invalid stored traceparent is replaced', async () => {
    const b = fakeBrowser()
    b.session.setItem('traceparent', '00-00000000000000000000000000000000-0000000000000000-01')
    const s = await b.sdk().session.start()
    expect(s.sessionId).toMatch(/^[0-9a-f]{32}$/)
    expect(s.sessionId).not.toMatch(/^0+$/)
  })
})

describe('session faults', () => {
  it('a held SessionCtx after reset(): the next turn opens the new trace, seq from 1, never 1, 2, 1, 2 in the old one', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    await lumina.identify('alice')
    const session = await lumina.session.start()
    const a1 = session.turn()
    const a2 = session.turn()
    lumina.reset()
    await lumina.identify('bob')
    const b1 = session.turn()
    const b2 = session.turn()
    expect([a1.seq, a2.seq, b1.seq, b2.seq]).toEqual([1, 2, 1, 2])
    expect(b1.traceparent.slice(3, 35)).not.toBe(a1.traceparent.slice(3, 35))
    expect(b2.traceparent.slice(3, 35)).toBe(b1.traceparent.slice(3, 35))
    expect(session.sessionId).toBe(b1.traceparent.slice(3, 35)) // the held context follows
    for (const t of [a1, a2, b1, b2]) {
      await t.finish()
    }
    await lumina.flush()
    const turns = b.net.events().filter((e) => e.name == 'turn')
    expect(turns.map((t) => [t.distinct_id, t.seq])).toEqual([
      ['alice', 1],
      ['alice', 2],
      ['bob', 1],
      ['bob', 2],
    ])
    expect(turns[2].session_id).not.toBe(turns[0].session_id)
  })

  it('a held SessionCtx after identify of another user (no reset): the new user gets a new trace', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    await lumina.identify('alice')
    const session = await lumina.session.start()
    const first = session.turn()
    await lumina.identify('carol')
    const second = session.turn()
    expect(second.seq).toBe(1)
    expect(second.traceparent.slice(3, 35)).not.toBe(first.traceparent.slice(3, 35))
  })

  it.each(['-5', 'Infinity', '2.5', '1e3', '', 'NaN', '99999999999'])(
    'a poisoned lumina_seq ("<trace>:%s") is discarded: the turn counter starts at 1',
    async (n) => {
      const b = fakeBrowser()
      const s1 = await b.sdk().session.start()
      b.reload()
      b.session.setItem('lumina_seq', s1.sessionId + ':' + n)
      const s2 = await b.sdk().session.start()
      expect(s2.sessionId).toBe(s1.sessionId)
      expect(s2.turn().seq).toBe(1)
    },
  )

  it('a valid stored lumina_seq is used', async () => {
    const b = fakeBrowser()
    const s1 = await b.sdk().session.start()
    b.reload()
    b.session.setItem('lumina_seq', s1.sessionId + ':41')
    expect((await b.sdk().session.start()).turn().seq).toBe(42)
  })
})

describe('sampling draw', () => {
  it('is drawn from the trace id, one slot per kind: the same session always gets the same answer', () => {
    const rates = { turn: 0.5, span: 0.5, uiEvent: 0.5 }
    // 0x7fffffff / 2^32 < 0.5 (kept); 0x80000000 / 2^32 = 0.5 (dropped)
    const trace = '7fffffff' + '80000000' + '00000000' + 'ffffffff'
    expect(sampledRate(rates, 'turn', trace)).toBe(0.5)
    expect(sampledRate(rates, 'span', trace)).toBeUndefined()
    expect(sampledRate(rates, 'uiEvent', trace)).toBe(0.5)
    expect(sampledRate({ turn: 1, span: 1, uiEvent: 1 }, 'span', trace)).toBe(1)
    expect(sampledRate({ turn: 0, span: 0, uiEvent: 0 }, 'uiEvent', trace)).toBeUndefined()
  })
})

/** A seeded pseudo-random generator (mulberry32): the same trace ids on every run. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
}
const hex = (random: () => number, digits: number) => Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('')

describe('sampling of sessions', () => {
  it('is decided once per session from its id: a kept session keeps all its turns (seeded trace ids)', async () => {
    const random = seeded(42)
    let kept = 0
    let expected = 0
    for (let i = 0; i < 40; i++) {
      const b = fakeBrowser()
      const trace = hex(random, 32)
      b.session.setItem('traceparent', traceparentOf(trace, hex(random, 16))) // this tab's session: a known draw
      if (sampledRate({ turn: 0.5, span: 1, uiEvent: 1 }, 'turn', trace)) {
        expected++
      }
      const lumina = b.sdk({ sampling: { turn: 0.5 } })
      const s = await lumina.session.start()
      expect(s.sessionId).toBe(trace)
      for (let t = 0; t < 3; t++) {
        await s.turn().finish()
      }
      await lumina.flush()
      const turns = b.net.events().filter((e) => e.name == 'turn')
      expect([0, 3]).toContain(turns.length)
      if (turns.length) {
        kept++
      }
      for (const e of turns) {
        expect(e.sample_rate).toBe(0.5)
      }
    }
    expect(kept).toBe(expected)
    expect(kept).toBe(19) // this seed's draw: 19 of 40 sessions kept
  })
})
