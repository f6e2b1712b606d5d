import { afterAll, beforeAll, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describeEngines, snippetFor, startServer, until, type Browser, type Page, type TestServer } from './harness'

const PH_DIST = resolve(__dirname, '../../node_modules/posthog-js/dist')

/** PostHog's own loader stub (as its docs give it), loading the real array.js from node_modules. */
const postHogSnippet = (arrayJs: string) => `<script>
!function(t,e){var o,n,p,r;e.__SV||(window.posthog=e,e._i=[],e.init=function(i,s,a){function g(t,e){var o=e.split(".");2==o.length&&(t=t[o[0]],e=o[1]),t[e]=function(){t.push([e].concat(Array.prototype.slice.call(arguments,0)))}}(p=t.createElement("script")).type="text/javascript",p.async=!0,p.src=${JSON.stringify(arrayJs)},(r=t.getElementsByTagName("script")[0]).parentNode.insertBefore(p,r);var u=e;for(void 0!==a?u=e[a]=[]:a="posthog",u.people=u.people||[],o="init capture register register_once register_for_session unregister unregister_for_session identify reset get_distinct_id get_session_id get_session_replay_url startSessionRecording stopSessionRecording opt_in_capturing opt_out_capturing".split(" "),n=0;n<o.length;n++)g(u,o[n]);e._i.push([i,s,a])},e.__SV=1)}(document,window.posthog||[]);
window.phEvents = []
posthog.init('phc_test', { api_host: location.origin + '/ph', opt_out_useragent_filter: true, disable_session_recording: true, autocapture: false, capture_pageview: false,
  before_send: (e) => { phEvents.push(e); return null } })
</script>`

const page = (arrayJs: string, extra = '') => `<!doctype html><html><head>
${postHogSnippet(arrayJs)}
${snippetFor('/dist/lumina.min.js')}
<script>
  window.errors = []
  addEventListener('error', (e) => errors.push(e.message))
  lumina.init({ writeKey: 'wk_ph', endpoint: ${JSON.stringify('ENDPOINT')}, flushIntervalMs: 100, uiAnalytics: 'posthog' })
  ${extra}
</script></head><body><textarea data-lumina-chat-input></textarea></body></html>`

describeEngines('PostHog provider against the real posthog-js', (engine) => {
  let server: TestServer
  let browser: Browser

  const open = async (path: string, arrayJs = '/ph/static/array.js', extra = ''): Promise<Page> => {
    server.page(path, page(arrayJs, extra).replace('"ENDPOINT"', JSON.stringify(server.endpoint)))
    const p = await browser.newPage()
    await p.goto(server.origin + path, { waitUntil: 'domcontentloaded' })
    await p.waitForFunction(() => (window as any).lumina._loaded)
    return p
  }

  beforeAll(async () => {
    server = await startServer()
    // PostHog's API: a local sink that answers everything; its assets from node_modules.
    server.hook((req, res) => {
      const path = (req.url || '').split('?')[0]
      if (!path.startsWith('/ph/')) {
        return
      }
      const asset = path.startsWith('/ph/static/') && resolve(PH_DIST, path.slice('/ph/static/'.length))
      if (asset && existsSync(asset)) {
        res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(asset))
      } else if (path.startsWith('/ph/static/')) {
        res.writeHead(404).end()
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"featureFlags":{},"sessionRecording":false}')
      }
      return true
    })
    browser = await engine.launch()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('an event captured during an open turn carries lumina_turn_id; one after finish() does not; the turn links to the PostHog session', async () => {
    const p = await open('/ph-tags')
    await p.waitForFunction(() => (window as any).posthog.__loaded)
    const turn = await p.evaluate(async () => {
      const w = window as any
      const s = await w.lumina.session.start()
      const t = s.turn()
      await t.wrapLLM(() => Promise.resolve('ok'), { model: 'm' })
      w.posthog.capture('during_turn')
      await t.finish()
      w.posthog.capture('after_turn')
      return { turnId: t.turnId, sessionId: s.sessionId, phSession: w.posthog.get_session_id() }
    })
    const ph = await p.evaluate(() => (window as any).phEvents.map((e: any) => ({ event: e.event, props: e.properties })))
    const during = ph.find((e: any) => e.event == 'during_turn')
    const after = ph.find((e: any) => e.event == 'after_turn')
    expect(during.props).toMatchObject({ lumina_turn_id: turn.turnId, lumina_session_id: turn.sessionId, lumina_turn_seq: 1 })
    expect(after.props).not.toHaveProperty('lumina_turn_id')
    const sent = await until(() => server.events().find((e) => e.turn_id == turn.turnId))
    expect(turn.phSession).toBeTruthy()
    expect(sent.ui_session_id).toBe(turn.phSession)
    expect(sent.ui_replay_url).toContain(turn.phSession)
    await p.close()
  })

  it("binds to window.posthog while PostHog's own snippet is still loading", async () => {
    server.hook((req, res) => {
      if (!req.url?.startsWith('/slowph/array.js')) {
        return
      }
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(resolve(PH_DIST, 'array.js'))), 800)
      return true
    })
    // The page runs it by itself: WebKitWebDriver runs no script before `load`, which waits for array.js.
    const p = await open(
      '/ph-slow',
      '/slowph/array.js',
      `
      window.early = (async () => {
        const t = (await lumina.session.start()).turn()
        const loadedEarly = !!posthog.__loaded
        posthog.capture('while_stub')
        return { loadedEarly, turnId: t.turnId }
      })()`,
    )
    const id = await p.evaluate(() => (window as any).early)
    expect(id.loadedEarly).toBe(false)
    await p.waitForFunction(() => (window as any).posthog.__loaded)
    await p.waitForFunction(() => (window as any).phEvents.some((e: any) => e.event == 'while_stub'))
    const props = await p.evaluate(() => (window as any).phEvents.find((e: any) => e.event == 'while_stub').properties)
    expect(props.lumina_turn_id).toBe(id.turnId)
    await p.close()
  })

  it('identify and reset reach PostHog; chat input events go to posthog.capture', async () => {
    const p = await open('/ph-identity')
    await p.waitForFunction(() => (window as any).posthog.__loaded)
    expect(
      await p.evaluate(async () => {
        await (window as any).lumina.identify('user_ph', { plan: 'team' })
        return (window as any).posthog.get_distinct_id()
      }),
    ).toBe('user_ph')
    expect(
      await p.evaluate(() => {
        ;(window as any).lumina.reset()
        return (window as any).posthog.get_distinct_id()
      }),
    ).not.toBe('user_ph')
    await p.click('textarea')
    await p.keyboard.type('hello posthog')
    await p.keyboard.press('Enter')
    await p.waitForFunction(() => (window as any).phEvents.some((e: any) => e.event == 'chat_message_submitted'))
    const e = await p.evaluate(() => (window as any).phEvents.find((e: any) => e.event == 'chat_message_submitted').properties)
    expect(e.character_count).toBe('hello posthog'.length)
    expect(JSON.stringify(await p.evaluate(() => (window as any).phEvents))).not.toContain('hello posthog')
    await p.close()
  })

  it('PostHog blocked: turns still arrive and no error reaches the page', async () => {
    const p = await open('/ph-blocked', '/ph/static/blocked-array.js')
    const turnId = await p.evaluate(async () => {
      const t = (await (window as any).lumina.session.start()).turn()
      await t.wrapLLM(() => Promise.resolve(1))
      await t.finish()
      return t.turnId
    })
    const sent = await until(() => server.events().find((e) => e.turn_id == turnId))
    expect(sent.status).toBe('ok')
    expect(await p.evaluate(() => (window as any).errors)).toEqual([])
    await p.close()
  })
})
