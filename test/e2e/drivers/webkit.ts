/**
 * WebKitGTK (Debian's `webkit2gtk-driver`) through WebDriver classic, spoken as plain HTTP to
 * `WebKitWebDriver` (about 150 lines here instead of webdriverio and its dependency tree). The
 * browser is MiniBrowser in automation mode on a private Xvfb display. A WebDriver session is an
 * ephemeral profile and one driver process holds one session, so each page gets a session of its
 * own (about 0.5 s), on a driver from a small pool.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { splitKey, unsupported, type Browser, type Cookie, type Engine, type Page } from './driver'

const DRIVER = process.env.WEBKIT_DRIVER_PATH || '/usr/bin/WebKitWebDriver'
const MINIBROWSER = process.env.WEBKIT_BROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'
const XVFB = '/usr/bin/Xvfb'

const missingWebKit = () => {
  if (!existsSync(DRIVER)) {
    return `WebKitWebDriver not found at ${DRIVER}: apt-get install -y webkit2gtk-driver xvfb`
  }
  if (!existsSync(MINIBROWSER)) {
    return `MiniBrowser not found at ${MINIBROWSER}: apt-get install -y webkit2gtk-driver, or set WEBKIT_BROWSER_PATH`
  }
  if (!existsSync(XVFB) && !process.env.DISPLAY) {
    return 'no display for MiniBrowser: apt-get install -y xvfb'
  }
  return ''
}

const CANNOT = {
  offline: 'WebDriver classic has no network emulation',
  ime: 'WebDriver classic has no IME composition input',
  pageErrors: 'WebDriver classic does not report uncaught page errors',
}

/** W3C WebDriver key codes for the named keys tests press. */
const KEYS: Record<string, string> = {
  Enter: '\uE007',
  Tab: '\uE004',
  Escape: '\uE00C',
  Backspace: '\uE003',
  Shift: '\uE008',
  Control: '\uE009',
  Alt: '\uE00A',
  Meta: '\uE03D',
}
const UNDEFINED = '\u0000undefined'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

/** Starts Xvfb on a free display number (it writes the number to fd 3). */
const startXvfb = async (): Promise<{ display: string; proc?: ChildProcess }> => {
  if (!existsSync(XVFB)) {
    return { display: process.env.DISPLAY! }
  }
  const proc = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] })
  const display = await new Promise<string>((resolve, reject) => {
    let out = ''
    proc.stdio[3]!.on('data', (d) => {
      out += d
      if (out.includes('\n')) {
        resolve(':' + out.trim())
      }
    })
    proc.on('exit', (code) => reject(new Error(`Xvfb exited (${code})`)))
    setTimeout(() => reject(new Error('Xvfb did not start in 10 s')), 10_000)
  })
  return { display, proc }
}

interface Driver {
  proc: ChildProcess
  base: string
  busy: boolean
}

class WebDriverError extends Error {}

const DEBUG = !!process.env.LUMINA_WD_DEBUG

const call = async (base: string, method: string, path: string, body?: unknown): Promise<any> => {
  const t0 = Date.now()
  if (DEBUG) {
    console.log('[wd] >', method, path, JSON.stringify(body)?.slice(0, 120))
  }
  const res = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json: any = await res.json()
  if (DEBUG) {
    console.log('[wd] <', method, path, Date.now() - t0, 'ms', JSON.stringify(json.value)?.slice(0, 120))
  }
  if (!res.ok) {
    throw new WebDriverError(`WebDriver ${method} ${path.replace(/^\/session\/[^/]+/, '')}: ${json.value?.error}: ${json.value?.message}`)
  }
  return json.value
}

const startDriver = async (display: string): Promise<Driver> => {
  const port = await freePort()
  const proc = spawn(DRIVER, ['--port=' + port], { env: { ...process.env, DISPLAY: display }, stdio: 'ignore' })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    try {
      const status = await call(base, 'GET', '/status')
      if (status.ready) {
        break
      }
    } catch (e) {
      if (i > 100) {
        throw new Error(`WebKitWebDriver did not answer on port ${port}: ${e}`)
      }
    }
    await sleep(50)
  }
  return { proc, base, busy: false }
}

export const webkitEngine: Engine = {
  name: 'webkit',
  missing: missingWebKit(),
  cannot: CANNOT,
  async launch(): Promise<Browser> {
    const x = await startXvfb()
    const drivers: Driver[] = []
    const killAll = () => {
      for (const d of drivers) {
        d.proc.kill()
      }
      x.proc?.kill()
    }
    process.once('exit', killAll)
    const caps = {
      capabilities: {
        alwaysMatch: {
          // goto() returns at DOMContentLoaded and waits for `load` itself when asked: a stalled
          // async script would otherwise hold every navigation for the page-load timeout.
          pageLoadStrategy: 'eager',
          timeouts: { script: 60_000, pageLoad: 30_000, implicit: 0 },
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
        },
      },
    }
    const first = await startDriver(x.display)
    drivers.push(first)
    // One session up front: the engine works, and its version.
    const probe = await call(first.base, 'POST', '/session', caps)
    const version = `${probe.capabilities.browserName}/${probe.capabilities.browserVersion}`
    await call(first.base, 'DELETE', `/session/${probe.sessionId}`)

    const newPage = async (opts?: { viewport?: { width: number; height: number } }): Promise<Page> => {
      let d = drivers.find((x) => !x.busy)
      if (!d) {
        d = await startDriver(x.display)
        drivers.push(d)
      }
      d.busy = true
      const driver = d
      const session = (await call(driver.base, 'POST', '/session', caps)).sessionId
      const wd = (method: string, path: string, body?: unknown) => call(driver.base, method, `/session/${session}${path}`, body)
      if (opts?.viewport) {
        await wd('POST', '/window/rect', { ...opts.viewport, x: 0, y: 0 })
      }

      const evaluate = async (fn: any, arg?: any) => {
        const script = `const f = (${String(fn)});
          return Promise.resolve(f(arguments[0])).then((v) => JSON.stringify({ v }, (_k, x) => (x === undefined ? ${JSON.stringify(UNDEFINED)} : x)))`
        const reply = wd('POST', '/execute/sync', { script, args: [arg ?? null] })
        const late = new Error(
          'WebKitWebDriver gave no answer to the script in 40 s (sent before `load`, or right after a navigation without waitForFunction first?)',
        )
        let timer: NodeJS.Timeout | undefined
        const out = await Promise.race([reply, new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(late), 40_000)))]).finally(() =>
          clearTimeout(timer),
        )
        return JSON.parse(out, (_k, x) => (x === UNDEFINED ? undefined : x)).v
      }
      /**
       * Polls `fn` (which must be free of side effects). WebKitWebDriver loses the reply to the
       * first script run shortly after a navigation (measured here: a script sent right after
       * an eager navigation never answers; the next one, sent while it hangs, answers in ms), so
       * each poll gets 1 s and a lost one is simply asked again.
       */
      const waitForFunction = async (fn: () => unknown, o?: { timeout?: number }) => {
        const end = Date.now() + (o?.timeout ?? 15_000)
        let lastError: unknown
        for (;;) {
          // an error (a navigation in progress) or no answer: ask again
          const answer = evaluate(fn).then(
            (v) => ({ v, e: undefined }),
            (e) => ({ v: false, e }),
          )
          const got = await Promise.race([answer, sleep(1000).then(() => ({ v: false, e: undefined }))])
          if (got.v) {
            return
          }
          if (got.e) {
            lastError = got.e
          }
          if (Date.now() > end) {
            throw new Error(`waitForFunction timed out: ${String(fn)}${lastError ? ` (last error: ${lastError})` : ''}`)
          }
          await sleep(50)
        }
      }
      /**
       * After an eager navigation: scripts get answers. WebKitWebDriver answers no script sent
       * before the page's `load` event (measured: the reply never comes), so this polls until
       * one is answered; a page whose `load` never comes (a stalled async script) needs
       * `waitUntil: 'commit'` and cannot be evaluated.
       */
      const settled = () => waitForFunction(() => document.readyState != 'loading', { timeout: 30_000 })
      const loaded = () => waitForFunction(() => document.readyState == 'complete', { timeout: 30_000 })
      const keys = (actions: object[]) => wd('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] })

      return {
        async goto(url, o) {
          await wd('POST', '/url', { url })
          const until = o?.waitUntil || 'load'
          if (until != 'commit') {
            await (until == 'load' ? loaded() : settled())
          }
        },
        evaluate: evaluate as Page['evaluate'],
        async reload() {
          await wd('POST', '/refresh', {})
          await loaded()
        },
        async close() {
          try {
            await wd('DELETE', '')
          } finally {
            driver.busy = false
          }
        },
        url: () => wd('GET', '/url'),
        waitForFunction,
        async click(selector) {
          const el = await wd('POST', '/element', { using: 'css selector', value: selector })
          await wd('POST', `/element/${Object.values(el)[0]}/click`, {})
        },
        keyboard: {
          async type(text, o) {
            const actions: object[] = []
            for (const ch of text) {
              if (actions[0] && o?.delay) {
                actions.push({ type: 'pause', duration: o.delay })
              }
              const value = ch == '\n' ? KEYS.Enter : ch
              actions.push({ type: 'keyDown', value }, { type: 'keyUp', value })
            }
            await keys(actions)
          },
          async press(key) {
            const { mods, key: k } = splitKey(key)
            const code = (name: string) => KEYS[name] || name
            await keys([
              ...mods.map((m) => ({ type: 'keyDown', value: code(m) })),
              { type: 'keyDown', value: code(k) },
              { type: 'keyUp', value: code(k) },
              ...mods.reverse().map((m) => ({ type: 'keyUp', value: code(m) })),
            ])
          },
        },
        async screenshot(o) {
          writeFileSync(o.path, Buffer.from(await wd('GET', '/screenshot'), 'base64'))
        },
        async cookies(): Promise<Cookie[]> {
          return ((await wd('GET', '/cookie')) as any[]).map((c) => ({ name: c.name, value: c.value, expires: c.expiry ?? -1 }))
        },
        setOffline: unsupported('webkit', 'offline', CANNOT.offline),
        imeEnter: unsupported('webkit', 'ime', CANNOT.ime),
        onPageError() {},
      }
    }

    return {
      engine: 'webkit',
      version,
      newPage,
      async close() {
        process.removeListener('exit', killAll)
        killAll()
      },
    }
  },
}
