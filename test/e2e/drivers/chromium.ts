/** Chromium (Debian's `chromium`) through playwright-core: each page in its own browser context. */
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser, Engine, Page } from './driver'

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Headless Chromium here: without the background-networking flags it keeps dialling hosts this machine cannot reach. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
]

export const chromiumEngine: Engine = {
  name: 'chromium',
  missing: existsSync(CHROMIUM) ? '' : `Chromium not found at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`,
  cannot: {},
  async launch(): Promise<Browser> {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    })
    return {
      engine: 'chromium',
      version: 'chromium/' + browser.version(),
      async newPage(opts) {
        const p = await browser.newPage(opts?.viewport ? { viewport: opts.viewport } : {})
        const page: Page = {
          async goto(url, o) {
            await p.goto(url, { waitUntil: o?.waitUntil || 'load' })
          },
          evaluate: ((fn: any, arg?: any) => p.evaluate(fn, arg)) as Page['evaluate'],
          async reload() {
            await p.reload()
          },
          close: () => p.context().close(),
          url: async () => p.url(),
          async waitForFunction(fn, o) {
            await p.waitForFunction(fn, null, { timeout: o?.timeout ?? 15_000, polling: 50 })
          },
          click: (selector) => p.click(selector),
          keyboard: {
            type: (text, o) => p.keyboard.type(text, o),
            press: (key) => p.keyboard.press(key),
          },
          async screenshot(o) {
            await p.screenshot(o)
          },
          async cookies() {
            return (await p.context().cookies(p.url())).map((c) => ({ name: c.name, value: c.value, expires: c.expires }))
          },
          setOffline: (offline) => p.context().setOffline(offline),
          async imeEnter(text) {
            const cdp = await p.context().newCDPSession(p)
            await cdp.send('Input.imeSetComposition', { text, selectionStart: text.length, selectionEnd: text.length })
            // Enter while composing: Chromium reports keyCode 229 / isComposing and commits the text.
            await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 229 })
            await cdp.send('Input.insertText', { text })
            await cdp.detach()
          },
          onPageError(cb) {
            p.on('pageerror', (e) => cb(e.message))
          },
        }
        return page
      },
      close: () => browser.close(),
    }
  },
}
