// A collector process on its own (node collector/main.mjs): what you run behind a load
// balancer, N times, each with its own data directory, all loading into one ClickHouse.
// Configuration from the environment:
//   PORT (8787), HOST (127.0.0.1), LUMINA_DATA_DIR (./.data), LUMINA_KEYS_FILE or LUMINA_KEYS
//   (project:writeKey:readKey,...), LUMINA_CLICKHOUSE_URL (+ LUMINA_CLICKHOUSE_DB, _USER, _PASSWORD).
// Prints `listening <url>` once the store is ready. SIGTERM/SIGINT close it cleanly.
import { createServer } from 'node:http'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCollector } from './collector.mjs'
import { keysFromEnv } from './keys.mjs'
import { insightsRoute } from './insights/routes.mjs'

/** ClickHouse options from the environment, or null. */
export const clickhouseFromEnv = (env) =>
  env.LUMINA_CLICKHOUSE_URL
    ? {
        url: env.LUMINA_CLICKHOUSE_URL,
        database: env.LUMINA_CLICKHOUSE_DB || 'lumina',
        username: env.LUMINA_CLICKHOUSE_USER,
        password: env.LUMINA_CLICKHOUSE_PASSWORD,
        batchRows: env.LUMINA_CLICKHOUSE_BATCH_ROWS ? +env.LUMINA_CLICKHOUSE_BATCH_ROWS : undefined,
      }
    : null

/**
 * @param {{ port?: number, host?: string, dataDir: string, keys: import('./keys.mjs').KeyEntry[], clickhouse?: any, log?: (m: string) => void, limits?: any, routes?: any[] }} o
 */
export const startCollectorServer = async ({ port = 8787, host = '127.0.0.1', ...options }) => {
  const collector = createCollector(options)
  await collector.ready
  const server = createServer((req, res) => {
    if (!collector.handle(req, res)) {
      res.writeHead(404, { 'Content-Type': 'application/json' })
      res.end('{"error":"not found"}')
    }
  })
  await new Promise((r, j) => server.once('error', j).listen(port, host, r))
  const actual = /** @type {import('node:net').AddressInfo} */ (server.address()).port
  return {
    collector,
    url: `http://${host}:${actual}`,
    port: actual,
    async close() {
      collector.live.close()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
      await collector.close()
    },
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) == resolve(process.argv[1])) {
  const env = process.env
  const keys = keysFromEnv(env)
  if (!keys) {
    console.error('collector: set LUMINA_KEYS_FILE or LUMINA_KEYS (project:writeKey:readKey,...)')
    process.exit(1)
  }
  const quiet = env.LUMINA_QUIET == '1'
  const s = await startCollectorServer({
    port: +(env.PORT || 8787),
    host: env.HOST || '127.0.0.1',
    dataDir: resolve(env.LUMINA_DATA_DIR || '.data'),
    keys,
    clickhouse: clickhouseFromEnv(env),
    log: quiet ? () => {} : (m) => console.log(`[collector] ${m}`),
    limits: env.LUMINA_SEGMENT_BYTES ? { segmentBytes: +env.LUMINA_SEGMENT_BYTES } : {},
    routes: [insightsRoute],
    readOrigins: (env.LUMINA_READ_ORIGINS || '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  })
  console.log(`listening ${s.url}`)
  const stop = async () => {
    await s.close()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
