import { describe, expect, it, vi } from 'vitest'
import { parseTraceParent } from '@opentelemetry/core'
import { iso, randomHex, traceIdOf, uuid } from '../../src/lib/ids'
import { jsonSafe, utf8Bytes } from '../../src/lib/json-safe'
import { fakeBrowser } from '../helpers'

describe('ids', () => {
  it('traceparents are valid per the W3C propagator of @opentelemetry/core', async () => {
    const lumina = fakeBrowser().sdk()
    for (let i = 0; i < 100; i++) {
      lumina.session.clear()
      const s = await lumina.session.start()
      const turn = s.turn()
      for (const tp of [s.traceparent, turn.traceparent]) {
        expect(tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
        expect(parseTraceParent(tp)!.traceFlags).toBe(1)
      }
      expect(parseTraceParent(turn.traceparent)!.traceId).toBe(s.sessionId)
      expect(parseTraceParent(turn.traceparent)!.spanId).toBe(turn.turnId)
    }
  })

  it('random ids are never all zeros', () => {
    const real = crypto.getRandomValues.bind(crypto)
    // the pool is refilled when it runs out: make a refill produce zeros first
    for (let i = 0; i < 600; i++) {
      randomHex(8)
    }
    const spy = vi
      .spyOn(crypto, 'getRandomValues')
      .mockImplementationOnce((a: any) => a)
      .mockImplementation(real)
    for (let i = 0; i < 600; i++) {
      expect(randomHex(8)).not.toMatch(/^0+$/)
    }
    expect(spy).toHaveBeenCalled()
    spy.mockRestore()
  })

  it('traceIdOf rejects what the spec rejects', () => {
    expect(traceIdOf('00-' + '0'.repeat(32) + '-' + '1'.repeat(16) + '-01')).toBeUndefined()
    expect(traceIdOf('00-' + '1'.repeat(32) + '-' + '0'.repeat(16) + '-01')).toBeUndefined()
    expect(traceIdOf('00-' + 'A'.repeat(32) + '-' + '1'.repeat(16) + '-01')).toBeUndefined()
    expect(traceIdOf('01-' + '1'.repeat(32) + '-' + '1'.repeat(16) + '-01')).toBeUndefined()
    expect(traceIdOf(null)).toBeUndefined()
    expect(traceIdOf('00-' + 'a'.repeat(32) + '-' + '1'.repeat(16) + '-01')).toBe('a'.repeat(32))
  })

  it('uuids are v4 and unique', () => {
    const seen = new Set(Array.from({ length: 2000 }, uuid))
    expect(seen.size).toBe(2000)
    for (const id of [...seen].slice(0, 50)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }
  })
})

describe('timestamps', () => {
  it('iso() is exactly toISOString to the millisecond: across days, before 1970, past 9999, fractional ms', () => {
    const base = Date.UTC(2026, 11, 1, 23, 59, 58, 990)
    const times = [0, -1, -86_400_001, 1.5, -1.5, 8.64e15, -8.64e15, 253402300799999, 253402300800000, Date.UTC(-1, 0, 1)]
    for (let i = 0; i < 3000; i++) {
      times.push(base + i * 7)
    } // through midnight, on one cached day and the next
    for (let i = 0; i < 2000; i++) {
      times.push(Math.round((Math.random() - 0.3) * 4e12))
    }
    for (const t of times) {
      expect(iso(t)).toBe(new Date(t).toISOString())
    }
  })
})

describe('json-safe', () => {
  it('cuts cycles, drops functions and symbols, stringifies BigInt, caps strings and depth', () => {
    const a: any = { n: 1, f() {}, s: Symbol('x'), big: 2n ** 70n, long: 'x'.repeat(10_000), date: new Date(0), err: new TypeError('bad') }
    a.me = a
    a.deep = { l1: { l2: { l3: { l4: { l5: { l6: { l7: { l8: { l9: 1 } } } } } } } } }
    const out = jsonSafe(a) as any
    expect(out.f).toBeUndefined()
    expect(out.s).toBeUndefined()
    expect(out.big).toBe((2n ** 70n).toString())
    expect(out.me).toBe('[circular]')
    expect(out.long.length).toBeLessThan(8300)
    expect(out.date).toBe('1970-01-01T00:00:00.000Z')
    expect(out.err).toEqual({ type: 'TypeError', message: 'bad' })
    expect(JSON.stringify(out)).toContain('[depth]')
    expect(() => JSON.stringify(out)).not.toThrow()
  })

  it('a shared (non-circular) object appears twice', () => {
    const shared = { x: 1 }
    expect(jsonSafe({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } })
  })

  it('a throwing getter gives a marker in its place, never a throw; the rest is kept', () => {
    const o = {
      ok: 1,
      get bad() {
        throw new Error('nope')
      },
    }
    expect(jsonSafe(o)).toEqual({ ok: 1, bad: '[unserializable]' })
    expect(jsonSafe({ a: [o] }, 10)).toEqual({ a: [{ ok: 1, bad: '[unserializable]' }] })
    const { proxy, revoke } = Proxy.revocable({ x: 1 }, {})
    revoke()
    expect(jsonSafe({ p: proxy, n: 2 })).toEqual({ p: '[unserializable]', n: 2 })
  })

  it('writes what JSON.stringify writes for ordinary values, without the round trip', () => {
    const samples: unknown[] = [
      {
        a: [1, 'x', null, true, undefined, () => 1, NaN, -0, 1e21],
        b: undefined,
        d: new Date(5),
        n: new Number(3),
        s: new String('s'),
        m: new Map([[1, 2]]),
      },
      [[[]], {}, ''],
      'plain',
      42,
      null,
      JSON.parse('{"__proto__": {"polluted": 1}, "k": "v"}'),
    ]
    for (const v of samples) {
      expect(JSON.stringify(jsonSafe(v))).toBe(JSON.stringify(v))
    }
    expect(({} as any).polluted).toBeUndefined()
  })

  it('counts UTF-8 bytes like TextEncoder', () => {
    for (const s of ['abc', 'é', '€', '😀', 'a😀é€\n"']) {
      expect(utf8Bytes(s)).toBe(new TextEncoder().encode(s).length)
    }
  })
})
