// @vitest-environment node
// Server-side isolation over real HTTP on 127.0.0.1: the original README's Express middleware
// and its Next.js-style route (Fetch Request/Response), each driven by 55 concurrent requests
// from 5 users, the SDK sending to the project's own collector. Each user has a browser (the
// browser SDK with its own storage) whose turns call the server. With the browser's
// `turn.headers()` passed to `session.start({ headers })`, the server turn is the child of the
// browser turn; without them (the README verbatim), each request is its own scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakeBrowser } from '../helpers'
import { startIngest, type Ingest } from '../server/ingest'
import { chatRoute, startExpressApp, startFetchApp } from '../server/apps'
import { createNodeLumina } from '../../src/node/index'

/** alice and bob signed in on their browser too; carol and dave only on the server; the fifth user is anonymous everywhere. */
const USERS = [
  { name: 'alice', browserIdentified: true },
  { name: 'bob', browserIdentified: true },
  { name: 'carol', browserIdentified: false },
  { name: 'dave', browserIdentified: false },
  { name: '', browserIdentified: false },
]
const TURNS_PER_USER = 11 // 55 requests in all

const realFetch: typeof fetch = (input, init) => fetch(input, init)

let ingest: Ingest
beforeAll(async () => {
  ingest = await startIngest()
})
afterAll(() => ingest.close())

interface Sent {
  request: number
  user: (typeof USERS)[number]
  browserDistinctId: string
  browserSessionId: string
  browserTurnId: string
  browserSeq: number
}

/** Every user's browser makes its turns, each calling the app; all 55 requests in flight at once. */
const drive = async (url: string, server: ReturnType<typeof createNodeLumina>) => {
  const browsers = await Promise.all(
    USERS.map(async (user) => {
      const page = fakeBrowser()
      const sdk = page.sdk({ endpoint: ingest.endpoint, writeKey: ingest.writeKey }, { fetch: realFetch })
      if (user.browserIdentified) {
        await sdk.identify(user.name)
      }
      return { user, sdk, session: await sdk.session.start() }
    }),
  )
  const sent: Sent[] = []
  const calls: Promise<unknown>[] = []
  for (let i = 0; i < TURNS_PER_USER; i++) {
    for (const b of browsers) {
      const turn = b.session.turn()
      const request = sent.length
      sent.push({
        request,
        user: b.user,
        browserDistinctId: b.sdk.getDistinctId(),
        browserSessionId: b.session.sessionId,
        browserTurnId: turn.turnId,
        browserSeq: turn.seq,
      })
      const headers: Record<string, string> = { ...turn.headers(), 'content-type': 'application/json' }
      if (b.user.name) {
        headers['x-user'] = b.user.name
      }
      calls.push(
        turn
          .wrapLLM(() =>
            realFetch(url + '/api/chat', { method: 'POST', headers, body: JSON.stringify({ message: `hello ${request}`, request }) }).then((r) =>
              r.json(),
            ),
          )
          .then(() => turn.finish()),
      )
    }
  }
  const replies = await Promise.all(calls)
  await server.flush()
  await Promise.all(browsers.map((b) => b.sdk.flush()))
  return { sent, replies }
}

const apps = [
  ['Express middleware', (sdk: any, continueTrace: boolean) => startExpressApp(sdk, { continueTrace })],
  ['Next.js-style route (Fetch Request/Response)', (sdk: any, continueTrace: boolean) => startFetchApp(chatRoute(sdk, { continueTrace }))],
] as const

describe.each(apps)('%s', (_, start) => {
  it("55 concurrent requests from 5 users, the README verbatim: every turn is its request's user, no identify links two users, a session per request", async () => {
    const server = createNodeLumina()
    server.init({ endpoint: ingest.endpoint, writeKey: ingest.writeKey, captureTranscript: 'full' })
    const app = await start(server, false)
    const before = new Set((await ingest.events()).map((e) => e.id))
    const { sent } = await drive(app.url, server)
    await app.close()
    const events = (await ingest.events()).filter((e) => !before.has(e.id))
    const serverTurns = events.filter((e) => e.name == 'turn' && e.annotations?.request !== undefined)
    expect(serverTurns).toHaveLength(sent.length)
    const anonIds = new Set<string>()
    for (const turn of serverTurns) {
      const { user } = sent[turn.annotations.request]
      if (user.name) {
        expect(turn.distinct_id).toBe(user.name)
      } else {
        expect(turn.distinct_id).toMatch(/^anon_/)
        anonIds.add(turn.distinct_id)
      }
      expect(turn.seq).toBe(1)
      expect(turn.messages[0].content).toBe(`hello ${turn.annotations.request}`)
      expect(turn.annotations.ambient).toBe(turn.distinct_id) // getDistinctId() in the route
    }
    // a fresh anonymous id per anonymous request, a session per request
    expect(anonIds.size).toBe(TURNS_PER_USER)
    expect(new Set(serverTurns.map((t) => t.session_id)).size).toBe(sent.length)
    // identify: previous_id is that request's own anonymous id, never another user
    const sessions = new Set(serverTurns.map((t) => t.session_id))
    const previous = events.filter((e) => e.name == 'identify' && sessions.has(e.session_id)).map((e) => e.previous_id)
    expect(previous).toHaveLength(sent.filter((s) => s.user.name).length)
    const names = USERS.map((u) => u.name).filter(Boolean)
    for (const id of previous) {
      expect(names).not.toContain(id)
      expect(id).toMatch(/^anon_/)
    }
    expect(new Set(previous).size).toBe(previous.length)
  }, 30_000)

  it('55 concurrent requests with the browser turn headers: each server turn is the child of its browser turn, in its session, with its seq and user', async () => {
    const server = createNodeLumina()
    server.init({ endpoint: ingest.endpoint, writeKey: ingest.writeKey, captureTranscript: 'full' })
    const app = await start(server, true)
    const before = new Set((await ingest.events()).map((e) => e.id))
    const { sent } = await drive(app.url, server)
    await app.close()
    const events = (await ingest.events()).filter((e) => !before.has(e.id))
    const turns = events.filter((e) => e.name == 'turn')
    const serverTurns = turns.filter((e) => e.annotations?.request !== undefined)
    const browserTurns = new Map(turns.filter((e) => e.annotations?.request === undefined).map((t) => [t.turn_id, t]))
    expect(serverTurns).toHaveLength(sent.length)
    expect(browserTurns.size).toBe(sent.length)
    for (const turn of serverTurns) {
      const s = sent[turn.annotations.request]
      expect(turn.distinct_id).toBe(s.user.name || s.browserDistinctId)
      expect(turn.annotations.ambient).toBe(turn.distinct_id)
      expect(turn.session_id).toBe(s.browserSessionId)
      expect(turn.parent_span_id).toBe(s.browserTurnId)
      expect(turn.seq).toBe(s.browserSeq)
      expect(turn.traceparent.split('-')[1]).toBe(s.browserSessionId)
      // the browser half: the same session, the time to first token the user saw
      const parent = browserTurns.get(turn.parent_span_id)!
      expect(parent.session_id).toBe(turn.session_id)
      expect(parent.seq).toBe(turn.seq)
    }
    // per browser session: one session id, seq 1..11 without gaps, on both halves
    for (const user of USERS) {
      const mine = serverTurns.filter((t) => sent[t.annotations.request].user == user)
      expect(new Set(mine.map((t) => t.session_id)).size).toBe(1)
      expect(mine.map((t) => t.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: TURNS_PER_USER }, (_, i) => i + 1))
    }
    // identify on the server (the browser identified before its session began): previous_id is
    // this request's browser id (its anonymous id, or the same user), never another user
    const browserIdOf = new Map(sent.map((s) => [s.user.name, s.browserDistinctId]))
    const serverIdentifies = events.filter((e) => e.name == 'identify' && e.session_id)
    expect(serverIdentifies).toHaveLength(sent.filter((s) => s.user.name).length)
    for (const e of serverIdentifies) {
      expect([e.user_id, browserIdOf.get(e.user_id)]).toContain(e.previous_id)
    }
  }, 30_000)
})
