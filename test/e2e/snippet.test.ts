import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEngines, dist, sleep, snippetFor, startServer, step, until, type Browser, type Page, type TestServer } from './harness'

/** A chat page: the snippet, init, and a `chat()` that runs one turn around a fake LLM. */
const chatPage = (snippet: string, extra = '', nonce = '') => `<!doctype html><html><head>
${snippet}
<script${nonce ? ` nonce="${nonce}"` : ''}>
  window.errors = []
  window.warned = []
  const warn = console.warn
  console.warn = (...a) => {
    warned.push(a.join(' '))
    warn.apply(console, a)
  }
  window.addEventListener('error', (e) => errors.push(String(e.message)))
  window.addEventListener('unhandledrejection', (e) => errors.push('unhandled: ' + e.reason))
  lumina.init({ writeKey: 'wk_e2e', endpoint: ENDPOINT, flushIntervalMs: 200, captureTranscript: 'full' })
  window.chat = async (text) => {
    const session = await lumina.session.start()
    const turn = session.turn()
    const reply = await turn.wrapLLM(() => new Promise((r) => setTimeout(() => r('echo: ' + text), 20)), { model: 'fake-1', prompt_id: 'p-e2e' })
    turn.setMessages([{ role: 'user', content: text }, { role: 'assistant', content: reply }])
    turn.finish()
    return reply
  }
  ${extra}
</script></head><body><p>chat</p></body></html>`

describeEngines('snippet and CDN bundle', (engine) => {
  let server: TestServer
  let browser: Browser

  const open = async (path: string, waitUntil: 'domcontentloaded' | 'commit' = 'domcontentloaded'): Promise<Page> => {
    const page = await browser.newPage()
    await page.goto(server.origin + path, { waitUntil })
    return page
  }

  beforeAll(async () => {
    server = await startServer()
    browser = await engine.launch()
    console.log(`[e2e] snippet suite in ${browser.version}`)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  const page = (path: string, html: string, headers?: Record<string, string>) =>
    server.page(path, html.replace('ENDPOINT', JSON.stringify(server.endpoint)), headers)

  it('calls made before a slow bundle (500 ms) all run, in order, and the turn arrives with the contract fields', async () => {
    server.hook((req, res) => {
      if (!req.url?.startsWith('/slow/lumina.min.js')) {
        return
      }
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(dist('lumina.min.js')), 500)
      return true
    })
    page(
      '/early',
      chatPage(
        snippetFor('/slow/lumina.min.js'),
        `
      window.loadedEarly = !!lumina._loaded
      window.log = []
      window.early = (async () => {
        lumina.identify('user_e2e', { plan: 'pro' }).then(() => log.push('identify'))
        const id = lumina.getDistinctId().then((id) => log.push('id:' + id))
        const reply = await chat('hello')
        log.push('reply:' + reply)
        await lumina.flush()
        log.push('flushed')
        return log
      })()`,
      ),
    )
    const p = await open('/early')
    // Read by the page itself: WebKitWebDriver runs no script before `load`, which waits for the bundle.
    expect(await p.evaluate(() => (window as any).loadedEarly)).toBe(false)
    const log = await p.evaluate(() => (window as any).early)
    // identify ran before getDistinctId (which sees its id); its promise settles after its flush
    expect(log.sort()).toEqual(['flushed', 'id:user_e2e', 'identify', 'reply:echo: hello'])
    const turn = await until(() => server.events().find((e) => e.name == 'turn' && e.distinct_id == 'user_e2e'))
    expect(turn).toMatchObject({ source: 'sdk', model: 'fake-1', prompt_id: 'p-e2e', status: 'ok', seq: 1 })
    expect(turn.traceparent).toBe(`00-${turn.session_id}-${turn.turn_id}-01`)
    expect(turn.messages[0]).toEqual({ role: 'user', content: 'hello' })
    expect(server.received.some((r) => r.apiKey == 'wk_e2e' && r.contentType == 'application/x-ndjson')).toBe(true)
    expect(await p.evaluate(() => (window as any).errors)).toEqual([])
    await p.close()
  })

  it('turn.finish() not awaited, then navigation at once: the turn still arrives', async () => {
    page(
      '/leave',
      chatPage(
        snippetFor('/dist/lumina.min.js'),
        `
      window.leave = async () => {
        const s = await lumina.session.start()
        const t = s.turn()
        await t.wrapLLM(() => Promise.resolve('x'), { model: 'leaving' })
        t.finish()
        location.href = '/elsewhere'
      }`,
      ),
    )
    server.page('/elsewhere', '<!doctype html><p>elsewhere</p>')
    const p = await open('/leave')
    await p.waitForFunction(() => (window as any).lumina._loaded)
    await p.evaluate(() => void (window as any).leave()) // returns at once; the page navigates itself
    await p.waitForFunction(() => location.pathname == '/elsewhere')
    const turn = await until(() => server.events().find((e) => e.model == 'leaving'))
    // by the page-hide path; on a loaded machine the 200 ms flush timer may beat the navigation,
    // and then the normal path carries it first (the ingest keeps one by id)
    const requests = server.received.filter((r) => r.events.some((e) => e.id == turn.id))
    const hide = requests.find((r) => r.url.includes('?key=wk_e2e'))
    if (hide) {
      expect(hide.contentType).toBe('text/plain;charset=UTF-8')
    } else {
      expect(requests[0].contentType).toBe('application/x-ndjson')
    }
    await p.close()
  })

  for (const [fault, route] of [
    ['404', '/missing/lumina.min.js'],
    ['aborted request', '/abort/lumina.min.js'],
    ['SRI mismatch', '/tampered/lumina.min.js'],
    ['a surrogate script that loads but installs nothing', '/surrogate/lumina.min.js'],
  ] as const) {
    it(`bundle blocked (${fault}): the chat still gets its LLM result, no error reaches the page`, async () => {
      server.hook((req, res) => {
        if (req.url?.startsWith('/abort/')) {
          req.socket.destroy()
          return true
        }
        if (req.url?.startsWith('/tampered/')) {
          res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(dist('lumina.min.js') + '\n//x')
          return true
        }
        if (req.url?.startsWith('/surrogate/')) {
          res.writeHead(200, { 'Content-Type': 'text/javascript' }).end('/* blocked by an ad blocker */')
          return true
        }
      })
      page('/blocked' + route.split('/')[1], chatPage(snippetFor(route, true)))
      const p = await open('/blocked' + route.split('/')[1])
      const started = Date.now()
      expect(await p.evaluate(() => (window as any).chat('still here'))).toBe('echo: still here')
      expect(Date.now() - started).toBeLessThan(4000) // failure is seen at once, not after the 5 s stall timer
      expect(await p.evaluate(async () => [await (window as any).lumina.flush(), await (window as any).lumina.identify('x')])).toEqual([
        undefined,
        undefined,
      ])
      expect(await p.evaluate(() => (window as any).errors)).toEqual([])
      // The bundle cannot load: the console says so, once (issue 15).
      const warned: string[] = await p.evaluate(() => (window as any).warned)
      expect(warned).toHaveLength(1)
      expect(warned[0]).toContain(`[lumina] did not load ${route}`)
      await p.close()
    })
  }

  it('blocked-bundle fallback turn: annotate/addRetrieval({ call }) do not throw, ids are values, and headers() put no function source on the wire', async () => {
    server.hook((req, res) => {
      if (!req.url?.startsWith('/echo-headers')) {
        return
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(req.headers))
      return true
    })
    page('/fallback-turn', chatPage(snippetFor('/missing/lumina.min.js')))
    const p = await open('/fallback-turn')
    const seen = await p.evaluate(async () => {
      const lumina = (window as any).lumina
      const s = await lumina.session.start()
      const t = s.turn()
      let called = 0
      const call = () => {
        called++
        throw new Error('must not be called')
      }
      const calls = [t.annotate({ call }), t.addRetrieval({ call, query: 'q' }), t.setMessages([{ role: 'user', content: 'hi' }]), t.finish()]
      const settled = await Promise.all(calls)
      const echoed = await (await fetch('/echo-headers', { headers: t.headers() })).json()
      return { called, settled, ids: [t.turnId, t.seq, t.traceparent, s.sessionId], traceparent: echoed.traceparent ?? null }
    })
    expect(seen.called).toBe(0)
    expect(seen.settled).toEqual([undefined, undefined, undefined, undefined])
    expect(seen.ids).toEqual(['', 0, '', ''])
    expect(seen.traceparent ?? '').toBe('') // never a function's source
    expect(await p.evaluate(() => (window as any).errors)).toEqual([])
    await p.close()
  })

  it('late bundle after the 5 s stall timer (the CDN answers at 6 s): no call pends past 5 s, and the SDK starts with the page init config', async () => {
    server.hook((req, res) => {
      if (!req.url?.startsWith('/late/')) {
        return
      }
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(dist('lumina.min.js')), 6000)
      return true
    })
    // Timed and checked by the page itself: WebKitWebDriver runs no script before `load`, which waits for the bundle.
    page(
      '/late',
      chatPage(
        snippetFor('/late/lumina.min.js'),
        `
      const t0 = Date.now()
      window.early = Promise.all([lumina.identify('late_e2e'), chat('before the bundle')]).then((v) => ({ v, ms: Date.now() - t0, loaded: !!lumina._loaded }))`,
      ),
    )
    const p = await open('/late')
    const early = await p.evaluate(() => (window as any).early)
    expect(early.v).toEqual([undefined, 'echo: before the bundle'])
    expect(early.ms).toBeLessThan(5800) // settled by the 5 s timer, not by the bundle
    expect(early.loaded).toBe(false)
    // The bundle arrives; every call from now on settles promptly, on the configured SDK.
    await p.evaluate(() => new Promise((r) => setInterval(() => (window as any).lumina._loaded && r(1), 50)))
    const after = await p.evaluate(async () => {
      const w = window as any
      const prompt = (x: Promise<unknown>) => Promise.race([x, new Promise((r) => setTimeout(() => r('pending'), 3000))])
      const sessionId = await prompt(w.lumina.session.start().then((s: any) => s.sessionId))
      return [await prompt(w.lumina.getDistinctId()), sessionId, await prompt(w.chat('after the bundle')), await prompt(w.lumina.flush())]
    })
    expect(after[0]).toBe('late_e2e') // the identify queued before the timer was replayed
    expect(after[1]).toMatch(/^[0-9a-f]{32}$/)
    expect(after.slice(2)).toEqual(['echo: after the bundle', undefined])
    const turn = await until(() => server.events().find((e) => e.name == 'turn' && e.messages?.[0]?.content == 'after the bundle'))
    expect(turn.distinct_id).toBe('late_e2e')
    expect(server.received.find((r) => r.events.includes(turn))!.apiKey).toBe('wk_e2e') // the page's init config
    expect(await p.evaluate(() => (window as any).warned)).toHaveLength(1) // the stall was reported once
    expect(await p.evaluate(() => (window as any).errors)).toEqual([])
    await p.close()
  }, 30_000)

  it('a stalled CDN: pending calls resolve after 5 s and the chat works', async () => {
    server.hook((req) => (req.url?.startsWith('/stall/') ? true : undefined)) // never answers
    // The page reports by itself: its `load` never fires, and WebKitWebDriver runs no script before it.
    const reports: any[] = []
    server.hook((req, res, body) => {
      if (!req.url?.startsWith('/report')) {
        return
      }
      reports.push(JSON.parse(body))
      res.writeHead(204).end()
      return true
    })
    page(
      '/stall',
      chatPage(
        snippetFor('/stall/lumina.min.js'),
        `
      const t0 = Date.now()
      chat('waiting').then((reply) => fetch('/report', { method: 'POST', body: JSON.stringify({ reply, ms: Date.now() - t0, errors, warned }) }))`,
      ),
    )
    const p = await open('/stall', 'commit')
    const report = await until(() => reports[0], 15_000, 'the page report')
    expect(report.reply).toBe('echo: waiting')
    expect(report.ms).toBeGreaterThan(4000) // the stall timer, 5 s
    expect(report.ms).toBeLessThan(8000)
    expect(report.errors).toEqual([])
    expect(report.warned).toHaveLength(1)
    await p.close()
  })

  it('a page with a strict CSP (script-src nonce) loads the bundle and sends the turn', async () => {
    const nonce = 'n0nce' + Date.now()
    page('/csp', chatPage(snippetFor('/dist/lumina.min.js').replace('<script>', `<script nonce="${nonce}">`), `chat('csp works')`, nonce), {
      'Content-Security-Policy': `script-src 'nonce-${nonce}'; connect-src ${server.endpoint}; default-src 'self'`,
    })
    const p = await open('/csp')
    await until(() => server.events().find((e) => e.messages?.[0]?.content == 'csp works'))
    expect(await p.evaluate(() => (window as any).errors)).toEqual([])
    await p.close()
  })

  it('collector down for 2 s, then up: every event arrives exactly once', async () => {
    page('/outage', chatPage(snippetFor('/dist/lumina.min.js')))
    const p = await open('/outage')
    await p.waitForFunction(() => (window as any).lumina._loaded)
    server.collectorDown = true
    const sessionId = await p.evaluate(async () => {
      for (let i = 0; i < 5; i++) {
        await (window as any).chat('outage ' + i)
      }
      return (await (window as any).lumina.session.start()).sessionId
    })
    await sleep(2000)
    server.collectorDown = false
    const mine = () => server.events().filter((e) => e.session_id == sessionId && e.name == 'turn')
    await until(() => mine().length >= 5, 20_000, 'five turns after the outage')
    let expected = 5
    if (step(engine, 'offline', 'the browser offline for 2 s, then online')) {
      await p.setOffline(true)
      expect(
        await p.evaluate(() =>
          fetch('/dist/lumina.min.js').then(
            () => 'reached',
            () => 'failed',
          ),
        ),
      ).toBe('failed') // really offline
      await p.evaluate(async () => {
        for (let i = 0; i < 2; i++) {
          await (window as any).chat('offline ' + i)
        }
      })
      await sleep(2000)
      await p.setOffline(false)
      expected += 2
      await until(() => mine().length >= expected, 20_000, 'two turns after going back online')
    }
    await sleep(500)
    const ids = mine().map((e) => e.id)
    expect(new Set(ids).size).toBe(expected)
    expect(ids).toHaveLength(expected)
    expect(
      mine()
        .map((e) => e.seq)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: expected }, (_, i) => i + 1))
    await p.close()
  }, 40_000)

  it('200 turns (~230 KB) during an outage, then navigation away and back: every event arrives', async () => {
    page('/backlog', chatPage(snippetFor('/dist/lumina.min.js')))
    server.page('/gone', '<!doctype html><p>gone</p>')
    const p = await open('/backlog')
    await p.waitForFunction(() => (window as any).lumina._loaded)
    server.collectorDown = true
    const sessionId = await p.evaluate(async () => {
      const s = await (window as any).lumina.session.start()
      for (let i = 0; i < 200; i++) {
        const t = s.turn()
        await t.wrapLLM(() => Promise.resolve('ok'), { model: 'backlog' })
        t.setMessages([{ role: 'user', content: 'x'.repeat(1000) + i }])
        t.finish()
      }
      return s.sessionId
    })
    await p.goto(server.origin + '/gone') // page hide: outbox first, then what fits the keepalive budget
    server.collectorDown = false
    await p.goto(server.origin + '/backlog') // the next load sends what was not confirmed
    const mine = () =>
      new Set(
        server
          .events()
          .filter((e) => e.session_id == sessionId && e.name == 'turn')
          .map((e) => e.seq),
      )
    await until(() => mine().size == 200, 30_000, 'all 200 turns')
    expect([...mine()].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    await p.close()
  }, 60_000)

  it('storage blocked (a sandboxed page: localStorage and cookies throw): the chat works and the turn arrives', async () => {
    page(
      '/nostorage',
      chatPage(
        snippetFor('/dist/lumina.min.js'),
        `
      window.storageThrows = ['localStorage', 'sessionStorage', 'cookie'].filter((k) => {
        try { k == 'cookie' ? document.cookie : window[k].length; return false } catch { return true }
      })`,
      ),
      { 'Content-Security-Policy': 'sandbox allow-scripts' },
    )
    const p = await open('/nostorage')
    expect(await p.evaluate(() => (window as any).storageThrows)).toEqual(['localStorage', 'sessionStorage', 'cookie'])
    await p.waitForFunction(() => (window as any).lumina._loaded)
    expect(await p.evaluate(() => (window as any).chat('no storage'))).toBe('echo: no storage')
    const turn = await until(() => server.events().find((e) => e.messages?.[0]?.content == 'no storage'))
    expect(turn.distinct_id).toMatch(/^anon_/)
    expect(turn.session_id).toMatch(/^[0-9a-f]{32}$/)
    expect(await p.evaluate(() => (window as any).errors)).toEqual([])
    await p.close()
  })

  it('reload mid-session: same session_id, seq continues', async () => {
    page('/reload', chatPage(snippetFor('/dist/lumina.min.js')))
    const p = await open('/reload')
    await p.evaluate(() => (window as any).chat('one'))
    await p.evaluate(() => (window as any).chat('two'))
    await p.reload()
    await p.evaluate(() => (window as any).chat('three'))
    // What page hide sent before the reload may arrive again from the outbox (its response
    // never reached the old page): the receiver keeps one per id.
    const turns = await until(() => {
      const byId = new Map(
        server
          .events()
          .filter((e) => ['one', 'two', 'three'].includes(e.messages?.[0]?.content))
          .map((e) => [e.id, e]),
      )
      return byId.size == 3 && [...byId.values()]
    })
    expect(new Set(turns.map((t) => t.session_id)).size).toBe(1)
    expect(turns.map((t) => [t.messages[0].content, t.seq])).toEqual([
      ['one', 1],
      ['two', 2],
      ['three', 3],
    ])
    await p.close()
  })

  it('the snippet twice and the bundle twice: one lumina, one event per turn', async () => {
    const snippet = snippetFor('/dist/lumina.min.js')
    page(
      '/twice',
      chatPage(
        snippet + snippet,
        `
      const again = document.createElement('script'); again.src = '/dist/lumina.min.js'; document.head.append(again)
      window.twice = new Promise((r) => again.onload = r).then(() => chat('twice'))`,
      ),
    )
    const p = await open('/twice')
    await p.evaluate(() => (window as any).twice)
    await p.evaluate(() => (window as any).lumina.flush())
    await sleep(500)
    expect(server.events().filter((e) => e.messages?.[0]?.content == 'twice')).toHaveLength(1)
    expect(await p.evaluate(() => document.querySelectorAll('script[src="/dist/lumina.min.js"]').length)).toBe(2)
    await p.close()
  })

  it('references taken before load keep working after it', async () => {
    page(
      '/refs',
      chatPage(
        snippetFor('/slow2/lumina.min.js'),
        `
      window.refs = { start: lumina.session.start, identify: lumina.identify }`,
      ),
    )
    server.hook((req, res) => {
      if (!req.url?.startsWith('/slow2/')) {
        return
      }
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(dist('lumina.min.js')), 300)
      return true
    })
    const p = await open('/refs')
    await p.waitForFunction(() => (window as any).lumina._loaded)
    const sid = await p.evaluate(async () => {
      await (window as any).refs.identify('ref_user')
      return (await (window as any).refs.start()).sessionId
    })
    expect(sid).toMatch(/^[0-9a-f]{32}$/)
    expect(await p.evaluate(() => (window as any).lumina.getDistinctId())).toBe('ref_user')
    await p.close()
  })
})
