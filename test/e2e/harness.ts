/**
 * Real-browser test harness: the test server (harness/server.ts) and three engines behind one
 * driver interface (drivers/driver.ts): Chromium (playwright-core), Firefox ESR (puppeteer-core
 * over WebDriver BiDi) and WebKitGTK (WebDriver classic over plain HTTP, under Xvfb).
 *
 * A test file is written once and runs in every engine, one after another:
 *
 *   describeEngines('snippet', (engine) => {
 *     let server: TestServer, browser: Browser
 *     beforeAll(async () => { server = await startServer(); browser = await engine.launch() })
 *     afterAll(async () => { await browser?.close(); await server?.close() })
 *     it('...', async () => { const page = await browser.newPage(); await page.goto(server.origin + '/x') ... })
 *   })
 *
 * Porting a playwright-only test: import `Browser`/`Page` from './harness' instead of
 * 'playwright-core', wrap the suite in describeEngines(name, (engine) => ...) with the server
 * and `engine.launch()` in its beforeAll (a server per engine: events of one engine never count
 * for another). newPage/goto/evaluate/reload/close, waitForFunction, click, keyboard.type/press
 * and screenshot keep playwright's signatures. Replace page.waitForTimeout(ms) with sleep(ms),
 * page.inputValue/locator/waitForSelector with evaluate/waitForFunction, and an
 * evaluate that navigates with evaluate + waitForFunction on location. Engine-only abilities
 * (setOffline, imeEnter, onPageError) go behind `step(engine, ability)`, which logs the skip.
 *
 * WebKitWebDriver runs a script only after the page's `load` event and may lose the reply to
 * the first one sent right after a navigation: goto/reload absorb that, and waitForFunction
 * retries; so after a navigation the page starts by itself, waitForFunction before evaluate,
 * and what must be seen before `load` (a bundle still loading) the page records itself.
 *
 * Without an engine its suites are skipped with one line saying why; LUMINA_REQUIRE_BROWSER=1
 * (CI) makes a missing engine a failure. LUMINA_ENGINES=chromium,firefox narrows a local run.
 */
import { describe, it } from 'vitest'
import { chromium, type Browser as PlaywrightBrowser } from 'playwright-core'
import { CHROMIUM_ARGS, chromiumEngine } from './drivers/chromium'
import { firefoxEngine } from './drivers/firefox'
import { webkitEngine } from './drivers/webkit'
import type { Ability, Engine } from './drivers/driver'

export * from './harness/server'
export type { Ability, Browser, Cookie, Engine, EngineName, Page } from './drivers/driver'

export const browserRequired = !!process.env.LUMINA_REQUIRE_BROWSER
// CI (LUMINA_REQUIRE_BROWSER) always runs all three: LUMINA_ENGINES narrows local runs only.
const only = browserRequired ? undefined : process.env.LUMINA_ENGINES?.split(',').map((s) => s.trim())

/** The engines this run uses, in the order they run. */
export const engines: Engine[] = [chromiumEngine, firefoxEngine, webkitEngine].filter((e) => !only || only.includes(e.name))

const warned = new Set<string>()

/** describe() once per engine: skipped with a message where the engine is missing, failing when CI requires it. */
export const describeEngines = (name: string, fn: (engine: Engine) => void, which: Engine[] = engines) => {
  for (const engine of which) {
    const title = `${name} [${engine.name}]`
    if (!engine.missing) {
      describe(title, () => fn(engine))
    } else if (browserRequired) {
      describe(title, () =>
        it(`needs ${engine.name}`, () => {
          throw new Error(`LUMINA_REQUIRE_BROWSER is set but ${engine.missing}`)
        }),
      )
    } else {
      if (!warned.has(engine.name)) {
        console.warn(`\n[e2e] SKIPPED ${engine.name} tests: ${engine.missing}.\n`)
      }
      warned.add(engine.name)
      describe.skip(title, () => fn(engine))
    }
  }
}

/** True when `engine` can do `ability`; otherwise logs that this step is skipped in this engine, and why. */
export const step = (engine: Engine, ability: Ability, what: string = ability) => {
  const why = engine.cannot[ability]
  if (why) {
    console.log(`[e2e] ${engine.name}: step skipped (${what}): ${why}`)
  }
  return !why
}

/** `it` where `engine` can do `ability`; elsewhere `it.skip`, with a line saying why. For a test that is that one step. */
export const itWhere = (engine: Engine, ability: Ability) => {
  const why = engine.cannot[ability]
  if (why) {
    console.log(`[e2e] ${engine.name}: test skipped (needs ${ability}): ${why}`)
  }
  return why ? it.skip : it
}

// --- Chromium-only entry points of the previous harness, for tests not yet ported. ---

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export const hasChromium = !chromiumEngine.missing

/** @deprecated playwright's Chromium directly; port to describeEngines + engine.launch(). */
export const launch = (): Promise<PlaywrightBrowser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  })

/** @deprecated Chromium only; port to describeEngines. */
export const describeBrowser = (name: string, fn: () => void) => describeEngines(name, () => fn(), [chromiumEngine])
