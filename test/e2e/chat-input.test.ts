import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { describeEngines, itWhere, sleep, snippetFor, startServer, until, type Browser, type Page, type TestServer } from './harness'

const SECRET = 'Secret words 12345'

const chatPage = (body: string, script = '') => `<!doctype html><html><head>
${snippetFor('/dist/lumina.min.js')}
<script>lumina.init({ writeKey: 'wk_chat', endpoint: ${JSON.stringify('ENDPOINT')}, flushIntervalMs: 100 })</script>
</head><body>${body}<script>${script}</script></body></html>`

describeEngines('chat inputs bound by data attributes, real keyboard', (engine) => {
  let server: TestServer
  let browser: Browser
  let page: Page

  const serve = (path: string, html: string) => server.page(path, html.replace('"ENDPOINT"', JSON.stringify(server.endpoint)))

  /** Chat events received from this page's user. */
  let user = ''
  const chatEvents = () => server.events().filter((e) => e.distinct_id == user && e.name.startsWith('chat_'))
  const names = () => chatEvents().map((e) => e.name)

  const open = async (path: string) => {
    page = await browser.newPage()
    await page.goto(server.origin + path)
    await page.waitForFunction(() => (window as any).lumina._loaded)
    user = await page.evaluate(() => (window as any).lumina.getDistinctId())
  }

  beforeAll(async () => {
    server = await startServer()
    browser = await engine.launch()
    server.page('/away', '<!doctype html><p>away</p>')
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })
  beforeEach(async () => {
    await page?.close().catch(() => {})
  })

  /** After the test: the typed text never reached the collector, in any request. */
  const expectNoRawText = () => {
    const all = JSON.stringify(server.received)
    expect(all).not.toContain(SECRET)
    expect(all).not.toContain('Secret words')
  }

  it('form submit (Enter in an input inside a form) counts once, with typing time', async () => {
    serve(
      '/form',
      chatPage(
        `<form onsubmit="event.preventDefault(); this.q.value=''"><input name="q" data-lumina-chat-input><button data-lumina-chat-submit>Send</button></form>`,
      ),
    )
    await open('/form')
    await page.click('input')
    await page.keyboard.type(SECRET, { delay: 20 })
    await page.keyboard.press('Enter')
    await until(() => names().includes('chat_message_submitted'))
    await sleep(300)
    expect(names()).toEqual(['chat_input_started', 'chat_message_submitted'])
    const sent = chatEvents()[1]
    expect(sent.character_count).toBe(SECRET.length)
    expect(sent.typing_duration_ms).toBeGreaterThan(15 * (SECRET.length - 1))
    expect(sent.content_hash).toMatch(/^[0-9a-f]{64}$/)
    expectNoRawText()
  })

  it('the send button click counts once', async () => {
    serve(
      '/button',
      chatPage(`<form onsubmit="event.preventDefault()"><input data-lumina-chat-input><button data-lumina-chat-submit>Send</button></form>`),
    )
    await open('/button')
    await page.click('input')
    await page.keyboard.type(SECRET)
    await page.click('button')
    await until(() => names().includes('chat_message_submitted'))
    await sleep(500)
    expect(names()).toEqual(['chat_input_started', 'chat_message_submitted'])
    expectNoRawText()
  })

  it('Enter in a textarea outside a form submits; Shift+Enter makes a newline', async () => {
    serve('/textarea', chatPage(`<div data-lumina-chat><textarea data-lumina-chat-input></textarea></div>`))
    await open('/textarea')
    await page.click('textarea')
    await page.keyboard.type('first line')
    await page.keyboard.press('Shift+Enter')
    await page.keyboard.type(SECRET)
    await sleep(300)
    expect(names()).toEqual(['chat_input_started'])
    expect(await page.evaluate(() => document.querySelector('textarea')!.value)).toBe('first line\n' + SECRET)
    await page.keyboard.press('Enter')
    await until(() => names().includes('chat_message_submitted'))
    // Found by name: Enter's newline then lands in the still-full textarea, a new `chat_input_started`
    // that Firefox and WebKit deliver before the submission (whose SHA-256 is asynchronous).
    expect(chatEvents().find((e) => e.name == 'chat_message_submitted')!.character_count).toBe(('first line\n' + SECRET).length)
    expectNoRawText()
  })

  itWhere(engine, 'ime')('Enter during IME composition does not submit', async () => {
    serve('/ime', chatPage(`<textarea data-lumina-chat-input></textarea>`))
    await open('/ime')
    await page.click('textarea')
    await page.imeEnter('にほん')
    await sleep(400)
    expect(names()).not.toContain('chat_message_submitted')
    await page.keyboard.press('Enter')
    await until(() => names().includes('chat_message_submitted'))
  })

  it('blur with unsent text is abandonment', async () => {
    serve('/blur', chatPage(`<input data-lumina-chat-input><a href="#" id="elsewhere">elsewhere</a>`))
    await open('/blur')
    await page.click('input')
    await page.keyboard.type(SECRET)
    await page.click('#elsewhere')
    await until(() => names().includes('chat_input_abandoned'))
    const e = chatEvents().find((x) => x.name == 'chat_input_abandoned')!
    expect(e.character_count).toBe(SECRET.length)
    expect(e.partial_content_hash).toMatch(/^[0-9a-f]{64}$/)
    expectNoRawText()
  })

  it('navigation away with unsent text: abandonment arrives (page-hide path)', async () => {
    serve('/leave', chatPage(`<input data-lumina-chat-input>`))
    await open('/leave')
    await page.click('input')
    await page.keyboard.type(SECRET)
    await sleep(100) // a person pauses at least this long between typing and leaving
    await page.goto(server.origin + '/away')
    const e = await until(() => chatEvents().find((x) => x.name == 'chat_input_abandoned'))
    expect(e.character_count).toBe(SECRET.length)
    expect(e.partial_content_hash).toMatch(/^[0-9a-f]{64}$/) // SHA-256 computed as the user typed, not the fallback
    const req = server.received.find((r) => r.events.includes(e))!
    expect(req.contentType).toBe('text/plain;charset=UTF-8')
    expectNoRawText()
  })

  it('an input inserted 1 s after load is bound', async () => {
    serve(
      '/later',
      chatPage(
        ``,
        `setTimeout(() => { const t = document.createElement('textarea'); t.setAttribute('data-lumina-chat-input', ''); document.body.append(t) }, 1000)`,
      ),
    )
    await open('/later')
    await page.waitForFunction(() => document.querySelector('textarea'), { timeout: 3000 })
    await page.click('textarea')
    await page.keyboard.type('late input')
    await page.keyboard.press('Enter')
    await until(() => names().includes('chat_message_submitted'))
  })

  it('a contenteditable div works', async () => {
    serve('/editable', chatPage(`<div contenteditable="true" data-lumina-chat-input style="min-height:2em"></div>`))
    await open('/editable')
    await page.click('[contenteditable]')
    await page.keyboard.type(SECRET)
    await page.keyboard.press('Enter')
    await until(() => names().includes('chat_message_submitted'))
    expect(chatEvents().find((e) => e.name == 'chat_message_submitted')!.character_count).toBe(SECRET.length)
    expectNoRawText()
  })
})
