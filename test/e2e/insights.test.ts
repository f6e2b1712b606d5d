// Insights as a person uses it, in real Chromium: chat in the demo (npm start's server), stop a
// stream, abandon an input, give feedback, then open the insights page with the read key and
// find each of those where it belongs. Screenshots go to test-results/; axe-core checks the
// page in the same browser.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
// @ts-expect-error plain ESM module without types
import { startDemo } from '../../demo/server.mjs'
import { describeBrowser, launch } from './harness'

let browser: Browser
let demo: { url: string; insightsUrl: string; readKey: string; close(): Promise<void> }
const dataDir = mkdtempSync(join(tmpdir(), 'lumina-insights-e2e-'))
const OUT = resolve(__dirname, '../../test-results')
const AXE = readFileSync(resolve(__dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8')

beforeAll(async () => {
  demo = await startDemo({ port: 0, dataDir, quiet: true })
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await demo?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Polls a page function until it returns truthy. */
const waitFor = async <T>(page: Page, fn: () => T, what: string, ms = 15_000): Promise<T> => {
  const end = Date.now() + ms
  for (;;) {
    const v = await page.evaluate(fn)
    if (v) {
      return v
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Types into the chat box the way the chat-input binding sees it (focus, input events). */
const type = (page: Page, text: string) =>
  page.evaluate((t) => {
    const input = document.getElementById('input') as HTMLTextAreaElement
    input.focus()
    for (const ch of t) {
      input.value += ch
      input.dispatchEvent(new InputEvent('input', { bubbles: true, data: ch, inputType: 'insertText' }))
    }
  }, text)
const send = (page: Page) => page.evaluate(() => (document.getElementById('chat') as HTMLFormElement).requestSubmit())

describeBrowser('insights (npm start)', () => {
  it('a chat with a stopped stream, an abandoned input and feedback shows up in insights, accessible', async () => {
    const chat = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const errors: string[] = []
    chat.on('pageerror', (e) => errors.push(e.message))
    await chat.goto(demo.url)
    await waitFor(chat, () => (window as any).lumina._loaded, 'the bundle')

    // 1. a turn that completes, then feedback on it
    await type(chat, 'What is the weather in Lisbon?')
    await send(chat)
    await waitFor(chat, () => document.querySelector('.feedback button'), 'the first reply', 20_000)
    await chat.evaluate(() => (document.querySelector('.feedback button') as HTMLButtonElement).click())

    // 2. a turn whose stream the user stops after the first words
    await type(chat, 'Tell me a long story please')
    await send(chat)
    await waitFor(chat, () => document.querySelectorAll('.msg.assistant')[1]?.textContent?.length, 'the second reply to start', 20_000)
    await chat.evaluate(() => document.getElementById('stop')!.click())
    await waitFor(chat, () => document.querySelectorAll('.msg.assistant')[1]?.textContent?.includes('[stopped]'), 'the stop')

    // 3. an input typed and abandoned (focus moves away with text in the box)
    await type(chat, 'Actually, never mind')
    await chat.evaluate(() => (document.getElementById('input') as HTMLTextAreaElement).blur())
    await chat.evaluate(() => (window as any).lumina.flush())
    // the live panel lists what the collector stored
    await waitFor(
      chat,
      () =>
        document.querySelector('#events [data-event=chat_input_abandoned]') &&
        document.querySelector('#events [data-event=feedback]') &&
        document.querySelectorAll('#events .turn').length == 2,
      'the events in the collector',
    )
    const sessionId = await chat.evaluate(async () => (await (window as any).lumina.session.start()).sessionId)

    // 4. insights, with the read key
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(demo.insightsUrl)
    await waitFor(page, () => document.body.dataset.state == 'ready' && document.body.dataset.state, 'the insights page')
    const cards = await page.evaluate(() =>
      Object.fromEntries(
        [...document.querySelectorAll('.card')].map((c) => [
          c.querySelector('h3')!.textContent,
          c.querySelector('.value')!.textContent + ' | ' + c.querySelector('.detail')?.textContent,
        ]),
      ),
    )
    expect(cards['Turns']).toMatch(/^2 \| 1 session$/)
    expect(cards['Stopped by user']).toMatch(/^50\.0 % \| 1 stream stopped/)
    expect(cards['Inputs abandoned']).toMatch(/\| 1 of [1-9]\d* started/)
    expect(cards['Feedback']).toMatch(/^1 \| 100\.0 % positive/)
    expect(cards['Time to first token']).toMatch(/^\d+ ms p50|^\d\.\d\d s p50/)
    // the charts are drawn by uPlot (canvas), one per series
    expect(await page.evaluate(() => document.querySelectorAll('.chart .uplot canvas').length)).toBe(4)
    const recent = await page.evaluate(() => [...document.querySelectorAll('#t-recent tbody tr')].map((tr) => (tr as HTMLElement).innerText))
    expect(recent).toHaveLength(2)
    expect(recent.find((r) => /stopped/.test(r))).toMatch(/demo-model-1/)
    expect(recent.find((r) => /\bok\b/.test(r))).toMatch(/1\s+positive/)
    const models = await page.evaluate(() => (document.querySelector('#t-models tbody tr') as HTMLElement).innerText)
    expect(models).toMatch(/demo-model-1\s+support-v3\s+2\b/)
    mkdirSync(OUT, { recursive: true })
    await page.screenshot({ path: join(OUT, 'insights.png'), fullPage: true })

    // 5. the session timeline, from the recent turn's link
    await page.evaluate(() => (document.querySelector('#t-recent .session-link') as HTMLAnchorElement).click())
    await waitFor(page, () => document.querySelector('#session .timeline'), 'the timeline')
    const timeline = await page.evaluate(() =>
      [...document.querySelectorAll('#session .timeline > li')].map((li) => li.className + ': ' + (li as HTMLElement).innerText.replace(/\s+/g, ' ')),
    )
    expect(await page.evaluate(() => document.querySelector('#session .session-meta')!.textContent)).toContain(sessionId)
    const kinds = timeline.map((t) => t.split(':')[0])
    // input started -> sent -> turn -> feedback; the second turn stopped; the abandoned input last
    expect(kinds.filter((k) => k != 'started')).toEqual(['submitted', 'turn', 'feedback', 'submitted', 'turn', 'abandoned'])
    expect(timeline.find((t) => t.startsWith('turn') && /weather/.test(t))).toMatch(/first token .*latency .* tools: weather \(ok/)
    expect(timeline.find((t) => t.startsWith('turn') && /stopped/.test(t))).toMatch(/characters shown before the stop/)
    expect(timeline.find((t) => t.startsWith('feedback'))).toMatch(/positive on turn #1/)
    expect(timeline.find((t) => t.startsWith('abandoned'))).toMatch(/never sent/)
    expect(timeline.find((t) => t.startsWith('submitted'))).toMatch(/typed for/)
    await page.screenshot({ path: join(OUT, 'insights-session.png') })

    // 6. accessibility: axe-core in the same browser, no serious or critical violations
    await page.evaluate(AXE)
    const violations = await page.evaluate(async () => {
      const result = await (window as any).axe.run(document, { resultTypes: ['violations'] })
      return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }))
    })
    expect(violations.filter((v: any) => v.impact == 'serious' || v.impact == 'critical')).toEqual([])

    // 7. without the read key, nothing
    const denied = await browser.newPage()
    await denied.goto(demo.insightsUrl.replace(/\?read_key=.*/, ''))
    expect(await denied.evaluate(() => document.body.innerText)).toMatch(/read key/i)
    expect(errors).toEqual([])
    for (const p of [chat, page, denied]) {
      await p.close()
    }
  })
})
