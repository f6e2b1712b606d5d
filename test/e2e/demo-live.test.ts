// The demo's live panel against the real collector: it needs the read key, and a live-feed
// reconnect resumes (Last-Event-ID) instead of showing every event again (issue 12, item 26).
import { afterAll, beforeAll, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error plain ESM module without types
import { startDemo } from '../../demo/server.mjs'
import { event, ndjson } from '../ingest/events'
import { describeEngines, sleep, type Browser } from './harness'

const panelIds = () => (window as any).document.querySelectorAll('#events [data-event]').length as number

describeEngines('the demo live panel', (engine) => {
  let browser: Browser
  let demo: { url: string; port: number; collector: any; close(): Promise<void> }
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-demo-live-'))

  beforeAll(async () => {
    demo = await startDemo({ port: 0, dataDir, quiet: true })
    browser = await engine.launch()
  })
  afterAll(async () => {
    await browser?.close()
    await demo?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const post = (...events: object[]) =>
    fetch(`http://127.0.0.1:${demo.port}/collect/sdk/events`, { method: 'POST', headers: { 'X-Api-Key': 'wk_demo' }, body: ndjson(...events) })

  it('26: after a live-feed reconnect the panel shows each event once (Last-Event-ID), and only new events are added', async () => {
    const page = await browser.newPage()
    await post(event({ name: 'chat_input_started' }), event({ name: 'chat_input_started' }))
    await page.goto(demo.url)
    await page.waitForFunction(() => document.querySelectorAll('#events [data-event]').length >= 2, { timeout: 10_000 })
    const before = await page.evaluate(panelIds)
    demo.collector.live.close() // the collector drops every live connection (a restart, a proxy timeout)
    await post(event({ name: 'chat_input_started' }))
    await page.evaluate((n) => void ((window as any).panelBefore = n), before)
    await page.waitForFunction(() => document.querySelectorAll('#events [data-event]').length > (window as any).panelBefore, { timeout: 10_000 })
    await sleep(1500) // room for any replay to show up
    expect(await page.evaluate(panelIds)).toBe(before + 1)
    await page.close()
  })

  it('22: without the read key the page gets no events from the live feed', async () => {
    const page = await browser.newPage()
    await post(event())
    await page.goto(demo.url.replace(/read_key=[^&]+/, 'read_key=wk_demo'))
    await sleep(1500)
    expect(await page.evaluate(panelIds)).toBe(0)
    await page.close()
  })
})
