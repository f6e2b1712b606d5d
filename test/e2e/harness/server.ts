/**
 * The test server: a tiny server on 127.0.0.1 that serves dist/, test pages and a recording
 * collector (our ingest in miniature), plus small helpers. Engine-independent.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { existsSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'

const DIST = resolve(__dirname, '../../../dist')
export const dist = (file: string) => readFileSync(join(DIST, file), 'utf8')

export interface Received {
  url: string
  contentType: string
  apiKey?: string
  /** `gzip` for a compressed batch (the body is recorded decompressed). */
  contentEncoding?: string
  /** Bytes on the wire (before decompression). */
  wireBytes: number
  events: Record<string, any>[]
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => boolean | void

/** The server: `pages` by path, `dist/` files, `/collect/sdk/events` recorded into `received`. */
export const startServer = async () => {
  const received: Received[] = []
  const pages = new Map<string, { html: string; headers?: Record<string, string> }>()
  const hooks: Handler[] = []
  let collectorDown = false
  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers': 'Content-Type, X-Api-Key, Content-Encoding',
    'Access-Control-Expose-Headers': 'Retry-After',
    'Access-Control-Max-Age': '600',
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      const body = (req.headers['content-encoding'] == 'gzip' ? gunzipSync(raw) : raw).toString('utf8')
      for (const hook of hooks) {
        if (hook(req, res, body)) {
          return
        }
      }
      const path = (req.url || '/').split('?')[0]
      if (path == '/collect/sdk/events') {
        if (req.method == 'OPTIONS') {
          return res.writeHead(204, cors).end()
        }
        if (collectorDown) {
          return req.socket.destroy()
        }
        const events = body
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
        received.push({
          url: req.url!,
          contentType: String(req.headers['content-type']),
          apiKey: req.headers['x-api-key'] as string,
          contentEncoding: req.headers['content-encoding'],
          wireBytes: raw.length,
          events,
        })
        return res.writeHead(200, { ...cors, 'Content-Type': 'application/json' }).end('{"accepted":' + events.length + '}')
      }
      const page = pages.get(path)
      if (page) {
        return res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...page.headers }).end(page.html)
      }
      if (path.startsWith('/dist/') && existsSync(join(DIST, path.slice(6)))) {
        return res
          .writeHead(200, { 'Content-Type': 'text/javascript', 'Access-Control-Allow-Origin': '*' })
          .end(readFileSync(join(DIST, path.slice(6))))
      }
      if (path.startsWith('/node_modules/')) {
        const file = resolve(__dirname, '../../..', '.' + path)
        if (existsSync(file)) {
          return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(file))
        }
      }
      res.writeHead(404).end('not found')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    /** The page origin. */
    origin: `http://127.0.0.1:${port}`,
    /** The collector as a second origin (localhost), so requests are cross-origin as in production. */
    endpoint: `http://localhost:${port}`,
    received,
    events: () => received.flatMap((r) => r.events),
    page(path: string, html: string, headers?: Record<string, string>) {
      pages.set(path, { html, headers })
    },
    hook(h: Handler) {
      hooks.push(h)
    },
    set collectorDown(v: boolean) {
      collectorDown = v
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

export type TestServer = Awaited<ReturnType<typeof startServer>>

/** The generated snippet with the bundle URL replaced (it appears exactly once, double-quoted). */
export const snippetFor = (bundleUrl: string, html = false) => {
  const src = html ? dist('snippet.html') : `<script>${dist('snippet.min.js')}</script>`
  const url = /"(https:\/\/cdn\.jsdelivr\.net\/[^"]+)"/.exec(src)![1]
  return src.replace(`"${url}"`, JSON.stringify(bundleUrl))
}

/** Polls until `check` returns truthy (or throws after `ms`). */
export const until = async <T>(check: () => T | undefined | null | false | 0 | '', ms = 15_000, what = 'condition'): Promise<T> => {
  const end = Date.now() + ms
  for (;;) {
    const v = check()
    if (v) {
      return v
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
