// The README's "Paste the snippet" section, pasted into a page as a site owner would: the
// generated snippet block, then the page example, then the page's own code. Only the three
// addresses a real site has change (the bundle URL — jsDelivr is not reachable here — the
// ingest and the site's /api/chat); the SRI hash stays the README's own. Also what
// docs/self-hosting.md says about a bundle on another origin: SRI needs its CORS header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describeEngines, dist, snippetFor, startServer, until, type Browser, type Page, type TestServer } from './harness'
const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8')
/** The html block after a README marker comment, exactly as the README shows it. */
const htmlBlock = (marker: string) => {
  const m = new RegExp(`<!-- ${marker} -->\\n\`\`\`html\\n([\\s\\S]*?)\\n\`\`\``).exec(readme)
  if (!m) {
    throw new Error(`README.md has no html block after <!-- ${marker} -->`)
  }
  return m[1]
}
const CDN = /"https:\/\/cdn\.jsdelivr\.net\/npm\/luminasdk@[^"]+"/

/** What /api/chat answers: an OpenAI chat completion, as the site's backend would pass it on. */
const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Your invoice is under Billing.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
}
describeEngines('README and docs examples', (engine) => {
  let server: TestServer
  let browser: Browser
  const chatRequests: { traceparent?: string; body: string }[] = []

  /** The site's page: the README's two blocks pasted into <head>, then the page's own script. */
  const sitePage = (bundleUrl: string) => {
    const snippet = htmlBlock('snippet:start')
    expect(snippet).toMatch(CDN)
    const example = htmlBlock('example:page')
    expect(example).toContain("'https://ingest.example.com'")
    return `<!doctype html><html><head>
  <script>window.errors = []; addEventListener('error', (e) => errors.push(String(e.message)))</script>
  ${snippet.replace(CDN, JSON.stringify(bundleUrl))}
  ${example.replace("'https://ingest.example.com'", JSON.stringify(server.endpoint))}
  <script>window.pageCodeRan = true</script>
  </head><body><p>Support chat</p></body></html>`
  }

  const open = async (path: string): Promise<Page> => {
    const page = await browser.newPage()
    await page.goto(server.origin + path)
    return page
  }
  const ask = (page: Page) => page.evaluate(() => (window as any).ask([{ role: 'user', content: 'Where is my invoice?' }]))

  beforeAll(async () => {
    server = await startServer()
    server.hook((req, res, body) => {
      if (req.url != '/api/chat') {
        return
      }
      chatRequests.push({ traceparent: req.headers.traceparent as string | undefined, body })
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(completion))
      return true
    })
    browser = await engine.launch()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  describe("the README's snippet example, pasted into a page", () => {
    it("runs in a plain <script> (no top-level await): ask() answers, the turn arrives, and the page's own code after it runs", async () => {
      // The bundle from the other origin (localhost), as from a CDN: the README's SRI hash with CORS.
      server.page('/site', sitePage(`${server.endpoint}/dist/lumina.min.js`))
      const page = await open('/site')
      expect(await ask(page)).toBe('Your invoice is under Billing.')
      expect(await page.evaluate(() => [(window as any).pageCodeRan, (window as any).errors])).toEqual([true, []])
      expect(await page.evaluate(() => !!(window as any).lumina._loaded)).toBe(true)
      await page.evaluate(() => (window as any).lumina.flush())
      const turn = await until(() => server.events().find((e) => e.name == 'turn' && e.prompt_id == 'support-v3'))
      expect(turn).toMatchObject({ model: 'gpt-4o-mini', status: 'ok', usage: { input_tokens: 12, output_tokens: 7 } })
      expect(turn.messages.at(-1)).toMatchObject({ role: 'assistant' })
      // turn.headers() went to the site's backend: it can join the turn's trace
      expect(chatRequests.at(-1)?.traceparent).toBe(turn.traceparent)
      await page.close()
    })

    it('with the bundle blocked (404), ask() still answers and nothing throws', async () => {
      server.page('/site-blocked', sitePage(`${server.endpoint}/blocked/lumina.min.js`))
      const page = await open('/site-blocked')
      expect(await ask(page)).toBe('Your invoice is under Billing.')
      expect(await page.evaluate(() => [(window as any).pageCodeRan, (window as any).errors, !!(window as any).lumina._loaded])).toEqual([
        true,
        [],
        false,
      ])
      await page.close()
    })
  })

  describe('docs/self-hosting.md: a bundle on another origin with SRI', () => {
    /** Serves lumina.min.js from the other origin, with or without Access-Control-Allow-Origin. */
    beforeAll(() => {
      server.hook((req, res) => {
        const m = /^\/self\/(cors|no-cors)\/lumina\.min\.js$/.exec(req.url || '')
        if (!m) {
          return
        }
        const headers: Record<string, string> = { 'Content-Type': 'text/javascript' }
        if (m[1] == 'cors') {
          headers['Access-Control-Allow-Origin'] = '*'
        }
        res.writeHead(200, headers).end(dist('lumina.min.js'))
        return true
      })
    })
    const loads = async (path: string, bundleUrl: string) => {
      server.page(path, `<!doctype html><html><head>${snippetFor(bundleUrl, true)}</head><body></body></html>`)
      const page = await open(path)
      // the snippet settles every call either way; then _loaded tells whether the bundle ran
      await page.evaluate(() => (window as any).lumina.getDistinctId())
      const loaded = await page.evaluate(() => !!(window as any).lumina._loaded)
      await page.close()
      return loaded
    }

    it('loads when the bundle is served with Access-Control-Allow-Origin', async () => {
      expect(await loads('/self-cors', `${server.endpoint}/self/cors/lumina.min.js`)).toBe(true)
    })
    it('is refused without it (integrity needs a CORS response), and the page carries on', async () => {
      expect(await loads('/self-no-cors', `${server.endpoint}/self/no-cors/lumina.min.js`)).toBe(false)
    })
    it('loads from the same origin without any CORS header', async () => {
      expect(await loads('/self-same', `${server.origin}/self/no-cors/lumina.min.js`)).toBe(true)
    })
  })
})
