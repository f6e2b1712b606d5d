/**
 * Firefox ESR (Debian's `firefox-esr`) through puppeteer-core over WebDriver BiDi: each page in
 * its own user context (fresh cookies and storage). playwright-core cannot drive a stock Firefox
 * (it needs its patched build); puppeteer-core speaks BiDi, which Firefox ships.
 */
import { existsSync } from 'node:fs'
import puppeteer from 'puppeteer-core'
import { splitKey, unsupported, type Browser, type Engine, type Page } from './driver'

const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr'

export const firefoxEngine: Engine = {
  name: 'firefox',
  missing: existsSync(FIREFOX) ? '' : `Firefox not found at ${FIREFOX}: apt-get install -y firefox-esr, or set FIREFOX_PATH`,
  cannot: { ime: 'WebDriver BiDi has no IME composition input' },
  async launch(): Promise<Browser> {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      extraPrefsFirefox: {
        // No first-run pages, update checks or telemetry pings mixed into the test traffic.
        'app.update.enabled': false,
        'browser.shell.checkDefaultBrowser': false,
        'datareporting.policy.dataSubmissionEnabled': false,
        'toolkit.telemetry.enabled': false,
        'network.captive-portal-service.enabled': false,
      },
    })
    return {
      engine: 'firefox',
      version: await browser.version(),
      async newPage(opts) {
        const ctx = await browser.createBrowserContext()
        const p = await ctx.newPage()
        if (opts?.viewport) {
          await p.setViewport(opts.viewport)
        }
        const page: Page = {
          async goto(url, o) {
            const until = o?.waitUntil || 'load'
            await p.goto(url, { waitUntil: until == 'commit' ? 'domcontentloaded' : until })
          },
          evaluate: ((fn: any, arg?: any) => p.evaluate(fn, arg)) as Page['evaluate'],
          async reload() {
            await p.reload({ waitUntil: 'load' })
          },
          close: () => ctx.close(),
          url: async () => p.url(),
          async waitForFunction(fn, o) {
            await p.waitForFunction(fn, { timeout: o?.timeout ?? 15_000, polling: 50 })
          },
          click: (selector) => p.click(selector),
          keyboard: {
            type: (text, o) => p.keyboard.type(text, o),
            async press(key) {
              const { mods, key: k } = splitKey(key)
              for (const m of mods) {
                await p.keyboard.down(m as any)
              }
              await p.keyboard.press(k as any)
              for (const m of mods.reverse()) {
                await p.keyboard.up(m as any)
              }
            },
          },
          async screenshot(o) {
            await p.screenshot({ path: o.path as `${string}.png` })
          },
          async cookies() {
            return (await p.cookies()).map((c) => ({ name: c.name, value: c.value, expires: c.expires }))
          },
          setOffline: (offline) => p.setOfflineMode(offline),
          imeEnter: unsupported('firefox', 'ime', firefoxEngine.cannot.ime!),
          onPageError(cb) {
            p.on('pageerror', (e) => cb(e instanceof Error ? e.message : String(e)))
          },
        }
        return page
      },
      close: () => browser.close(),
    }
  },
}
