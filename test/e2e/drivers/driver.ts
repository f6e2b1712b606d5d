/**
 * The driver interface every real-browser test is written against, one adapter per engine:
 * Chromium through playwright-core, Firefox through puppeteer-core (WebDriver BiDi), WebKitGTK
 * through WebDriver classic over plain HTTP (webkit.ts, no client library).
 *
 * The page object keeps playwright's names and signatures for what tests use, so a test written
 * against playwright's `Page` ports by changing its imports. What an engine cannot do is a
 * `cannot` entry with the reason; `step()` in the harness turns it into a logged skip.
 */
export type EngineName = 'chromium' | 'firefox' | 'webkit'

/** Optional abilities; an engine without one names the reason in `Engine.cannot`. */
export type Ability = 'offline' | 'ime' | 'pageErrors'

export interface Cookie {
  name: string
  value: string
  /** Expiry in epoch seconds; -1 for a session cookie. */
  expires: number
}

export interface Page {
  /**
   * Navigates and waits for `load` (default), `domcontentloaded`, or only the navigation itself
   * (`commit`: for a page whose `load` never comes; Firefox waits for `domcontentloaded`).
   */
  goto(url: string, opts?: { waitUntil?: 'load' | 'domcontentloaded' | 'commit' }): Promise<void>
  /** Runs `fn` in the page (serialised with its source: no closures over test variables; pass `arg`). Promises are awaited. */
  evaluate<R>(fn: () => R): Promise<Awaited<R>>
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<Awaited<R>>
  /** Reloads and waits for `load`. */
  reload(): Promise<void>
  close(): Promise<void>
  url(): Promise<string>
  /** Polls `fn` in the page until it returns truthy (default 15 s). */
  waitForFunction(fn: () => unknown, opts?: { timeout?: number }): Promise<void>
  /** A real click (pointer events, focus) in the middle of the first element matching `selector`. */
  click(selector: string): Promise<void>
  /** Real key events; `press` takes `Enter`, `Tab`, `Escape`, `Backspace` or `Shift+Enter`. */
  keyboard: { type(text: string, opts?: { delay?: number }): Promise<void>; press(key: string): Promise<void> }
  screenshot(opts: { path: string }): Promise<void>
  /** The cookies the engine keeps for the current page's URL. */
  cookies(): Promise<Cookie[]>
  /** Network emulation (ability `offline`). */
  setOffline(offline: boolean): Promise<void>
  /** Composes `text` with the IME and presses Enter while composing, which commits it (ability `ime`). */
  imeEnter(text: string): Promise<void>
  /** Uncaught page errors (ability `pageErrors`). */
  onPageError(cb: (message: string) => void): void
}

export interface Browser {
  engine: EngineName
  /** The engine's product and version, e.g. `firefox/153.8.0`. */
  version: string
  /** A page in a fresh, isolated profile (its own cookies and storage), as playwright's `browser.newPage()`. */
  newPage(opts?: { viewport?: { width: number; height: number } }): Promise<Page>
  close(): Promise<void>
}

export interface Engine {
  name: EngineName
  /** Empty when the engine can run here; else why not and how to install it. */
  missing: string
  /** Abilities this engine lacks, with the reason. */
  cannot: Partial<Record<Ability, string>>
  launch(): Promise<Browser>
}

export class Unsupported extends Error {}
export const unsupported = (engine: EngineName, ability: Ability, why: string) => {
  return () => Promise.reject(new Unsupported(`${engine} cannot ${ability}: ${why}`))
}

/** `Shift+Enter` into its modifier list and key. */
export const splitKey = (key: string) => {
  const parts = key.split('+')
  return { mods: parts.slice(0, -1), key: parts[parts.length - 1] }
}
