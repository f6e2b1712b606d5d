import { vi } from 'vitest'
import { gunzipSync, gzipSync } from 'node:zlib'
import { createLumina } from '../src/client'
import type { LuminaConfig, Platform } from '../src/types'

/** A Web Storage over a Map; `quota` (bytes) makes setItem throw QuotaExceededError; `broken` makes every access throw. */
export class MemoryStorage implements Storage {
  map = new Map<string, string>()
  quota = Infinity
  broken = false
  /** Every access, in order: `get:key`, `set:key`, `remove:key`. */
  ops: string[] = []
  get length() {
    return this.map.size
  }
  private check() {
    if (this.broken) {
      throw new DOMException('The operation is insecure.', 'SecurityError')
    }
  }
  clear() {
    this.check()
    this.map.clear()
  }
  getItem(key: string) {
    this.ops.push('get:' + key)
    this.check()
    return this.map.get(key) ?? null
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null
  }
  removeItem(key: string) {
    this.ops.push('remove:' + key)
    this.check()
    this.map.delete(key)
  }
  setItem(key: string, value: string) {
    this.ops.push('set:' + key)
    this.check()
    let used = value.length
    for (const [k, v] of this.map) {
      if (k != key) {
        used += v.length
      }
    }
    if (used > this.quota) {
      throw new DOMException('quota', 'QuotaExceededError')
    }
    this.map.set(key, String(value))
  }
}

/** A document with a cookie jar and a settable visibility; an EventTarget so listeners stay per test. */
export class FakeDocument extends EventTarget {
  visibilityState: DocumentVisibilityState = 'visible'
  jar = new Map<string, string>()
  cookieWrites: string[] = []
  cookieReads = 0
  cookiesDisabled = false
  get cookie() {
    this.cookieReads++
    if (this.cookiesDisabled) {
      throw new DOMException('cookies disabled', 'SecurityError')
    }
    return [...this.jar].map(([k, v]) => `${k.split('|')[0]}=${v}`).join('; ')
  }
  /** Like a browser: one cookie per name and Domain (a host-only one is keyed by its name alone), listed oldest first; over 4096 bytes is ignored. */
  set cookie(value: string) {
    if (this.cookiesDisabled) {
      throw new DOMException('cookies disabled', 'SecurityError')
    }
    this.cookieWrites.push(value)
    const [pair, ...attrs] = value.split('; ')
    const eq = pair.indexOf('=')
    const domain = attrs.find((a) => a.startsWith('Domain='))
    const key = pair.slice(0, eq) + (domain ? '|' + domain.slice(7) : '')
    if (attrs.some((a) => a == 'Max-Age=0')) {
      this.jar.delete(key)
    } else if (pair.length <= 4096) {
      this.jar.set(key, pair.slice(eq + 1))
    }
  }
}

export interface Sent {
  url: string
  body: string
  keepalive: boolean
  headers: Record<string, string>
  ids: string[]
  events: Record<string, any>[]
  via: 'fetch' | 'beacon'
}

type Reply = number | 'network' | 'hang' | { status: number; headers?: Record<string, string>; body?: string }
type Replies = Reply | Promise<Reply>

/**
 * A recording network: `fetch` and `sendBeacon` fakes. `reply` decides each fetch's fate;
 * `delivered()` is what a collector would have stored (2xx fetches and accepted beacons).
 */
export const fakeNetwork = () => {
  const sent: Sent[] = []
  const accepted: Sent[] = []
  let reply: (req: Sent) => Replies = () => 200
  let beaconAccepts = true
  const record = (url: string, body: string, via: Sent['via'], keepalive = false, headers = {}): Sent => {
    const events = body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
    const req = { url, body, keepalive, headers, events, ids: events.map((e) => e.id), via }
    sent.push(req)
    return req
  }
  const fetch = vi.fn(async (url: string | URL | Request, init: RequestInit = {}) => {
    const sentHeaders = { ...(init.headers as Record<string, string>) }
    // a gzip body (CompressionStream) is recorded as the collector reads it: decompressed
    const body = sentHeaders['Content-Encoding'] == 'gzip' ? gunzipSync(Buffer.from(init.body as ArrayBuffer)).toString('utf8') : String(init.body)
    const req = record(String(url), body, 'fetch', !!init.keepalive, sentHeaders)
    const r = await reply(req)
    if (r == 'network') {
      throw new TypeError('Failed to fetch')
    }
    if (r == 'hang') {
      return new Promise<Response>((_, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
    }
    const { status, headers, body: answer } = typeof r == 'number' ? { status: r, headers: {}, body: undefined } : r
    if (status >= 200 && status < 300) {
      accepted.push(req)
    }
    return new Response(status == 204 ? null : (answer ?? '{}'), { status, headers })
  })
  const sendBeacon = vi.fn((url: string, body: string) => {
    const req = record(url, body, 'beacon')
    if (beaconAccepts) {
      accepted.push(req)
    }
    return beaconAccepts
  })
  return {
    fetch: fetch as unknown as typeof globalThis.fetch,
    sendBeacon,
    sent,
    /** Ids the collector stored, with repeats (a duplicate shows twice). */
    delivered: () => accepted.flatMap((r) => r.ids),
    events: () => accepted.flatMap((r) => r.events),
    set reply(fn: (req: Sent) => Replies) {
      reply = fn
    },
    set beaconAccepts(v: boolean) {
      beaconAccepts = v
    },
  }
}

export type FakeNetwork = ReturnType<typeof fakeNetwork>

/** One browser "page": its storage outlives the SDK instance so reloads can be simulated; pass another page's localStorage for a second tab. */
export const fakeBrowser = (sharedLocal?: MemoryStorage) => {
  const local = sharedLocal || new MemoryStorage()
  const session = new MemoryStorage()
  const net = fakeNetwork()
  let doc = new FakeDocument()
  let win = Object.assign(new EventTarget(), { location: { protocol: 'https:' } })
  let online = true
  const platform = (): Partial<Platform> => ({
    fetch: net.fetch,
    sendBeacon: net.sendBeacon,
    localStorage: () => local,
    sessionStorage: () => session,
    document: doc as unknown as Document,
    window: win as unknown as Window,
    isOnline: () => online,
    // CompressionStream runs on real time, not the fake clock: a test that wants gzip passes one (see zlibGzip)
    gzip: undefined,
  })
  const browser = {
    local,
    session,
    net,
    get doc() {
      return doc
    },
    get win() {
      return win
    },
    /** A new SDK instance on this page (a fresh load when `reload()` was called first). */
    sdk(config: Partial<LuminaConfig> = {}, extra: Partial<Platform> = {}) {
      const lumina = createLumina({ ...platform(), ...extra })
      lumina.init({ writeKey: 'wk_test', endpoint: 'https://ingest.test', ...config } as LuminaConfig)
      return lumina
    },
    /** The old page is gone (after its page-hide events): its listeners no longer fire. Cookies and storage stay. */
    reload() {
      browser.hide()
      browser.pagehide()
      const jar = doc.jar
      doc = new FakeDocument()
      doc.jar = jar
      win = Object.assign(new EventTarget(), { location: { protocol: 'https:' } })
    },
    hide() {
      doc.visibilityState = 'hidden'
      doc.dispatchEvent(new Event('visibilitychange'))
    },
    show() {
      doc.visibilityState = 'visible'
      doc.dispatchEvent(new Event('visibilitychange'))
    },
    pagehide() {
      win.dispatchEvent(new Event('pagehide'))
    },
    setOnline(v: boolean) {
      online = v
      if (v) {
        win.dispatchEvent(new Event('online'))
      }
    },
  }
  return browser
}

/** A gzip for Platform.gzip that settles on the fake clock (zlib, synchronously). */
export const zlibGzip = (text: string) => Promise.resolve(new Uint8Array(gzipSync(text)).buffer)

/** Lets every pending promise and timer due within `ms` run. */
export const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms)

/** Opens a session and completes one turn. */
export const oneTurn = async (lumina: ReturnType<typeof createLumina>, fill?: (turn: any) => void) => {
  const s = await lumina.session.start()
  const turn = s.turn()
  await turn.wrapLLM(() => Promise.resolve('hi'), { model: 'gpt-test', prompt_id: 'p1' })
  fill?.(turn)
  turn.finish()
  return turn
}

/** A finish() or flush() promise under fake timers: lets the send window (250 ms) pass first. */
export const afterSend = async (p: Promise<void>) => {
  await tick(250)
  return p
}
