import { afterAll, beforeAll, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
// @ts-expect-error plain ESM module without types
import { startDemo } from '../../demo/server.mjs'
import { describeEngines, step, type Browser } from './harness'

const OUT = resolve(__dirname, '../../test-results')

describeEngines('the demo (npm start)', (engine) => {
  let browser: Browser
  let demo: { url: string; close(): Promise<void> }
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-demo-'))

  beforeAll(async () => {
    demo = await startDemo({ port: 0, dataDir, quiet: true })
    browser = await engine.launch()
  })
  afterAll(async () => {
    await browser?.close()
    await demo?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('a message sent in the demo chat shows up as a turn in the live panel', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const errors: string[] = []
    if (step(engine, 'pageErrors', 'uncaught page errors')) page.onPageError((m) => errors.push(m))
    await page.goto(demo.url)
    await page.waitForFunction(() => (window as any).lumina._loaded)
    await page.click('#input')
    await page.keyboard.type('What is the weather in Lisbon?')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => /status-(ok|error)/.test(document.querySelector('#events .turn')?.innerHTML || ''), { timeout: 15_000 })
    const text = await page.evaluate(() => (document.querySelector('#events .turn') as HTMLElement).innerText)
    expect(text).toMatch(/Turn #1/)
    expect(text).toMatch(/\d+ ms/)
    expect(text).toContain('weather') // the tool call
    expect(text).toMatch(/first token \d+ ms/) // the streamed reply, observed
    expect(text).toMatch(/tokens: \d+ in, \d+ out/)
    await page.click('.feedback button')
    await page.waitForFunction(() => document.querySelector('#events [data-event=feedback]'), { timeout: 10_000 })
    await page.waitForFunction(() => document.querySelector('#events [data-event=chat_message_submitted]'), { timeout: 10_000 })
    mkdirSync(OUT, { recursive: true })
    await page.screenshot({ path: join(OUT, `demo-${engine.name}.png`) })
    expect(errors).toEqual([])
    await page.close()
  })
})
