// Faults of the turn builders (issue 12 items 2, 3, 4, 10, 18, 21; issue 15 attempts): each
// test is named for the fault and fails without its fix.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
// @ts-expect-error plain ESM module without types
import { validate } from '../../collector/collector.mjs'
import { afterSend, fakeBrowser, tick } from '../helpers'
import { OUTBOX_KEY } from '../../src/outbox'

const realSetImmediate = globalThis.setImmediate
const macrotask = () => new Promise((r) => realSetImmediate(r))

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

type Browser = ReturnType<typeof fakeBrowser>
const turnsOf = async (b: Browser, lumina: { flush(): Promise<void> }) => {
  await lumina.flush()
  return b.net.events().filter((e) => e.name == 'turn')
}
const invalidLines = (events: Record<string, unknown>[]) => events.filter((e) => !validate(e)).map((e) => [e.name, JSON.stringify(validate.errors)])

/** Unhandled rejections while `run` runs and a little after. */
const unhandledDuring = async (run: () => Promise<void>) => {
  const seen: unknown[] = []
  const onRejection = (e: unknown) => seen.push(e)
  process.on('unhandledRejection', onRejection)
  try {
    await run()
    await tick(10)
    await macrotask()
    await macrotask()
  } finally {
    process.off('unhandledRejection', onRejection)
  }
  return seen
}

const cyclic = () => {
  const o: any = { name: 'openai' }
  o.self = o
  return o
}
const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return proxy
}
const throwingProxy = () =>
  new Proxy(
    {},
    {
      get() {
        throw new Error('trap')
      },
      ownKeys() {
        throw new Error('trap')
      },
      getPrototypeOf() {
        throw new Error('trap')
      },
    },
  )

describe('issue 12 item 2: an option JSON cannot encode', () => {
  it('wrapLLM({ model: 10n }), a cyclic provider, recordTool({ type: 10n }): finish() never throws and the line is valid', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ enableToolWrapping: true })
    const turn = (await lumina.session.start()).turn()
    await turn.wrapLLM(() => Promise.resolve('ok'), { model: 10n as any, provider: cyclic(), prompt_id: Symbol('p') as any })
    turn.recordTool('x', () => 1, { type: 10n as any, target: cyclic(), version: 2 as any })
    await expect(afterSend(turn.finish())).resolves.toBeUndefined()
    const [e] = await turnsOf(b, lumina)
    expect(e.model).toBe('10')
    expect(e.provider).toBeUndefined()
    expect(e.tool_calls[0]).toMatchObject({ name: 'x', type: '10', version: '2' })
    expect(invalidLines([e])).toEqual([])
  })

  it('such a turn open at a tab switch: the hide path still sends it and every queued event', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ enableToolWrapping: true })
    const s = await lumina.session.start()
    b.setOnline(false)
    s.turn().finish() // queued
    const open = s.turn()
    open.wrapLLM(() => 1, { model: 10n as any, provider: cyclic() })
    open.recordTool('x', () => 1, { type: 10n as any })
    expect(() => b.hide()).not.toThrow()
    const stored = b.local.getItem(OUTBOX_KEY) || ''
    expect(stored.split('\n').filter((l) => l.includes('"name":"turn"'))).toHaveLength(2)
    expect(stored).toContain('"status":"incomplete"')
  })
})

describe('issue 12 item 3: lazy thenables run twice', () => {
  /** A query builder like supabase-js's or knex's: each then() starts a new request. */
  class LazyQuery {
    requests = 0
    then(resolve: (v: unknown) => unknown, reject?: (e: unknown) => unknown) {
      this.requests++
      return Promise.resolve({ data: `request ${this.requests}`, usage: { prompt_tokens: 3 } }).then(resolve, reject)
    }
  }

  it('wrapLLM and recordTool call the thenable once; the caller gets that one result', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ enableToolWrapping: true })
    const turn = (await lumina.session.start()).turn()
    const q1 = new LazyQuery()
    expect(await turn.wrapLLM(() => q1)).toEqual({ data: 'request 1', usage: { prompt_tokens: 3 } })
    expect(q1.requests).toBe(1)
    const q2 = new LazyQuery()
    expect(await turn.recordTool('db', () => q2)).toMatchObject({ data: 'request 1' })
    expect(q2.requests).toBe(1)
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e.usage).toEqual({ input_tokens: 3 })
    expect(e.tool_calls[0].status).toBe('ok')
  })

  it("a Promise subclass (the OpenAI client's APIPromise) comes back as the same object, its own methods intact", async () => {
    class APIPromise<T> extends Promise<T> {
      withResponse() {
        return this.then((data) => ({ data, response: 'raw' }))
      }
    }
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const p = new APIPromise<{ usage: { prompt_tokens: number } }>((r) => r({ usage: { prompt_tokens: 9 } }))
    const back = turn.wrapLLM(() => p)
    expect(back).toBe(p)
    expect(await back.withResponse()).toEqual({ data: { usage: { prompt_tokens: 9 } }, response: 'raw' })
    turn.finish()
    expect((await turnsOf(b, lumina))[0].usage).toEqual({ input_tokens: 9 })
  })

  it('a rejecting thenable: rejected once, the same reason, no unhandled rejection', async () => {
    const b = fakeBrowser()
    const turn = (await b.sdk().session.start()).turn()
    const reason = new Error('query failed')
    let calls = 0
    const thenable = {
      then(_: unknown, reject: (e: unknown) => void) {
        calls++
        reject(reason)
      },
    }
    const seen = await unhandledDuring(async () => {
      await expect(turn.wrapLLM(() => thenable)).rejects.toBe(reason)
    })
    expect(calls).toBe(1)
    expect(seen).toEqual([])
  })
})

describe('issue 12 item 4: the observer passes the host value through unchanged', () => {
  it('a thrown null-prototype object reaches the caller as is (sync and async), no unhandled rejection', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ enableToolWrapping: true })
    const turn = (await lumina.session.start()).turn()
    const odd = Object.create(null)
    odd.code = 42
    let caught: unknown
    try {
      turn.wrapLLM(() => {
        throw odd
      })
    } catch (e) {
      caught = e
    }
    expect(caught).toBe(odd)
    const seen = await unhandledDuring(async () => {
      await expect(turn.wrapLLM(() => Promise.reject(odd))).rejects.toBe(odd)
      await expect(turn.recordTool('t', () => Promise.reject(odd))).rejects.toBe(odd)
    })
    expect(seen).toEqual([])
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e.error).toEqual({ type: 'object', message: '[object Object]' })
    expect(invalidLines([e])).toEqual([])
  })

  it('a result whose usage getter throws, and a revoked Proxy result, come back unchanged', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const hostile = {
      get usage() {
        throw new Error('getter')
      },
    }
    expect(turn.wrapLLM(() => hostile)).toBe(hostile)
    const r = revoked()
    expect(turn.wrapLLM(() => r)).toBe(r)
    const seen = await unhandledDuring(async () => {
      expect(await turn.wrapLLM(() => Promise.resolve(hostile))).toBe(hostile)
    })
    expect(seen).toEqual([])
    turn.finish()
    expect((await turnsOf(b, lumina))[0].status).toBe('ok')
  })

  it('Proxy options that throw: fn still runs once, its value comes back', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ enableToolWrapping: true })
    const turn = (await lumina.session.start()).turn()
    let runs = 0
    expect(turn.wrapLLM(() => ++runs, throwingProxy() as any)).toBe(1)
    expect(turn.wrapLLM(() => ++runs, revoked() as any)).toBe(2)
    expect(turn.recordTool('t', () => ++runs, throwingProxy() as any)).toBe(3)
    expect(turn.recordTool(throwingProxy() as any, () => ++runs)).toBe(4)
    expect(runs).toBe(4)
    turn.finish()
    expect(invalidLines(await turnsOf(b, lumina))).toEqual([])
  })

  it('a stream chunk that throws on read never breaks the reader', async () => {
    const b = fakeBrowser()
    const turn = (await b.sdk().session.start()).turn()
    const chunks = [throwingProxy(), { choices: [{ delta: { content: 'ok' } }] }]
    // by hand: an async generator would await each chunk itself (and hit the trap)
    const stream = {
      [Symbol.asyncIterator]() {
        let i = 0
        return { next: async () => (i < chunks.length ? { value: chunks[i++], done: false } : { value: undefined, done: true }) }
      },
    }
    const got: unknown[] = []
    for await (const c of await turn.wrapLLM(() => Promise.resolve(stream))) {
      got.push(c)
    }
    expect(got).toHaveLength(2)
    got.forEach((c, i) => expect(c).toBe(chunks[i]))
  })
})

describe('issue 12 item 10: the SDK never builds a turn or feedback line its own schema rejects', () => {
  it('a non-string model and annotate({ usage: { input_tokens: "12" } }) are coerced', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    await turn.wrapLLM(() => Promise.resolve({ usage: { prompt_tokens: 5, completion_tokens: -3 } }), { model: 4 as any })
    turn.annotate({ usage: { input_tokens: '12', output_tokens: 'many' } })
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e.model).toBe('4')
    expect(e.usage).toEqual({ input_tokens: 12 })
    expect(invalidLines([e])).toEqual([])
  })

  it('every builder with hostile inputs (property-style, seeded): every line valid, nothing thrown', async () => {
    const hostile = (): unknown[] => [
      10n,
      Symbol('s'),
      cyclic(),
      Object.create(null),
      revoked(),
      throwingProxy(),
      NaN,
      -Infinity,
      -1,
      2.5,
      '12',
      '',
      '\ud800 lone surrogate',
      'x'.repeat(40_000),
      () => 1,
      new Date(NaN),
      [1, [2, [3]]],
      { usage: 'lots' },
      { input_tokens: '7', output_tokens: -2 },
      null,
      undefined,
      true,
      new Error('as a value'),
    ]
    let seed = 12345
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const pick = () => {
      const h = hostile()
      return h[rand(h.length)]
    }
    const b = fakeBrowser()
    b.setOnline(false)
    const ui = { getSessionId: () => pick() as any, getReplayUrl: () => pick() as any }
    const lumina = b.sdk({ enableToolWrapping: true, uiAnalytics: ui, captureTranscript: rand(2) ? 'full' : 'masked' })
    const s = await lumina.session.start()
    const thrown: unknown[] = []
    for (let i = 0; i < 60; i++) {
      const t = s.turn()
      const opts = { model: pick(), provider: pick(), prompt_id: pick() } as any
      const calls = [
        () => {
          t.wrapLLM(() => pick(), opts) // not awaited: awaiting a hostile value is the host's own risk
        },
        () => t.wrapLLM(() => Promise.resolve(pick()), pick() as any).catch(() => {}),
        () => t.wrapLLM(() => Promise.reject(pick()), opts).catch(() => {}),
        () => {
          t.recordTool(pick() as any, () => pick(), { type: pick(), target: pick(), version: pick() } as any)
        },
        () => t.recordTool('r', () => Promise.reject(pick()), pick() as any).catch(() => {}),
        () => t.annotate(pick() as any),
        () => t.annotate({ usage: pick(), k: pick() } as any),
        () => t.annotate({ usage: { input_tokens: pick(), output_tokens: pick() } } as any),
        () => t.addRetrieval(pick() as any),
        () => t.setMessages(pick() as any),
        () => t.setMessages([{ role: 'user', content: pick() }, pick()]),
        () => t.feedback({ score: pick(), comment: pick() } as any),
        () => t.feedback(pick() as any),
      ]
      for (let k = 0; k < 6; k++) {
        const call = calls[rand(calls.length)]
        try {
          await call() // no fn here throws synchronously, and every rejection is the host's own, caught
        } catch (e) {
          thrown.push(e)
        }
      }
      if (rand(4)) {
        t.finish()
      } // the rest go out as incomplete on hide
    }
    b.setOnline(true)
    b.hide()
    await tick(0)
    await lumina.flush()
    const events = b.net.sent.flatMap((r) => r.events)
    expect(thrown).toEqual([])
    expect(events.filter((e) => e.name == 'turn').length).toBeGreaterThanOrEqual(60)
    const invalid = invalidLines(events)
    if (invalid.length) {
      console.log(JSON.stringify(events.filter((e) => !validate(e))[0]).slice(0, 3000), invalid[0])
    }
    expect(invalid).toEqual([])
  })
})

describe('issue 12 item 18: a stopped stream discards what follows', () => {
  const stream = (words: string[]) => ({
    async *[Symbol.asyncIterator]() {
      for (const w of words) {
        await new Promise((r) => setTimeout(r, 10))
        yield { choices: [{ delta: { content: w } }] }
      }
    },
  })

  it('the user stops the stream: the turn is aborted but keeps setMessages/annotate until the host finishes it', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ captureTranscript: 'full' })
    const turn = (await lumina.session.start()).turn()
    const s = await turn.wrapLLM(() => Promise.resolve(stream(['one ', 'two ', 'three'])))
    const reading = (async () => {
      for await (const c of s) {
        if (c.choices[0].delta.content == 'two ') {
          break
        }
      }
    })()
    await tick(100)
    await reading
    // the README's example: after the stop, the page records what the user saw, then finishes
    turn.setMessages([
      { role: 'user', content: 'count' },
      { role: 'assistant', content: 'one two ' },
    ])
    turn.annotate({ stopped_by_user: true })
    turn.finish()
    const turns = await turnsOf(b, lumina)
    expect(turns).toHaveLength(1)
    expect(turns[0]).toMatchObject({ status: 'aborted', output_characters: 8, annotations: { stopped_by_user: true } })
    expect(turns[0].messages).toHaveLength(2)
  })

  it('a stopped stream the host never finishes is still sent, as incomplete, on page hide', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const s = await turn.wrapLLM(() => Promise.resolve(stream(['a', 'b'])))
    const reading = (async () => {
      for await (const _ of s) {
        break
      }
    })()
    await tick(50)
    await reading
    await lumina.flush()
    expect(b.net.events().filter((e) => e.name == 'turn')).toHaveLength(0)
    b.hide()
    await tick(0)
    const turns = b.net.sent.flatMap((r) => r.events).filter((e) => e.name == 'turn')
    expect(turns.map((e) => e.status)).toEqual(['incomplete'])
  })
})

describe('issue 12 item 21: masked means masked', () => {
  const SECRETS = ['jo@example.com', '4111111111111111', '4111_1111_1111_1111', '４１１１１１１１１１１１１１１１', '+1 415 555 0100']

  it('LLM and tool errors (also incomplete on page hide), annotate and addRetrieval strings, e-mail keys, card numbers as numbers and BigInt, _ and full-width digits', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ enableToolWrapping: true, captureTranscript: 'masked' })
    const s = await lumina.session.start()
    const turn = s.turn()
    await turn.wrapLLM(() => Promise.reject(new Error('no account for jo@example.com'))).catch(() => {})
    await turn.recordTool('lookup', () => Promise.reject(new Error('card 4111111111111111 declined'))).catch(() => {})
    turn.annotate({ note: 'call +1 415 555 0100', nested: { card: 4111111111111111, big: 4111111111111111n } })
    turn.addRetrieval({ text: 'customer jo@example.com, card 4111_1111_1111_1111' })
    turn.setMessages([
      { role: 'user', content: { 'jo@example.com': 'my mail', digits: '４１１１１１１１１１１１１１１１' } },
      { role: 'user', content: 4111111111111111, big: 4111111111111111n, small: 42 },
    ])
    turn.finish()
    const open = s.turn() // sent incomplete on hide, with its error
    expect(() =>
      open.wrapLLM(() => {
        throw new Error('timeout for jo@example.com')
      }),
    ).toThrow('timeout')
    b.hide()
    await tick(0)
    const body = b.net.sent.map((r) => r.body).join('\n')
    for (const secret of SECRETS) {
      expect(body).not.toContain(JSON.stringify(secret).slice(1, -1))
    }
    expect(body).not.toContain('4111111111111111')
    const turns = b.net.sent.flatMap((r) => r.events).filter((e) => e.name == 'turn')
    const done = turns.find((e) => e.status == 'error')!
    expect(done.error.message).toBe('no account for [email]')
    expect(done.tool_calls[0].error.message).toBe('card [number] declined')
    expect(done.annotations).toEqual({ note: 'call [number]', nested: { card: '[number]', big: '[number]' } })
    expect(done.retrievals).toEqual([{ text: 'customer [email], card [number]' }])
    expect(done.messages[0].content).toEqual({ '[email]': 'my mail', digits: '[number]' })
    expect(done.messages[1]).toEqual({ role: 'user', content: '[number]', big: '[number]', small: 42 })
    expect(turns.find((e) => e.status == 'incomplete')!.error.message).toBe('timeout for [email]')
  })

  it('full capture leaves them as they are', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ captureTranscript: 'full' })
    const turn = (await lumina.session.start()).turn()
    await turn.wrapLLM(() => Promise.reject(new Error('no account for jo@example.com'))).catch(() => {})
    turn.annotate({ card: 4111111111111111 })
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e.error.message).toBe('no account for jo@example.com')
    expect(e.annotations.card).toBe(4111111111111111)
  })
})

describe('issue 15: one turn, several attempts', () => {
  const attempt = (ms: number, fail?: string) => () =>
    new Promise((resolve, reject) => setTimeout(() => (fail ? reject(new Error(fail)) : resolve({ ok: true })), ms))

  it('the README retry loop: the third attempt succeeds, the turn is ok with attempts 3 and the earlier errors', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const plan = [attempt(100, 'rate limited'), attempt(200, 'overloaded'), attempt(50)]
    for (const call of plan) {
      const p = turn.wrapLLM(call, { model: 'gpt-4o', prompt_id: 'chat_v1' })
      await tick(300)
      const ok = await p.then(
        () => true,
        () => false,
      )
      if (ok) {
        break
      }
    }
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e).toMatchObject({ status: 'ok', attempts: 3, latency_ms: 50 })
    expect(e.error).toBeUndefined()
    expect(e.attempt_errors).toEqual([
      { type: 'Error', message: 'rate limited' },
      { type: 'Error', message: 'overloaded' },
    ])
    expect(invalidLines([e])).toEqual([])
  })

  it('every attempt fails: the last error is the turn error, the earlier ones in attempt_errors', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    for (const msg of ['a', 'b', 'c']) {
      const p = turn.wrapLLM(attempt(10, msg)).catch(() => {})
      await tick(10)
      await p
    }
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e).toMatchObject({ status: 'error', attempts: 3, error: { message: 'c' }, latency_ms: 10 })
    expect(e.attempt_errors.map((x: any) => x.message)).toEqual(['a', 'b'])
  })

  it('an earlier attempt that ends after a later one started does not override the later one', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    const slow = turn.wrapLLM(attempt(300, 'slow one timed out')).catch(() => {}) // the page gave up on it and retried
    const fast = turn.wrapLLM(attempt(100))
    await tick(300)
    await slow
    await fast
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e).toMatchObject({ status: 'ok', attempts: 2, latency_ms: 100 })
    expect(e.attempt_errors).toEqual([{ type: 'Error', message: 'slow one timed out' }])
  })

  it('one call: no attempts field', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const turn = (await lumina.session.start()).turn()
    await turn.wrapLLM(() => 1)
    turn.finish()
    const [e] = await turnsOf(b, lumina)
    expect(e).not.toHaveProperty('attempts')
    expect(e).not.toHaveProperty('attempt_errors')
  })
})
