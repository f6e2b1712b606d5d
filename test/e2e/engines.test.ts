/**
 * Where the engines differ in ways that change what the SDK does: how a turn leaves at page
 * hide (keepalive fetch, or sendBeacon), and how long the engine keeps the identity cookie.
 * Each page records the SDK's calls to fetch/sendBeacon in localStorage (synchronous, so it
 * survives the navigation) and the next page reads them.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEngines, snippetFor, startServer, until, type Browser, type TestServer } from './harness'

/** Logs every keepalive fetch and every sendBeacon to localStorage `hidelog`; `rejectKeepalive` makes keepalive fetches fail (Firefox before 133 had none). */
const recorder = (rejectKeepalive: boolean) => `<script>
  const log = (what) => localStorage.setItem('hidelog', (localStorage.getItem('hidelog') || '') + what + '\\n')
  const realFetch = window.fetch
  window.fetch = (input, init) => {
    if (!init || !init.keepalive) return realFetch(input, init)
    log('keepalive ' + String(input).split('?')[0].replace(/^https?:..[^/]+/, ''))
    return ${rejectKeepalive} ? Promise.reject(new TypeError('keepalive not available')) : realFetch(input, init)
  }
  const realBeacon = navigator.sendBeacon.bind(navigator)
  navigator.sendBeacon = (url, body) => {
    const queued = realBeacon(url, body)
    log('beacon ' + String(url).split('?')[0].replace(/^https?:..[^/]+/, '') + ' ' + queued)
    return queued
  }
</script>`

const leavingPage = (endpoint: string, model: string, rejectKeepalive = false) => `<!doctype html><html><head>
${recorder(rejectKeepalive)}
${snippetFor('/dist/lumina.min.js')}
<script>
  lumina.init({ writeKey: 'wk_eng', endpoint: ${JSON.stringify(endpoint)}, flushIntervalMs: 60000 })
  window.leave = async () => {
    const t = (await lumina.session.start()).turn()
    await t.wrapLLM(() => Promise.resolve('x'), { model: ${JSON.stringify(model)} })
    t.finish()
    location.href = '/next'
  }
</script></head><body>leaving</body></html>`

describeEngines('engine differences', (engine) => {
  let server: TestServer
  let browser: Browser

  beforeAll(async () => {
    server = await startServer()
    browser = await engine.launch()
    server.page('/next', '<!doctype html><p>next</p>')
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  /** Opens `path`, runs `leave()`, and returns what the page logged once it is on /next. */
  const leaveAndLog = async (path: string) => {
    const p = await browser.newPage()
    await p.goto(server.origin + path)
    await p.waitForFunction(() => (window as any).lumina._loaded)
    const hasKeepalive = await p.evaluate(() => 'keepalive' in new Request('/'))
    await p.evaluate(() => void (window as any).leave())
    await p.waitForFunction(() => location.pathname == '/next')
    const log = await p.evaluate(() => (localStorage.getItem('hidelog') || '').trim().split('\n').filter(Boolean))
    return { p, log, hasKeepalive }
  }

  it('page hide: a keepalive fetch where the engine has one, no beacon; the turn arrives once', async () => {
    server.page('/hide-keepalive', leavingPage(server.endpoint, 'hide-keepalive'))
    const { p, log, hasKeepalive } = await leaveAndLog('/hide-keepalive')
    const turns = await until(() => {
      const t = server.events().filter((e) => e.model == 'hide-keepalive')
      return t.length && t
    })
    console.log(`[e2e] ${engine.name}: keepalive in Request: ${hasKeepalive}; page hide used: ${log.join(', ')}`)
    if (hasKeepalive) {
      expect(log).toEqual(['keepalive /collect/sdk/events'])
    } else {
      expect(log[log.length - 1]).toBe('beacon /collect/sdk/events true')
    }
    expect(turns).toHaveLength(1)
    expect(server.received.find((r) => r.events.includes(turns[0]))!.contentType).toBe('text/plain;charset=UTF-8')
    await p.close()
  })

  it('page hide with keepalive fetch rejected (Firefox before 133, or over quota): sendBeacon carries the turn', async () => {
    server.page('/hide-beacon', leavingPage(server.endpoint, 'hide-beacon', true))
    const { p, log } = await leaveAndLog('/hide-beacon')
    const turn = await until(() => server.events().find((e) => e.model == 'hide-beacon'))
    expect(log).toEqual(['keepalive /collect/sdk/events', 'beacon /collect/sdk/events true'])
    const req = server.received.find((r) => r.events.includes(turn))!
    expect(req.url).toContain('?key=wk_eng')
    expect(req.contentType).toBe('text/plain;charset=UTF-8')
    await p.close()
  })

  it('the identity cookie: kept a year by this engine; if the engine drops it (Safari ITP: 7 days) localStorage restores it, and the other way round', async () => {
    server.page(
      '/identity',
      `<!doctype html><html><head>${snippetFor('/dist/lumina.min.js')}
      <script>lumina.init({ writeKey: 'wk_eng', endpoint: ${JSON.stringify(server.endpoint)} })</script></head><body>id</body></html>`,
    )
    const p = await browser.newPage()
    await p.goto(server.origin + '/identity')
    await p.waitForFunction(() => (window as any).lumina._loaded)
    const id = await p.evaluate(() => (window as any).lumina.getDistinctId())
    expect(id).toMatch(/^anon_/)
    const cookie = (await p.cookies()).find((c) => c.name == 'lumina_id')!
    expect(decodeURIComponent(cookie.value)).toBe(id)
    const days = (cookie.expires - Date.now() / 1000) / 86400
    console.log(`[e2e] ${engine.name}: lumina_id cookie kept for ${days.toFixed(1)} days`)
    expect(days).toBeGreaterThan(364)
    expect(days).toBeLessThan(366)

    // The cookie gone (what ITP does after 7 days): the id comes back from localStorage, and the cookie with it.
    await p.evaluate(() => (document.cookie = 'lumina_id=; Max-Age=0; Path=/'))
    await p.reload()
    await p.waitForFunction(() => (window as any).lumina._loaded)
    expect(await p.evaluate(() => (window as any).lumina.getDistinctId())).toBe(id)
    expect((await p.cookies()).find((c) => c.name == 'lumina_id')?.value).toBe(encodeURIComponent(id))

    // localStorage gone (Safari clears script-writable storage after 7 days without a visit): the cookie restores it.
    await p.evaluate(() => localStorage.removeItem('lumina_id'))
    await p.reload()
    await p.waitForFunction(() => (window as any).lumina._loaded)
    expect(await p.evaluate(() => (window as any).lumina.getDistinctId())).toBe(id)
    expect(await p.evaluate(() => localStorage.getItem('lumina_id'))).toBe(id)
    await p.close()
  })
})
