// @vitest-environment node
// The Node entry: scopes carried by AsyncLocalStorage, a SessionCtx that carries its own
// identity, withScope, continuing a browser trace from headers, same-tick sends and timers
// that never hold the process. Real timers, a recording fetch.
import { describe, expect, it } from 'vitest'
import { createNodeLumina } from '../../src/node/index'
import { nodePlatform } from '../../src/node/platform'

const T = '4bf92f3577b34da6a3ce929d0e0e4736'
const S = '00f067aa0ba902b7'

/** A Node instance whose fetch records each request's events and answers 200. */
const recording = () => {
  const requests: Record<string, any>[][] = []
  const lumina = createNodeLumina({
    fetch: async (_url, init) => {
      requests.push(
        String(init!.body)
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      )
      return new Response('{}')
    },
  })
  lumina.init({ writeKey: 'wk', endpoint: 'https://ingest.test', flushIntervalMs: 60_000 })
  const events = () => requests.flat()
  return { lumina, requests, events, turns: () => events().filter((e) => e.name == 'turn') }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('scopes', () => {
  it('two concurrent flows each see only their own user, in the async work they start', async () => {
    const { lumina, turns, events } = recording()
    const flow = async (user: string, delay: number) => {
      const session = await lumina.session.start()
      await pause(delay)
      await lumina.identify(user)
      await pause(10 - delay)
      expect(lumina.getDistinctId()).toBe(user)
      await Promise.all(
        [1, 2].map(async (n) => {
          await pause(n)
          const turn = session.turn()
          turn.annotate({ user })
          return turn.finish()
        }),
      )
    }
    await Promise.all([flow('alice', 1), flow('bob', 5), flow('carol', 3)])
    for (const t of turns()) {
      expect(t.distinct_id).toBe(t.annotations.user)
    }
    const identifies = events().filter((e) => e.name == 'identify')
    expect(identifies).toHaveLength(3)
    for (const e of identifies) {
      expect(e.previous_id).toMatch(/^anon_/)
    }
    expect(new Set(identifies.map((e) => e.previous_id)).size).toBe(3)
  })

  it("a SessionCtx carries its scope's identity wherever its turns are made", async () => {
    const { lumina, turns } = recording()
    const session = await lumina.withScope(async () => {
      const s = await lumina.session.start()
      await lumina.identify('alice')
      return s
    })
    // outside that scope now: the ambient one is the process default
    expect(lumina.getDistinctId()).not.toBe('alice')
    await session.turn().finish()
    expect(turns()[0].distinct_id).toBe('alice')
    expect(turns()[0].session_id).toBe(session.sessionId)
  })

  it('withScope starts clean: no user and no session of the enclosing scope; it returns what fn returns', async () => {
    const { lumina } = recording()
    await lumina.session.start()
    await lumina.identify('outer')
    const inner = await lumina.withScope(async () => {
      expect(lumina.isAnonymous()).toBe(true)
      await lumina.identify('inner')
      return lumina.getDistinctId()
    })
    expect(inner).toBe('inner')
    expect(lumina.getDistinctId()).toBe('outer')
    expect(() =>
      lumina.withScope(() => {
        throw new RangeError('yours')
      }),
    ).toThrow(RangeError)
  })

  it('outside any request: one process-wide scope; a script that identified first keeps its user in the session it starts', async () => {
    const { lumina, turns } = recording()
    await lumina.withScope(async () => {
      await lumina.identify('script_user')
      const s = await lumina.session.start()
      await s.turn().finish()
    })
    expect(turns()[0].distinct_id).toBe('script_user')
  })

  it('session.start() in a fresh request scope never reuses the process-wide anonymous id', async () => {
    const { lumina } = recording()
    const processId = lumina.getDistinctId()
    const ids = await Promise.all(
      [1, 2, 3].map(() =>
        lumina.withScope(async () => {
          await lumina.session.start()
          return lumina.getDistinctId()
        }),
      ),
    )
    expect(new Set([processId, ...ids]).size).toBe(4)
  })
})

describe('continuing a browser turn from headers', () => {
  it('a valid traceparent and baggage: the same session, distinct id and seq; each turn a child of the browser turn', async () => {
    const { lumina, turns } = recording()
    const session = await lumina.session.start({
      headers: { traceparent: `00-${T}-${S}-01`, baggage: `lumina.distinct_id=anon_b,lumina.session_id=${T},lumina.seq=4` },
    })
    expect(session.sessionId).toBe(T)
    expect(lumina.getDistinctId()).toBe('anon_b')
    const turn = session.turn()
    expect(turn.traceparent).toBe(`00-${T}-${turn.turnId}-01`)
    await turn.finish()
    expect(turns()[0]).toMatchObject({ session_id: T, distinct_id: 'anon_b', seq: 4, parent_span_id: S })
  })

  it('a malformed or absent traceparent starts a fresh trace, with no parent span', async () => {
    const { lumina, turns } = recording()
    for (const headers of [{ traceparent: `00-${'0'.repeat(32)}-${S}-01` }, { traceparent: 'garbage' }, {}, new Headers()]) {
      const session = await lumina.session.start({ headers })
      expect(session.sessionId).toMatch(/^[0-9a-f]{32}$/)
      expect(session.sessionId).not.toBe(T)
      await session.turn().finish()
    }
    for (const t of turns()) {
      expect(t).not.toHaveProperty('parent_span_id')
      expect(t.seq).toBe(1)
    }
  })
})

describe('delivery in Node', () => {
  it('turns finished in the same tick share one request, sent in that tick', async () => {
    const { lumina, requests } = recording()
    const session = await lumina.session.start()
    const finished = [session.turn(), session.turn(), session.turn()].map((t) => t.finish())
    await Promise.all(finished)
    expect(requests).toHaveLength(1)
    expect(requests[0].map((e) => e.seq)).toEqual([1, 2, 3])
  })

  it("the SDK's timers never hold the process; only a bounded wait someone awaits does", () => {
    const p = nodePlatform()
    const timer = p.setTimeout(() => {}, 60_000) as NodeJS.Timeout
    const held = p.setTimeout(() => {}, 5000, true) as NodeJS.Timeout
    expect(timer.hasRef()).toBe(false)
    expect(held.hasRef()).toBe(true)
    p.clearTimeout(timer)
    p.clearTimeout(held)
  })
})
