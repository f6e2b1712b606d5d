// `npm start`: serves dist/ (the demo page and the bundle) and the local collector from one
// http-server process on 127.0.0.1, and prints the demo URL and its keys. Ctrl+C stops it cleanly.
import httpServer from 'http-server'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCollector } from '../collector/collector.mjs'
import { demoKeys, keysFromEnv } from '../collector/keys.mjs'
import { clickhouseFromEnv } from '../collector/main.mjs'
import { insightsRoute } from '../collector/insights/routes.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * @param {{ port?: number, host?: string, dataDir?: string, keys?: import('../collector/keys.mjs').KeyEntry[], clickhouse?: any, routes?: any[], quiet?: boolean }} options
 * @returns {Promise<{ url: string, insightsUrl: string, port: number, writeKey: string, readKey: string, collector: ReturnType<typeof createCollector>, notFound: string[], close(): Promise<void> }>}
 */
export const startDemo = async ({
  port = 8080,
  host = '127.0.0.1',
  dataDir = root + '.data',
  keys,
  clickhouse = null,
  routes = [insightsRoute],
  quiet = false,
} = {}) => {
  const log = quiet ? () => {} : (msg) => console.log(`[collector] ${msg}`)
  const keyList = keys || demoKeys(join(dataDir, 'demo-keys.json'))
  const collector = createCollector({ dataDir, keys: keyList, log, clickhouse, routes })
  await collector.ready
  /** Paths asked for that the server did not have (a page that asks for a missing file, e.g. a favicon, shows here). */
  const notFound = []
  const recordNotFound = (req, res) => {
    const response = res.response || res
    response.on('finish', () => {
      if (response.statusCode == 404) {
        notFound.push(req.url)
      }
    })
    res.emit('next')
  }
  const server = httpServer.createServer({
    root: root + 'dist',
    cache: -1,
    before: [recordNotFound, (req, res) => collector.handle(req, res.response || res) || res.emit('next')],
  })
  const { writeKeys, readKeys } = collector.keys.entries[0]
  return new Promise((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(port, host, () => {
      const actual = server.server.address().port
      const query = new URLSearchParams()
      if (writeKeys[0] != 'wk_demo') {
        query.set('key', writeKeys[0])
      }
      if (readKeys[0]) {
        query.set('read_key', readKeys[0])
      }
      resolve({
        port: actual,
        url: `http://${host}:${actual}/demo.html?${query}`,
        insightsUrl: `http://${host}:${actual}/insights/?read_key=${encodeURIComponent(readKeys[0] || '')}`,
        writeKey: writeKeys[0],
        readKey: readKeys[0],
        collector,
        notFound,
        close: async () => {
          collector.live.close()
          server.server.closeAllConnections?.()
          await new Promise((r) => server.server.close(() => r()))
          await collector.close()
        },
      })
    })
  })
}

if (process.argv[1] && fileURLToPath(import.meta.url) == process.argv[1]) {
  const env = process.env
  const options = { port: +(env.PORT || 8080), keys: keysFromEnv(env) || undefined, clickhouse: clickhouseFromEnv(env) }
  if (env.LUMINA_DATA_DIR) {
    options.dataDir = env.LUMINA_DATA_DIR
  }
  const demo = await startDemo(options).catch((e) => {
    console.error(`Could not start the demo server: ${e.message}${e.code == 'EADDRINUSE' ? ' (set PORT to use another port)' : ''}`)
    process.exit(1)
  })
  console.log(`\nLumina demo: ${demo.url}`)
  console.log(`Insights:    ${demo.insightsUrl}`)
  console.log(
    `Project ${demo.collector.keys.entries[0].project}: write key ${demo.writeKey} (public, in pages), read key ${demo.readKey} (secret: live feed, insights)`,
  )
  console.log(`Events are stored in ${demo.collector.file}. Ctrl+C stops.\n`)
  const stop = async () => {
    await demo.close()
    console.log('stopped')
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
