// One trace from the page to the model: the CDN bundle in Chromium makes a turn whose request
// to the page's own backend (the README's Express middleware, the Node SDK) carries
// `turn.headers()`; the collector receives the browser turn and the server turn as parent and
// child in one session.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createServer } from 'node:http'
import type { Browser } from 'playwright-core'
import { describeBrowser, dist, launch } from './harness'
import { startIngest, type Ingest } from '../server/ingest'
import { expressApp, listen } from '../server/apps'
import { createNodeLumina } from '../../src/node/index'

let browser: Browser
let ingest: Ingest
let app: { url: string; close(): Promise<void> }
const server = createNodeLumina()

beforeAll(async () => {
  ingest = await startIngest()
  server.init({ endpoint: ingest.endpoint, writeKey: ingest.writeKey, captureTranscript: 'full' })
  const chat = expressApp(server, { continueTrace: true })
  app = await listen(
    createServer((req, res) => {
      if (req.url == '/') {
        return res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><script src="/lumina.min.js"></script>')
      }
      if (req.url == '/lumina.min.js') {
        return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(dist('lumina.min.js'))
      }
      chat(req, res)
    }),
  )
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await ingest?.close()
})

describeBrowser('browser turn → server turn', () => {
  it("the page's turn.headers() make the server turn its child: same session and seq, parent_span_id, the signed-in user aliased from the browser's id", async () => {
    const page = await browser.newPage()
    await page.goto(app.url + '/')
    const sent = await page.evaluate(
      async ({ endpoint, writeKey }) => {
        const lumina = (window as any).lumina
        lumina.init({ endpoint, writeKey })
        const session = await lumina.session.start()
        const turn = session.turn()
        const headers = turn.headers()
        await turn.wrapLLM(() =>
          fetch('/api/chat', {
            method: 'POST',
            headers: { ...headers, 'Content-Type': 'application/json', 'x-user': 'alice' },
            body: JSON.stringify({ message: 'hello from the page', request: 0 }),
          }).then((r) => r.json()),
        )
        await turn.finish()
        return { headers, sessionId: session.sessionId, turnId: turn.turnId, seq: turn.seq, distinctId: lumina.getDistinctId() }
      },
      { endpoint: ingest.endpoint, writeKey: ingest.writeKey },
    )
    expect(sent.headers.baggage).toBe(`lumina.distinct_id=${encodeURIComponent(sent.distinctId)},lumina.session_id=${sent.sessionId},lumina.seq=1`)
    await server.flush()
    // both turns in the collector's store (the server's flush() above waited for its confirmation)
    let pair: Record<string, any>[] | undefined
    for (let i = 0; i < 100 && !pair; i++) {
      const turns = (await ingest.events()).filter((e) => e.name == 'turn')
      const b = turns.find((t) => t.turn_id == sent.turnId)
      const s = turns.find((t) => t.parent_span_id == sent.turnId)
      if (b && s) {
        pair = [b, s]
      } else {
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    const [browserTurn, serverTurn] = pair!
    expect(browserTurn).toMatchObject({ session_id: sent.sessionId, seq: 1, distinct_id: sent.distinctId })
    expect(serverTurn).toMatchObject({ session_id: sent.sessionId, seq: 1, distinct_id: 'alice', parent_span_id: sent.turnId, model: 'gpt-4o' })
    const identify = (await ingest.events()).find((e) => e.name == 'identify' && e.user_id == 'alice')
    expect(identify?.previous_id).toBe(sent.distinctId) // the browser's anonymous id, aliased to the signed-in user
    await page.close()
  })
})
