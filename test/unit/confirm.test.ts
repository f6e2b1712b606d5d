// finish(), flush() and shutdown() resolve when the ingest confirmed what they send (or,
// bounded, when it cannot be sent now) and never reject; the browser sends within 250 ms so
// that what ends together shares a request. Fake network and fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseTraceParent, W3CBaggagePropagator } from '@opentelemetry/core'
import { ROOT_CONTEXT, defaultTextMapGetter, propagation } from '@opentelemetry/api'
import { fakeBrowser, tick } from '../helpers'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** Whether a promise has settled, without waiting for it. */
const settled = (p: Promise<unknown>) => {
  const state = { done: false }
  p.then(() => (state.done = true))
  return state
}

describe('browser: finish() sends within 250 ms and resolves on confirmation', () => {
  it('a turn and a chat input event that end together share one request, within 250 ms', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ flushIntervalMs: 60_000 })
    const turn = (await lumina.session.start()).turn()
    const done = turn.finish()
    lumina._track('chat_message_submitted', { message_id: 'm1', typing_duration_ms: 10, character_count: 2, content_hash: 'f'.repeat(17) })
    await tick(249)
    expect(b.net.sent).toHaveLength(0)
    await tick(1)
    await done
    expect(b.net.sent).toHaveLength(1)
    expect(b.net.sent[0].events.map((e) => e.name)).toEqual(['turn', 'chat_message_submitted'])
  })

  it('await finish() resolves only once the ingest answered', async () => {
    const b = fakeBrowser()
    let answer!: (status: number) => void
    b.net.reply = () => new Promise((r) => (answer = r))
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const state = settled(turn.finish())
    await tick(250)
    expect(b.net.sent).toHaveLength(1)
    await tick(1000)
    expect(state.done).toBe(false)
    answer(200)
    await tick(0)
    expect(state.done).toBe(true)
    expect(b.net.delivered()).toHaveLength(1)
  })

  it('ingest down: finish() resolves after the fast retries, never rejects, and the turn stays queued (sent once it is back)', async () => {
    const b = fakeBrowser()
    b.net.reply = () => 'network'
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const state = settled(turn.finish())
    await tick(250 + 2200) // the fast retries, 300/600/900 ms ±20% apart
    expect(state.done).toBe(true)
    expect(b.net.sent.length).toBeGreaterThanOrEqual(3)
    b.net.reply = () => 200
    await tick(5000) // the backoff
    expect(b.net.events().map((e) => e.turn_id)).toEqual([turn.turnId])
  })

  it('a hung ingest: finish() resolves after 5 s at most', async () => {
    const b = fakeBrowser()
    b.net.reply = () => new Promise(() => {}) // never answers (the 10 s request timeout is longer)
    const lumina = b.sdk()
    const state = settled((await lumina.session.start()).turn().finish())
    await tick(4999)
    expect(state.done).toBe(false)
    await tick(1)
    expect(state.done).toBe(true)
  })

  it('offline, or in a backoff: finish() resolves at once, the turn waits in the outbox', async () => {
    const b = fakeBrowser()
    b.setOnline(false)
    const lumina = b.sdk()
    const state = settled((await lumina.session.start()).turn().finish())
    await tick(0)
    expect(state.done).toBe(true)
    expect(b.net.sent).toHaveLength(0)
    b.setOnline(true)
    await tick(0)
    expect(b.net.events().filter((e) => e.name == 'turn')).toHaveLength(1)
  })

  it('a turn that sampling drops resolves at once, sending nothing', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ sampling: { turn: 0 } })
    const state = settled((await lumina.session.start()).turn().finish())
    await tick(0)
    expect(state.done).toBe(true)
    await tick(300)
    expect(b.net.sent).toHaveLength(0)
  })

  it('flush() resolves once the ingest confirmed everything queued', async () => {
    const b = fakeBrowser()
    let answer!: (status: number) => void
    b.net.reply = () => new Promise((r) => (answer = r))
    const lumina = b.sdk()
    const s = await lumina.session.start()
    s.turn().finish()
    s.turn().finish()
    const state = settled(lumina.flush())
    await tick(0)
    expect(state.done).toBe(false)
    answer(200)
    await tick(0)
    expect(state.done).toBe(true)
    expect(b.net.delivered()).toHaveLength(2)
  })

  it('shutdown() flushes and stops the timer; the SDK stays usable, a later turn is sent', async () => {
    const b = fakeBrowser()
    const ui = { shutdown: vi.fn() }
    const lumina = b.sdk({ uiAnalytics: ui, flushIntervalMs: 1000 })
    const s = await lumina.session.start()
    s.turn().finish()
    lumina.feedback('0123456789abcdef', { score: 1 })
    await lumina.shutdown()
    expect(b.net.delivered()).toHaveLength(2)
    expect(ui.shutdown).toHaveBeenCalledOnce()
    await tick(1) // a 0 ms timer of the load may still be due
    expect(vi.getTimerCount()).toBe(0) // no flush timer left
    const later = s.turn()
    await Promise.all([later.finish(), tick(250)])
    expect(b.net.events().at(-1)!.turn_id).toBe(later.turnId)
  })
})

describe('browser: turn.headers()', () => {
  it('a W3C traceparent of the turn span and a W3C baggage with the distinct id, session id and seq', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    await lumina.identify('user,with;odd=chars é')
    const s = await lumina.session.start()
    s.turn()
    const turn = s.turn()
    const headers = turn.headers()
    expect(parseTraceParent(headers.traceparent)).toMatchObject({ traceId: s.sessionId, spanId: turn.turnId })
    const baggage = propagation.getBaggage(new W3CBaggagePropagator().extract(ROOT_CONTEXT, headers, defaultTextMapGetter))!
    expect(baggage.getEntry('lumina.distinct_id')?.value).toBe('user,with;odd=chars é')
    expect(baggage.getEntry('lumina.session_id')?.value).toBe(s.sessionId)
    expect(baggage.getEntry('lumina.seq')?.value).toBe('2')
  })
})
