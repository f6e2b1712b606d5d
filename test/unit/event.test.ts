import { describe, expect, it } from 'vitest'
import { envelope, MAX_EVENT_BYTES, SDK, serialize } from '../../src/event'

const ENVELOPE = ['id', 'source', 'name', 'ts', 'distinct_id', 'session_id', 'sdk']

describe('envelope', () => {
  it('every line has the contract fields, the id first (the outbox reads it without parsing)', () => {
    const event = envelope('turn', { seq: 1 }, Date.UTC(2026, 11, 2, 1, 2, 3, 4), 'anon_1', 'a'.repeat(32))
    expect(Object.keys(event).slice(0, ENVELOPE.length)).toEqual(ENVELOPE)
    expect(event).toMatchObject({ source: 'sdk', name: 'turn', ts: '2026-12-02T01:02:03.004Z', distinct_id: 'anon_1', sdk: SDK, seq: 1 })
    expect(serialize(event).startsWith('{"id":"')).toBe(true)
  })

  it("an event's own session_id overrides the envelope's; undefined leaves it out of the line", () => {
    expect(envelope('x', { session_id: 'b'.repeat(32) }, 0, 'u', 'a'.repeat(32)).session_id).toBe('b'.repeat(32))
    expect(JSON.parse(serialize(envelope('dropped', { dropped: 1 }, 0, 'u', undefined)))).not.toHaveProperty('session_id')
  })
})

describe('serialize never throws', () => {
  it('a BigInt, a cycle, a throwing getter or toJSON: the JSON-safe copy is written instead', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const hostile = {
      get boom() {
        throw new Error('getter')
      },
    }
    const badJson = {
      toJSON: () => {
        throw new Error('toJSON')
      },
    }
    for (const value of [10n, cyclic, hostile, badJson]) {
      const event = envelope('turn', { annotations: { value } }, 0, 'u', undefined)
      let line = ''
      expect(() => (line = serialize(event))).not.toThrow()
      expect(JSON.parse(line)).toMatchObject({ id: event.id, name: 'turn' })
    }
  })

  it('an oversized event is cut to fit a keepalive chunk, marked truncated, never dropped', () => {
    const event = envelope('turn', { messages: Array.from({ length: 50 }, () => 'x'.repeat(5000)) }, 0, 'u', undefined)
    const line = serialize(event)
    expect(line.length).toBeLessThanOrEqual(MAX_EVENT_BYTES)
    expect(JSON.parse(line)).toMatchObject({ id: event.id, name: 'turn', truncated: true })
  })
})
