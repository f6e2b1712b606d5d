// The collector: the HTTP face of the ingest. Wires the modules, one per concern:
//   keys.mjs (write/read keys) · body.mjs (limits, gzip) · ingest.mjs (parse, validate, cost,
//   the capped report) · store.mjs (segments, group commit, dedupe) · quarantine.mjs ·
//   live.mjs (SSE feed) · clickhouse/loader.mjs (optional, LUMINA_CLICKHOUSE_URL).
// Routes: POST /collect/sdk/events (write key; CORS), and with a read key (never CORS):
// GET /collect/live, GET /collect/quarantine, GET /collect/export, and /insights, /api/insights
// mounted by `routes`; GET /collect/health needs no key. See docs/ingest.md.
import { readBody } from './body.mjs'
import { createKeyring, readKeyOf } from './keys.mjs'
import { parseBatch, report } from './ingest.mjs'
import { createLiveFeed } from './live.mjs'
import { openQuarantine } from './quarantine.mjs'
import { openStore } from './store.mjs'
import { startClickHouseLoader } from './clickhouse/loader.mjs'

export { validate } from './validate.mjs'
export { MAX_BODY_BYTES, MAX_GZIP_RATIO } from './body.mjs'
export const EVENTS_PATH = '/collect/sdk/events'
export const LIVE_PATH = '/collect/live'
export const QUARANTINE_PATH = '/collect/quarantine'
export const EXPORT_PATH = '/collect/export'
export const HEALTH_PATH = '/collect/health'

// Only the write endpoint is cross-origin: pages of any origin post to it. Read endpoints send
// no CORS headers, so no other origin's script can read them.
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, X-Api-Key, Content-Encoding',
  'Access-Control-Expose-Headers': 'Retry-After',
}
const ACCEPTED_TYPES = ['application/x-ndjson', 'text/plain', 'application/json', '']

/** Resolves when a response can take more (or is gone), leaving no listener behind. */
const drained = (res) =>
  new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })

/**
 * @typedef {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, ctx: { project: string, store: ReturnType<typeof openStore>, clickhouse: any, table: string | null, url: URL }) => boolean | Promise<boolean>} Route
 * @param {{
 *   dataDir: string,
 *   keys: import('./keys.mjs').KeyEntry[],
 *   log?: (msg: string) => void,
 *   routes?: Route[],
 *   clickhouse?: { url: string, database?: string, username?: string, password?: string, batchRows?: number, intervalMs?: number } | null,
 *   limits?: { maxBodyBytes?: number, maxGzipRatio?: number, segmentBytes?: number, dedupeMaxIds?: number, maxClientBytes?: number },
 *   readOrigins?: string[],
 * }} options  readOrigins: origins (e.g. `https://dash.example.com`) whose pages may read the read endpoints
 */
export const createCollector = ({ dataDir, keys, log = () => {}, routes = [], clickhouse = null, limits = {}, readOrigins = [] }) => {
  const keyring = createKeyring(keys)
  const store = openStore({ dir: dataDir, segmentBytes: limits.segmentBytes, maxIds: limits.dedupeMaxIds, log })
  const quarantine = openQuarantine({ dir: dataDir, segmentBytes: limits.segmentBytes })
  const live = createLiveFeed({ maxClientBytes: limits.maxClientBytes })
  const loader = clickhouse ? startClickHouseLoader({ store, dataDir, log, ...clickhouse }) : null

  const reply = (res, status, body, headers = {}) => {
    if (res.headersSent) {
      return res.end()
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers })
    res.end(JSON.stringify(body))
  }

  /** POST /collect/sdk/events for a project: 2xx only once accepted lines are fsynced. */
  const collect = async (req, res, project) => {
    const got = await readBody(req, { maxBytes: limits.maxBodyBytes, maxRatio: limits.maxGzipRatio })
    if (!got.ok) {
      return reply(res, got.status, { error: got.error }, CORS)
    }
    const { events, rejected, lines } = parseBatch(got.body.toString('utf8'), { project, receivedMs: Date.now() })
    try {
      const [appended] = await Promise.all([store.append(events), rejected.length ? quarantine.keep(project, rejected) : null])
      if (appended.stored.length) {
        live.publish(project, appended.stored)
      }
      const body = report({ accepted: events.length, duplicates: appended.duplicates, rejected })
      log(`${project}: accepted ${body.accepted} (${body.duplicates} duplicate, ${body.rejected_count} rejected)`)
      if (!lines) {
        return reply(res, 400, { error: 'empty body', ...body }, CORS)
      }
      if (!events.length && rejected.every((r) => r.error == 'not JSON')) {
        return reply(res, 400, { error: 'no line parsed', ...body }, CORS)
      }
      reply(res, 200, body, CORS)
    } catch (e) {
      log(`store failed: ${e}`)
      reply(res, 500, { error: 'could not store events' }, CORS) // our fault, never the client's data
    }
  }

  /** NDJSON out of an async iterable, paced by the socket (a slow reader is never buffered for). */
  const stream = async (res, items) => {
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' })
    for await (const item of items) {
      if (res.destroyed) {
        return
      }
      if (!res.write(JSON.stringify(item) + '\n')) {
        await drained(res)
      }
    }
    res.end()
  }

  /** The project of a read request, or null after answering 401/403. */
  const readProject = (req, res, url) => {
    const key = readKeyOf(req, url)
    const project = keyring.projectForReadKey(key)
    if (project) {
      return project
    }
    if (keyring.projectForWriteKey(key)) {
      reply(res, 403, { error: 'a write key cannot read; use the project read key' })
    } else {
      reply(res, 401, { error: 'read key required (Authorization: Bearer, X-Read-Key or ?read_key=)' })
    }
    return null
  }

  /** The first mounted route that takes the request answers it; none: 404. */
  const mounted = async (req, res, ctx) => {
    for (const route of routes) {
      if (await route(req, res, ctx)) {
        return
      }
    }
    reply(res, 404, { error: 'not found' })
  }

  const table = clickhouse ? `${clickhouse.database || 'lumina'}.events` : null
  const fail = (res, e) => {
    log(`request failed: ${e}`)
    reply(res, 500, { error: 'internal error' })
  }

  return {
    store,
    quarantine,
    live,
    loader,
    keys: keyring,
    ready: store.ready,
    /** Where accepted events are stored (a directory of segments). */
    file: store.log.dir,
    /**
     * Handles the collector's routes; returns false for any other path.
     * @param {import('node:http').IncomingMessage} req
     * @param {import('node:http').ServerResponse} res
     */
    handle(req, res) {
      const url = new URL(req.url || '/', 'http://local')
      const path = url.pathname
      if (path == EVENTS_PATH) {
        req.buffer = false // under http-server (union), releases the buffered body as 'data'
        if (req.method == 'OPTIONS') {
          res.writeHead(204, { ...CORS, 'Access-Control-Max-Age': '86400' })
          res.end()
          return true
        }
        if (req.method != 'POST') {
          reply(res, 405, { error: 'POST only' }, { ...CORS, Allow: 'POST, OPTIONS' })
          return true
        }
        const project = keyring.projectForWriteKey(req.headers['x-api-key'] || url.searchParams.get('key'))
        const type = String(req.headers['content-type'] || '')
          .split(';')[0]
          .trim()
          .toLowerCase()
        if (!project || !ACCEPTED_TYPES.includes(type)) {
          req.resume()
          req.on('end', () => {
            if (project) {
              reply(res, 415, { error: `content type ${type.slice(0, 60)}` }, CORS)
            } else {
              reply(res, 401, { error: 'unknown write key' }, CORS)
            }
          })
          return true
        }
        collect(req, res, project).catch((e) => fail(res, e))
        return true
      }
      if (path == HEALTH_PATH) {
        // for load balancers: no key, nothing about the data
        reply(res, 200, { ok: true, clickhouse: loader ? (loader.stats.failing ? 'retrying' : 'ok') : 'off' })
        return true
      }
      const insights = path == '/insights' || path.startsWith('/insights/') || path == '/api/insights' || path.startsWith('/api/insights/')
      if (path != LIVE_PATH && path != QUARANTINE_PATH && path != EXPORT_PATH && !insights) {
        return false
      }
      // read endpoints are not readable cross-origin unless the origin is listed (readOrigins)
      const origin = String(req.headers.origin || '')
      if (origin && readOrigins.includes(origin)) {
        res.setHeader('Access-Control-Allow-Origin', origin)
        res.setHeader('Vary', 'Origin')
        if (req.method == 'OPTIONS') {
          res.writeHead(204, {
            'Access-Control-Allow-Methods': 'GET, POST',
            'Access-Control-Allow-Headers': 'Authorization, X-Read-Key, Content-Type, Last-Event-ID',
            'Access-Control-Max-Age': '600',
          })
          res.end()
          return true
        }
      }
      if (req.method != 'GET' && !insights) {
        reply(res, 405, { error: 'GET only' }, { Allow: 'GET' })
        return true
      }
      const project = readProject(req, res, url)
      if (!project) {
        return true
      }
      if (path == LIVE_PATH) {
        live.serve(project, req, res)
      } else if (path == QUARANTINE_PATH) {
        stream(res, quarantine.scan({ project, limit: Math.min(+(url.searchParams.get('limit') || 1000) || 1000, 100_000) })).catch((e) =>
          fail(res, e),
        )
      } else if (path == EXPORT_PATH) {
        const since = Date.parse(url.searchParams.get('since') || '')
        const until = Date.parse(url.searchParams.get('until') || '')
        stream(res, store.scan({ project, sinceMs: since || undefined, untilMs: until || undefined })).catch((e) => fail(res, e))
      } else {
        const ctx = { project, store, clickhouse: loader ? loader.client : null, table, url }
        mounted(req, res, ctx).catch((e) => fail(res, e))
      }
      return true
    },
    async close() {
      live.close()
      if (loader) {
        await loader.stop()
      }
      await Promise.all([store.close(), quarantine.close()])
    },
  }
}
