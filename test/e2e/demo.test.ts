import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
// @ts-expect-error plain ESM module without types
import { startDemo } from '../../demo/server.mjs'
import { describeEngines, sleep, step, type Browser, type Page } from './harness'

const OUT = resolve(__dirname, '../../test-results')

describeEngines('the demo (npm start)', (engine) => {
  let browser: Browser
  let demo: { url: string; notFound: string[]; close(): Promise<void> }
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
    if (step(engine, 'pageErrors', 'uncaught page errors')) {
      page.onPageError((m) => errors.push(m))
    }
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

  /** Polls `fn` in the page until it returns something truthy (page.evaluate only, so it ports to every engine). */
  const waitIn = async <T>(page: Page, fn: () => T, what: string, ms = 15_000): Promise<Exclude<T, false | null | undefined | 0 | ''>> => {
    const end = Date.now() + ms
    for (;;) {
      const v = await page.evaluate(fn)
      if (v) {
        return v as Exclude<T, false | null | undefined | 0 | ''>
      }
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${what}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  /** Sends a chat message the way the form does, and waits for this page's finished turn in the panel. */
  const chat = async (page: Page, text: string) => {
    await page.evaluate((t) => {
      ;(document.getElementById('input') as HTMLTextAreaElement).value = t
      ;(document.getElementById('chat') as HTMLFormElement).requestSubmit()
    }, text)
    return waitIn(
      page,
      () => /status-(ok|error)/.test(document.querySelector('#mine .turn')?.innerHTML || '') && document.querySelector('#mine .turn')!.textContent,
      'the turn in the panel',
    )
  }
  const openDemo = async () => {
    const page = await browser.newPage()
    await page.goto(demo.url)
    await waitIn(page, () => (window as any).lumina._loaded, 'the bundle')
    return page
  }

  describe('as a newcomer sees it', () => {
    it('asks for no file the server lacks (no favicon 404)', async () => {
      const page = await openDemo()
      await page.reload()
      await waitIn(page, () => (window as any).lumina._loaded, 'the bundle')
      await sleep(300)
      expect(demo.notFound).toEqual([])
      await page.close()
    })

    it('feedback buttons are words, not emoji (no emoji font needed), and so is the feedback line in the panel', async () => {
      const page = await openDemo()
      await chat(page, 'hello there')
      const labels = await page.evaluate(() => [...document.querySelectorAll('.feedback button')].map((b) => b.textContent))
      expect(labels).toEqual(['Helpful', 'Not helpful'])
      await page.evaluate(() => (document.querySelector('.feedback button') as HTMLButtonElement).click())
      const line = await waitIn(page, () => document.querySelector('#mine [data-event=feedback]')?.textContent, 'the feedback line')
      expect(line).toMatch(/helpful \(\+1\) on turn [0-9a-f]{8}/)
      expect(await page.evaluate(() => /\p{Extended_Pictographic}/u.test(document.body.innerText))).toBe(false)
      await page.close()
    })

    it('the last-message cell shows the text as written (no \\" escapes), cut at a word boundary', async () => {
      const page = await openDemo()
      await chat(page, 'Please say "hello" to the "whole" team and then tell me a long story about it')
      const reply = await page.evaluate(() => document.querySelector('.msg.assistant')!.textContent!.trim().replace(/\s+/g, ' '))
      const cell = await page.evaluate(() => document.querySelector('#mine .last-message')!.textContent!)
      const shown = cell.replace(/^last message \(assistant\): /, '')
      expect(cell).not.toContain('\\"')
      expect(reply.length).toBeGreaterThan(120)
      expect(shown.endsWith('…')).toBe(true)
      const kept = shown.slice(0, -1)
      expect(reply.startsWith(kept)).toBe(true)
      expect(reply[kept.length]).toMatch(/[\s,.;:!?-]/) // the cut falls between words
      expect(kept).toContain('"hello"')
      await page.close()
    })

    it('reset shows an event in the panel: the new anonymous id and session', async () => {
      const page = await openDemo()
      const before = await page.evaluate(() => (window as any).lumina.getDistinctId())
      await page.evaluate(() => (document.getElementById('reset') as HTMLButtonElement).click())
      const line = await waitIn(page, () => document.querySelector('#mine [data-event=reset]')?.textContent, 'the reset line')
      expect(line).toContain(String(before).slice(0, 14))
      expect(line).toMatch(/→ anon_/)
      await page.close()
    })

    it("the panel shows this page's session first and labels other clients' events", async () => {
      // Another client's turn, stored before this page opens: the live feed replays it.
      const hex = (n: number) =>
        Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)])
          .join('')
          .replace(/^0/, 'a')
      const session = hex(32)
      const turnId = hex(16)
      const now = new Date().toISOString()
      const other = {
        id: crypto.randomUUID(),
        source: 'sdk',
        name: 'turn',
        ts: now,
        distinct_id: 'anon_other_tab',
        session_id: session,
        sdk: { name: 'luminasdk', version: '0' },
        turn_id: turnId,
        seq: 1,
        traceparent: `00-${session}-${turnId}-01`,
        started_at: now,
        ended_at: now,
        latency_ms: 5,
        status: 'ok',
        model: 'other-model',
      }
      const res = await fetch(new URL('/collect/sdk/events', demo.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-ndjson', 'X-Api-Key': 'wk_demo' },
        body: JSON.stringify(other) + '\n',
      })
      expect(res.status).toBe(200)
      const page = await openDemo()
      await chat(page, 'mine')
      const panel = await waitIn(
        page,
        () => {
          const others = document.querySelector('#others')!.textContent!
          return (
            others.includes('other-model') && {
              mine: document.querySelector('#mine')!.textContent!,
              others,
              order: document.querySelector('#events')!.firstElementChild!.id,
            }
          )
        },
        "the other client's turn",
      )
      expect(panel.order).toBe('mine')
      expect(panel.mine).not.toContain('other-model')
      expect(panel.mine).toContain('demo-model-1')
      expect(panel.others).toContain(`session ${session.slice(0, 8)}`)
      expect(panel.others).toMatch(/Other sessions/)
      await page.close()
    })
  })
})
