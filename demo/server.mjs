// `npm start`: serves dist/ (the demo page and the bundle) and the local collector from one
// http-server process on 127.0.0.1, and prints the demo URL. Ctrl+C stops it cleanly.
import httpServer from 'http-server'
import { fileURLToPath } from 'node:url'
import { createCollector } from '../collector/collector.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * @param {{ port?: number, host?: string, dataDir?: string, writeKeys?: string[], quiet?: boolean }} options
 * @returns {Promise<{ url: string, port: number, collector: ReturnType<typeof createCollector>, notFound: string[], close(): Promise<void> }>}
 */
export const startDemo = ({ port = 8080, host = '127.0.0.1', dataDir = root + '.data', writeKeys = ['demo'], quiet = false } = {}) => {
  const log = quiet ? () => {} : (msg) => console.log(`[collector] ${msg}`)
  const collector = createCollector({ dataDir, writeKeys, log })
  /** Paths asked for that the server did not have (a page that asks for a missing file, e.g. a favicon, shows here). */
  const notFound = []
  const recordNotFound = (req, res) => {
    const response = res.response || res
    response.on('finish', () => {
      if (response.statusCode == 404) notFound.push(req.url)
    })
    res.emit('next')
  }
  const server = httpServer.createServer({
    root: root + 'dist',
    cache: -1,
    before: [recordNotFound, (req, res) => collector.handle(req, res.response || res) || res.emit('next')],
  })
  return new Promise((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(port, host, () => {
      const actual = server.server.address().port
      resolve({
        port: actual,
        url: `http://${host}:${actual}/demo.html`,
        collector,
        notFound,
        close: () => new Promise((r) => (collector.close(), server.server.closeAllConnections?.(), server.server.close(() => r()))),
      })
    })
  })
}

if (process.argv[1] && fileURLToPath(import.meta.url) == process.argv[1]) {
  const writeKeys = (process.env.LUMINA_WRITE_KEYS || 'demo').split(',').map((k) => k.trim()).filter(Boolean)
  const demo = await startDemo({ port: +(process.env.PORT || 8080), writeKeys }).catch((e) => {
    console.error(`Could not start the demo server: ${e.message}${e.code == 'EADDRINUSE' ? ' (set PORT to use another port)' : ''}`)
    process.exit(1)
  })
  const keyParam = writeKeys[0] == 'demo' ? '' : `?key=${encodeURIComponent(writeKeys[0])}`
  console.log(`\nLumina demo: ${demo.url}${keyParam}\nEvents are stored in ${demo.collector.file}. Ctrl+C stops.\n`)
  const stop = async () => {
    await demo.close()
    console.log('stopped')
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
