// Issue 16: normal-path batches leave the browser gzip-compressed (CompressionStream) and the
// collector decodes them; the page-hide path stays plain.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEngines, snippetFor, startServer, until, type Browser, type TestServer } from './harness'

describeEngines('gzip batches', (engine) => {
  let server: TestServer
  let browser: Browser
  beforeAll(async () => {
    server = await startServer()
    browser = await engine.launch()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('a normal-path batch arrives with Content-Encoding: gzip and decodes to the same lines; page hide sends plain', async () => {
    server.page(
      '/gzip',
      `<!doctype html><html><head>${snippetFor('/dist/lumina.min.js')}<script>
        lumina.init({ writeKey: 'wk_e2e', endpoint: ${JSON.stringify(server.endpoint)}, flushIntervalMs: 60000 })
        window.turns = async (n) => {
          const session = await lumina.session.start()
          for (let i = 0; i < n; i++) {
            const turn = session.turn()
            await turn.wrapLLM(() => Promise.resolve('answer ' + i), { model: 'fake-1', prompt_id: 'p-gzip' })
            turn.setMessages([{ role: 'user', content: 'question number ' + i }, { role: 'assistant', content: 'answer ' + i }])
            turn.finish() // not awaited: the 20 turns end within one send window, so they share a request
          }
          await lumina.flush()
        }
      </script></head><body></body></html>`,
    )
    const page = await browser.newPage()
    await page.goto(server.origin + '/gzip')
    await page.evaluate(() => (window as any).turns(20))
    const batch = await until(() => server.received.find((r) => r.events.some((e) => e.name == 'turn')), 15_000, 'the batch')
    expect(batch.contentEncoding).toBe('gzip')
    expect(batch.contentType).toBe('application/x-ndjson')
    expect(batch.events.filter((e) => e.name == 'turn')).toHaveLength(20)
    const plainBytes = Buffer.byteLength(batch.events.map((e) => JSON.stringify(e)).join('\n') + '\n')
    console.log(`[gzip] 20 turns: ${batch.wireBytes} B on the wire, ${plainBytes} B plain (${(batch.wireBytes / 20).toFixed(0)} B per turn)`)
    expect(batch.wireBytes).toBeLessThan(plainBytes / 3)
    // one more turn, then a real page hide (navigation): the keepalive request is plain text
    server.page('/elsewhere', '<!doctype html><p>elsewhere</p>')
    const before = server.received.length
    await page.evaluate(() => {
      void (window as any).lumina.session.start().then((session: any) => {
        session.turn().finish()
        location.href = '/elsewhere'
      })
    })
    await page.waitForFunction(() => location.pathname == '/elsewhere')
    const hide = await until(() => server.received.slice(before).find((r) => r.url.includes('?key=')), 15_000, 'the page-hide request')
    expect(hide.contentEncoding).toBeUndefined()
    expect(hide.contentType).toBe('text/plain;charset=UTF-8')
    await page.close()
  })
})
