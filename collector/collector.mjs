// The local collector: what the ingest side does, small enough to read. Accepts
// POST /collect/sdk/events (CONTRACT.md section 4), validates each NDJSON line against
// schema/event.schema.json, drops duplicates by id, appends to an NDJSON file and streams
// accepted events to GET /collect/live (Server-Sent Events).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Ajv2020 from 'ajv/dist/2020.js'

const schema = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../schema/event.schema.json'), 'utf8'))
export const validate = new Ajv2020({ allErrors: false, strict: false }).compile(schema)

export const EVENTS_PATH = '/collect/sdk/events'
export const LIVE_PATH = '/collect/live'
export const MAX_BODY_BYTES = 1 << 20
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, X-Api-Key',
  'Access-Control-Expose-Headers': 'Retry-After',
}
const ACCEPTED_TYPES = ['application/x-ndjson', 'text/plain', 'application/json', '']

/**
 * @param {{ dataDir: string, writeKeys: string[], log?: (msg: string) => void }} options
 */
export const createCollector = ({ dataDir, writeKeys, log = () => {} }) => {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, 'events.ndjson')
  /** Ids already stored: rebuilt from the file, so duplicates are dropped across restarts. */
  const seen = new Set()
  /** The newest events, for a live panel that connects late. */
  const recent = []
  if (existsSync(file))
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue
      try {
        const e = JSON.parse(line)
        seen.add(e.id)
        recent.push(e)
      } catch {} // a line cut by a crash mid-write
    }
  recent.splice(0, Math.max(0, recent.length - 500))
  /** @type {Set<import('node:http').ServerResponse>} */
  const listeners = new Set()

  const reply = (res, status, body, headers = {}) => {
    res.writeHead(status, { ...CORS, 'Content-Type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

  /** Parses, validates, dedupes and stores one body; returns the response. */
  const ingest = (body) => {
    const lines = body.replace(/^\uFEFF/, '').split(/\r?\n/)
    const rejected = []
    let accepted = 0
    let duplicates = 0
    let parsed = 0
    const fresh = []
    lines.forEach((line, i) => {
      if (!line.trim()) return
      let event
      try {
        event = JSON.parse(line)
      } catch {
        return rejected.push({ line: i + 1, error: 'not JSON' })
      }
      parsed++
      if (!validate(event)) {
        const [err] = validate.errors
        return rejected.push({ line: i + 1, error: `${err.instancePath || '/'} ${err.message}` })
      }
      accepted++
      if (seen.has(event.id)) return duplicates++
      seen.add(event.id)
      fresh.push(event)
    })
    if (fresh.length) {
      appendFileSync(file, fresh.map((e) => JSON.stringify(e)).join('\n') + '\n')
      recent.push(...fresh)
      recent.splice(0, Math.max(0, recent.length - 500))
      const data = fresh.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')
      for (const res of listeners) res.write(data)
    }
    if (!parsed && !accepted) return [400, { error: rejected.length ? 'no line parsed' : 'empty body', rejected }]
    return [200, { accepted, duplicates, rejected }]
  }

  const collector = {
    file,
    recent,
    /**
     * Handles the collector's routes; returns false for any other path.
     * @param {import('node:http').IncomingMessage} req
     * @param {import('node:http').ServerResponse} res
     */
    handle(req, res) {
      const url = new URL(req.url || '/', 'http://local')
      if (url.pathname == LIVE_PATH && req.method == 'GET') {
        res.writeHead(200, { ...CORS, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' })
        res.write(`retry: 1000\n\n` + recent.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''))
        listeners.add(res)
        req.on('close', () => listeners.delete(res))
        return true
      }
      if (url.pathname != EVENTS_PATH) return false
      if (req.method == 'OPTIONS') {
        res.writeHead(204, { ...CORS, 'Access-Control-Max-Age': '86400' })
        res.end()
        return true
      }
      if (req.method != 'POST') return reply(res, 405, { error: 'POST only' }, { Allow: 'POST, OPTIONS' }), true
      const key = req.headers['x-api-key'] || url.searchParams.get('key')
      if (!key || !writeKeys.includes(String(key))) return drain(req, () => reply(res, 401, { error: 'unknown write key' })), true
      const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase()
      if (!ACCEPTED_TYPES.includes(type)) return drain(req, () => reply(res, 415, { error: `content type ${type}` })), true
      let size = 0
      let tooBig = false
      const chunks = []
      req.on('data', (c) => {
        size += c.length
        if (size > MAX_BODY_BYTES) tooBig = true
        else chunks.push(c)
      })
      req.on('end', () => {
        if (tooBig) return reply(res, 413, { error: `body over ${MAX_BODY_BYTES} bytes` })
        try {
          const [status, body] = ingest(Buffer.concat(chunks).toString('utf8'))
          if (status == 200) log(`accepted ${body.accepted} (${body.duplicates} duplicate, ${body.rejected.length} rejected)`)
          reply(res, status, body)
        } catch (e) {
          reply(res, 500, { error: 'could not store events' }) // our fault, never the client's data
          log(`store failed: ${e}`)
        }
      })
      req.buffer = false // under http-server (union), releases the buffered body as 'data'
      return true
    },
    close() {
      for (const res of listeners) res.end()
      listeners.clear()
    },
  }
  return collector
}

/** Reads and discards a request body, then answers (a client must not be cut mid-upload). */
const drain = (req, done) => {
  req.on('data', () => {})
  req.on('end', done)
  req.buffer = false
}
