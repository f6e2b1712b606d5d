import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseTraceParent } from '@opentelemetry/core'
import { fakeBrowser, oneTurn } from '../helpers'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
})
afterEach(() => {
  vi.useRealTimers()
})

const turnsOf = async (b: ReturnType<typeof fakeBrowser>, lumina: { flush(): Promise<void> }) => {
  await lumina.flush()
  return b.net.events().filter((e) => e.name == 'turn')
}
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** An async-iterable like the OpenAI SDK's Stream: chunks over time, plus methods of its own. */
class FakeStream<T> {
  controller = new AbortController()
  constructor(
    private chunks: T[],
    private gapMs: number,
    private failAt = -1,
  ) {}
  async *[Symbol.asyncIterator]() {
    for (let i = 0; i < this.chunks.length; i++) {
      await wait(this.gapMs)
      if (this.controller.signal.aborted) {
        throw new DOMException('aborted', 'AbortError')
      }
      if (i == this.failAt) {
        throw new Error('stream broke')
      }
      yield this.chunks[i]
    }
  }
  tee() {
    return 'still mine'
  }
}

const openAIChunks = (words: string[]) => [
  ...words.map((w) => ({ choices: [{ delta: { content: w } }] })),
  { choices: [], usage: { prompt_tokens: 12, completion_tokens: words.length } },
]

describe('token usage', () => {
  it.each([
    ['OpenAI chat', { usage: { prompt_tokens: 10, completion_tokens: 20 } }],
    ['OpenAI Responses', { usage: { input_tokens: 10, output_tokens: 20 } }],
    ['Anthropic', { id: 'msg', usage: { input_tokens: 10, output_tokens: 20 } }],
  ])('read from a %s result', async (_, result) => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    await oneTurn(lumina, async (t) => await t.wrapLLM(() => Promise.resolve(result)))
    const turn = (await lumina.session.start()).turn()
    expect(await turn.wrapLLM(() => Promise.resolve(result))).toBe(result)
    turn.finish()
    const events = await turnsOf(b, lumina)
    expect(events[1].usage).toEqual({ input_tokens: 10, output_tokens: 20 })
  })

  it('annotate({ usage }) overrides what the result said', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    await turn.wrapLLM(() => Promise.resolve({ usage: { prompt_tokens: 1, completion_tokens: 2 } }))
    turn.annotate({ usage: { input_tokens: 100, output_tokens: 200 } })
    turn.finish()
    expect((await turnsOf(b, lumina))[0].usage).toEqual({ input_tokens: 100, output_tokens: 200 })
  })
})

describe('streaming', () => {
  it('records time to first token and total time without altering the stream', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const stream = new FakeStream(openAIChunks(['Hel', 'lo ', 'there']), 100)
    const returned = turn.wrapLLM(() => new Promise<FakeStream<unknown>>((r) => setTimeout(() => r(stream), 200)), { model: 'gpt-4o' })
    await vi.advanceTimersByTimeAsync(200)
    const s = await returned
    expect(s).toBe(stream)
    expect(s.tee()).toBe('still mine')
    const got: unknown[] = []
    const reading = (async () => {
      for await (const chunk of s) {
        got.push(chunk)
      }
    })()
    await vi.advanceTimersByTimeAsync(1000)
    await reading
    expect(got).toEqual(openAIChunks(['Hel', 'lo ', 'there']))
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e.time_to_first_token_ms).toBe(300)
    expect(e.latency_ms).toBe(600)
    expect(e.output_characters).toBe('Hello there'.length)
    expect(e.usage).toEqual({ input_tokens: 12, output_tokens: 3 })
    expect(e.status).toBe('ok')
  })

  it('Anthropic stream events: usage from message_start and message_delta', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const events = [
      { type: 'message_start', message: { usage: { input_tokens: 30, output_tokens: 1 } } },
      { type: 'content_block_delta', delta: { type: 'text_delta', text: 'Hi!' } },
      { type: 'message_delta', usage: { output_tokens: 9 } },
    ]
    const s = await turn.wrapLLM(() => Promise.resolve(new FakeStream(events, 10)))
    const reading = (async () => {
      for await (const _ of s) {
        // drain it
      }
    })()
    await vi.advanceTimersByTimeAsync(100)
    await reading
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e.usage).toEqual({ input_tokens: 30, output_tokens: 9 })
    expect(e.output_characters).toBe(3)
  })

  it('the user stops the stream (iterator returned early): aborted, with the characters so far', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const s = await turn.wrapLLM(() => Promise.resolve(new FakeStream(openAIChunks(['one ', 'two ', 'three']), 50)))
    const reading = (async () => {
      for await (const c of s) {
        if ((c as any).choices[0].delta.content == 'two ') {
          break
        }
      }
    })()
    await vi.advanceTimersByTimeAsync(500)
    await reading
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e.status).toBe('aborted')
    expect(e.output_characters).toBe('one two '.length)
  })

  it('an AbortSignal firing marks the turn aborted; the caller sees its own AbortError', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const stream = new FakeStream(openAIChunks(['a', 'b', 'c', 'd']), 50)
    const s = await turn.wrapLLM(() => Promise.resolve(stream), { signal: stream.controller.signal })
    const reading = (async () => {
      for await (const _ of s) {
        // drain it
      }
    })().catch((e) => e)
    await vi.advanceTimersByTimeAsync(120)
    stream.controller.abort()
    await vi.advanceTimersByTimeAsync(200)
    expect((await reading).name).toBe('AbortError')
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e.status).toBe('aborted')
    expect(e.output_characters).toBe(2)
  })

  it('a stream that throws: status error, the same error reaches the reader', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const s = await turn.wrapLLM(() => Promise.resolve(new FakeStream(openAIChunks(['a', 'b']), 10, 1)))
    const reading = (async () => {
      for await (const _ of s) {
        // drain it
      }
    })().catch((e) => e)
    await vi.advanceTimersByTimeAsync(100)
    expect((await reading).message).toBe('stream broke')
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e.status).toBe('error')
    expect(e.error).toEqual({ type: 'Error', message: 'stream broke' })
  })

  it('a frozen stream object is returned untouched, just not observed', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const frozen = Object.freeze({
      async *[Symbol.asyncIterator]() {
        yield 'x'
      },
    })
    expect(await turn.wrapLLM(() => Promise.resolve(frozen))).toBe(frozen)
    turn.finish()
    expect((await turnsOf(b, lumina))[0].status).toBe('ok')
  })
})

describe('feedback', () => {
  it('turn.feedback and lumina.feedback emit a feedback event linked by turn_id, after finish and after a reload', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ captureTranscript: 'masked' })
    const turn = await oneTurn(lumina)
    turn.feedback({ score: 1, comment: 'great, mail me at jo@example.com' })
    b.reload()
    const again = b.sdk()
    again.feedback(turn.turnId, { score: -1 })
    await lumina.flush()
    await again.flush()
    // the old page's hide sent its outbox; the new page may send it again: one per id counts
    const fb = [
      ...new Map(
        b.net
          .events()
          .filter((e) => e.name == 'feedback')
          .map((e) => [e.id, e]),
      ).values(),
    ]
    expect(fb).toHaveLength(2)
    expect(fb[0]).toMatchObject({ turn_id: turn.turnId, score: 1, comment: 'great, mail me at [email]' })
    expect(fb[1]).toMatchObject({ turn_id: turn.turnId, score: -1 })
    expect(fb[1]).not.toHaveProperty('comment')
  })

  it('bad feedback is ignored, never thrown', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    lumina.feedback('nope', { score: 1 })
    lumina.feedback('0123456789abcdef', { score: 'great' as any })
    lumina.feedback('0123456789abcdef', undefined as any)
    await lumina.flush()
    expect(b.net.events()).toHaveLength(0)
  })

  it('no comment is sent under captureTranscript none', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ captureTranscript: 'none' })
    lumina.feedback('0123456789abcdef', { score: 5, comment: 'private words' })
    await lumina.flush()
    expect(b.net.events()[0]).not.toHaveProperty('comment')
    expect(b.net.sent[0].body).not.toContain('private words')
  })
})

describe('trace propagation', () => {
  it('turn.headers() gives the turn span as a W3C traceparent', async () => {
    const b = fakeBrowser()
    const s = await b.sdk().session.start()
    const turn = s.turn()
    const { traceparent } = turn.headers()
    expect(traceparent).toBe(turn.traceparent)
    const ctx = parseTraceParent(traceparent)!
    expect(ctx.traceId).toBe(s.sessionId)
    expect(ctx.spanId).toBe(turn.turnId)
  })
})
