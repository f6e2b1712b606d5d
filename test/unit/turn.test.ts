import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fakeBrowser, oneTurn, tick } from '../helpers'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

const sentTurns = async (b: ReturnType<typeof fakeBrowser>, lumina: { flush(): Promise<void> }) => {
  await lumina.flush()
  return b.net.events().filter((e) => e.name == 'turn')
}

describe('wrapLLM and recordTool only observe', () => {
  it('return what fn returns: the same promise, the same value', async () => {
    const b = fakeBrowser()
    const turn = (await b.sdk({ enableToolWrapping: true }).session.start()).turn()
    const p = Promise.resolve({ text: 'x' })
    expect(turn.wrapLLM(() => p)).toBe(p)
    const obj = { a: 1 }
    expect(turn.wrapLLM(() => obj)).toBe(obj)
    expect(turn.recordTool('t', () => p)).toBe(p)
    expect(turn.recordTool('t', () => 42)).toBe(42)
  })

  it('rethrow what fn throws, unchanged (sync and async)', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ enableToolWrapping: true })
    const turn = (await lumina.session.start()).turn()
    const boom = new RangeError('boom')
    expect(() =>
      turn.wrapLLM(() => {
        throw boom
      }),
    ).toThrow(boom)
    await expect(turn.wrapLLM(() => Promise.reject(boom))).rejects.toBe(boom)
    const odd = { not: 'an error' }
    expect(() =>
      turn.recordTool('t', () => {
        throw odd
      }),
    ).toThrow()
    await expect(turn.recordTool('t', () => Promise.reject(odd))).rejects.toBe(odd)
    turn.finish()
    const [e] = await sentTurns(b, lumina)
    expect(e.status).toBe('error')
    expect(e.error).toEqual({ type: 'RangeError', message: 'boom' })
    expect(e.tool_calls).toHaveLength(2)
    expect(e.tool_calls.every((t: any) => t.status == 'error')).toBe(true)
  })

  it('records model, prompt id, latency and tool spans as 16-hex children', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ enableToolWrapping: true })
    const turn = (await lumina.session.start()).turn()
    const llm = turn.wrapLLM(() => new Promise((r) => setTimeout(() => r('ok'), 120)), { model: 'm1', prompt_id: 'p9' })
    await tick(120)
    await llm
    const tool = turn.recordTool('search', () => new Promise((r) => setTimeout(r, 30)), { type: 'http', target: 'api.example.com', version: 'v2' })
    await tick(30)
    await tool
    turn.addRetrieval({ source: 'kb', ids: [1, 2] })
    turn.annotate({ topic: 'billing' })
    turn.finish()
    const [e] = await sentTurns(b, lumina)
    expect(e).toMatchObject({
      model: 'm1',
      prompt_id: 'p9',
      latency_ms: 120,
      status: 'ok',
      retrievals: [{ source: 'kb', ids: [1, 2] }],
      annotations: { topic: 'billing' },
    })
    expect(e.tool_calls[0]).toMatchObject({ name: 'search', type: 'http', target: 'api.example.com', version: 'v2', status: 'ok', latency_ms: 30 })
    expect(e.tool_calls[0].span_id).toMatch(/^[0-9a-f]{16}$/)
    expect(e.tool_calls[0].span_id).not.toBe(e.turn_id)
    expect(Date.parse(e.ended_at)).toBeGreaterThanOrEqual(Date.parse(e.started_at))
  })

  it('recordTool just runs fn when enableToolWrapping is off', async () => {
    const b = fakeBrowser()
    const system = { startSpan: vi.fn() }
    const lumina = b.sdk({ systemAnalytics: system })
    const turn = (await lumina.session.start()).turn()
    expect(turn.recordTool('t', () => 7)).toBe(7)
    turn.finish()
    const [e] = await sentTurns(b, lumina)
    expect(e.tool_calls).toBeUndefined()
    expect(system.startSpan).not.toHaveBeenCalled()
  })

  it('an aborted LLM call gives status aborted', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    await turn.wrapLLM(() => Promise.reject(new DOMException('stop', 'AbortError'))).catch(() => {})
    turn.finish()
    expect((await sentTurns(b, lumina))[0].status).toBe('aborted')
  })
})

describe('finish', () => {
  it('finish() twice sends one event and returns the same promise', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const first = turn.finish()
    expect(turn.finish()).toBe(first)
    await tick(250) // finish() sends within 250 ms and resolves once the ingest confirmed
    await first
    expect(await sentTurns(b, lumina)).toHaveLength(1)
  })

  it('seq counts 1, 2, … within the session; traceparent is the turn span in the session trace', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const s = await lumina.session.start()
    const t1 = s.turn()
    const t2 = s.turn()
    expect([t1.seq, t2.seq]).toEqual([1, 2])
    expect(t1.traceparent).toBe(`00-${s.sessionId}-${t1.turnId}-01`)
    t1.finish()
    t2.finish()
    const events = await sentTurns(b, lumina)
    expect(events.map((e) => e.session_id)).toEqual([s.sessionId, s.sessionId])
  })
})

describe('transcript capture', () => {
  const msgs = [
    { role: 'user', content: 'mail me at jo@example.com or +1 415 555 0100' },
    { role: 'assistant', content: [{ type: 'text', text: 'sure, jo@example.com' }] },
  ]
  const capture = async (config: Record<string, unknown>) => {
    const b = fakeBrowser()
    const lumina = b.sdk(config)
    await oneTurn(lumina, (t) => t.setMessages(msgs))
    return { event: (await sentTurns(b, lumina))[0], body: b.net.sent.map((r) => r.body).join('') }
  }

  it('full sends the messages as they are', async () => {
    expect((await capture({ captureTranscript: 'full' })).event.messages).toEqual(msgs)
  })

  it('masked (the default) masks e-mails and numbers, keeps roles', async () => {
    const { event, body } = await capture({})
    expect(event.messages[0]).toEqual({ role: 'user', content: 'mail me at [email] or [number]' })
    expect(event.messages[1].content[0]).toEqual({ type: 'text', text: 'sure, [email]' })
    expect(body).not.toContain('jo@example.com')
  })

  it('masked with a custom maskFn', async () => {
    const { event } = await capture({ captureTranscript: 'masked', maskFn: (s: string) => s.toUpperCase() })
    expect(event.messages[0].content).toBe('MAIL ME AT JO@EXAMPLE.COM OR +1 415 555 0100')
  })

  it('maskFn throws: [redacted], never the raw text', async () => {
    const { event, body } = await capture({
      captureTranscript: 'masked',
      maskFn: () => {
        throw new Error('mask broke')
      },
    })
    expect(event.messages[0].content).toBe('[redacted]')
    expect(event.messages[1].content[0].text).toBe('[redacted]')
    expect(body).not.toContain('jo@example.com')
    expect(body).not.toContain('mail me')
  })

  it('maskFn returning a non-string: [redacted]', async () => {
    const { event } = await capture({ captureTranscript: 'masked', maskFn: () => 42 })
    expect(event.messages[0].content).toBe('[redacted]')
  })

  it('none sends no messages', async () => {
    const { event, body } = await capture({ captureTranscript: 'none' })
    expect(event).not.toHaveProperty('messages')
    expect(body).not.toContain('mail me')
  })

  it('a 1 MB message is truncated with a marker, the turn still sent', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ captureTranscript: 'full' })
    await oneTurn(lumina, (t) => t.setMessages([{ role: 'user', content: 'a'.repeat(1 << 20) }]))
    const [e] = await sentTurns(b, lumina)
    expect(e.messages[0].content.length).toBeLessThan(10_000)
    expect(e.messages[0].content.endsWith('…[truncated]')).toBe(true)
  })

  it('an event too large even so is cut harder, marked truncated, never dropped', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ captureTranscript: 'full' })
    const many = Array.from({ length: 150 }, () => ({ role: 'user', content: 'b'.repeat(5000) }))
    await oneTurn(lumina, (t) => t.setMessages(many))
    const [e] = await sentTurns(b, lumina)
    expect(e.truncated).toBe(true)
    expect(e.turn_id).toMatch(/^[0-9a-f]{16}$/)
    expect(b.net.sent[0].body.length).toBeLessThan(33_000)
  })

  it('annotate merges objects and ignores anything else', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    await oneTurn(lumina, (t) => {
      t.annotate({ a: 1 })
      t.annotate('text' as any)
      t.annotate([1, 2] as any)
      t.annotate(null as any)
      t.annotate({ b: 2 })
    })
    const [e] = await sentTurns(b, lumina)
    expect(e.annotations).toEqual({ a: 1, b: 2 })
  })

  it('circular annotation: cycle cut, functions dropped, BigInt as string', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const loop: any = { name: 'loop', big: 10n, fn: () => 1 }
    loop.self = loop
    await oneTurn(lumina, (t) => t.annotate({ loop }))
    const [e] = await sentTurns(b, lumina)
    expect(e.annotations.loop).toEqual({ name: 'loop', big: '10', self: '[circular]' })
  })
})

describe('providers', () => {
  it('systemAnalytics hooks are called around turns and spans; a throwing provider never breaks the turn', async () => {
    const b = fakeBrowser()
    const calls: string[] = []
    const thrower = (name: string) => () => {
      calls.push(name)
      throw new Error('provider broke')
    }
    const system = { startTurn: thrower('startTurn'), endTurn: thrower('endTurn'), startSpan: thrower('startSpan'), endSpan: thrower('endSpan') }
    const ui = {
      tagTurn: thrower('tagTurn'),
      untagTurn: thrower('untagTurn'),
      getSessionId: thrower('getSessionId'),
      getReplayUrl: () => Promise.reject(new Error('async broke')),
    }
    const lumina = b.sdk({ systemAnalytics: system, uiAnalytics: ui as any, enableToolWrapping: true })
    const turn = (await lumina.session.start()).turn()
    expect(await turn.wrapLLM(() => Promise.resolve('still works'))).toBe('still works')
    expect(turn.recordTool('t', () => 'tool ok')).toBe('tool ok')
    turn.finish()
    expect(calls).toEqual(['tagTurn', 'startTurn', 'startSpan', 'endSpan', 'getSessionId', 'untagTurn', 'endTurn'])
    expect(await sentTurns(b, lumina)).toHaveLength(1)
  })

  it('a finished turn carries ui_session_id and ui_replay_url from the UI provider', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ uiAnalytics: { getSessionId: () => 'ph-sess', getReplayUrl: () => 'https://ph/replay/ph-sess' } })
    await oneTurn(lumina)
    expect((await sentTurns(b, lumina))[0]).toMatchObject({ ui_session_id: 'ph-sess', ui_replay_url: 'https://ph/replay/ph-sess' })
  })
})

describe('sampling', () => {
  it('rate 1 adds no sample_rate; rate 0 sends no turns but still runs fn', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ sampling: { turn: 0 } })
    const turn = (await lumina.session.start()).turn()
    expect(turn.wrapLLM(() => 5)).toBe(5)
    turn.finish()
    expect(await sentTurns(b, lumina)).toHaveLength(0)
    const b2 = fakeBrowser()
    const l2 = b2.sdk()
    await oneTurn(l2)
    expect((await sentTurns(b2, l2))[0]).not.toHaveProperty('sample_rate')
  })
})
