// A server for the insights routes with the collector's read-key check in front (header
// `Authorization: Bearer`, `X-Read-Key` or `?read_key=`), for tests and the bench over a
// fixture store or ClickHouse without a running ingest.
import { createServer } from 'node:http'
import { insightsRoute } from '../../collector/insights/routes.mjs'

/**
 * @param {{ readKey: string, ctx: import('../../collector/insights/index.mjs').InsightsCtx }} options
 * @returns {Promise<{ origin: string, close(): Promise<void> }>}
 */
export const serveInsights = async ({ readKey, ctx }) => {
  const server = createServer((req, res) => {
    const url = new URL(req.url || '/', 'http://local')
    const auth = String(req.headers.authorization || '')
    const key = (auth.startsWith('Bearer ') ? auth.slice(7) : '') || req.headers['x-read-key'] || url.searchParams.get('read_key')
    if (/^\/(api\/)?insights(\/|$)/.test(url.pathname) && key !== readKey) {
      res.writeHead(401, { 'Content-Type': 'application/json' })
      res.end('{"error":"read key required"}')
      return
    }
    if (!insightsRoute(req, res, ctx)) {
      res.writeHead(404)
      res.end('not found')
    }
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      server.closeAllConnections()
      return new Promise((r) => server.close(() => r()))
    },
  }
}
