// The insights routes, mounted in the collector behind the read key (the collector checks the
// key and passes `ctx = { project, store, clickhouse, table }` for paths under /insights and
// /api/insights):
//   GET /insights/                 the page (insights/index.html)
//   GET /insights/<file>           its script and style; /insights/vendor/ the chart library
//   GET /api/insights?from&to&model&prompt_id&user     the numbers (queryInsights)
//   GET /api/insights/session?id=<session_id>&around=<ms>   a session's timeline
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { filtersOf, queryInsights, querySession } from './index.mjs'

const root = fileURLToPath(new URL('../../', import.meta.url))
/** The page's files, and uPlot's from node_modules (served from the project, never a CDN). */
const FILES = {
  '/insights/app.js': ['insights/app.js', 'text/javascript; charset=utf-8'],
  '/insights/style.css': ['insights/style.css', 'text/css; charset=utf-8'],
  '/insights/vendor/uPlot.iife.min.js': ['node_modules/uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  '/insights/vendor/uPlot.min.css': ['node_modules/uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'],
}
/** Read-key pages: never cached, never framed, never readable cross-origin. */
const PRIVATE = { 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' }

const json = (res, status, body) => {
  res.writeHead(status, { ...PRIVATE, 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {import('./index.mjs').InsightsCtx} ctx
 * @returns {boolean} whether the path was an insights route
 */
export const insightsRoute = (req, res, ctx) => {
  const url = new URL(req.url || '/', 'http://local')
  const path = url.pathname
  if (path != '/insights' && !path.startsWith('/insights/') && path != '/api/insights' && !path.startsWith('/api/insights/')) {
    return false
  }
  if (req.method != 'GET' && req.method != 'HEAD') {
    json(res, 405, { error: 'GET only' })
    return true
  }
  if (path == '/insights') {
    // Relative asset URLs need the trailing slash; the key stays in the query.
    res.writeHead(302, { ...PRIVATE, Location: '/insights/' + url.search })
    res.end()
    return true
  }
  if (path == '/insights/') {
    // The page's own script and style are behind the read key too: it goes on their URLs.
    const key = url.searchParams.get('read_key')
    const q = key ? '?read_key=' + encodeURIComponent(key) : ''
    const html = readFileSync(root + 'insights/index.html', 'utf8').replaceAll('{{q}}', q.replace(/&/g, '&amp;').replace(/"/g, '&quot;'))
    res.writeHead(200, { ...PRIVATE, 'Content-Type': 'text/html; charset=utf-8' })
    res.end(html)
    return true
  }
  const file = FILES[path]
  if (file) {
    res.writeHead(200, { ...PRIVATE, 'Content-Type': file[1] })
    res.end(readFileSync(root + file[0]))
    return true
  }
  if (path == '/api/insights') {
    answer(res, () => queryInsights(ctx, filtersOf(url.searchParams)))
    return true
  }
  if (path == '/api/insights/session') {
    const id = url.searchParams.get('id')
    if (!id) {
      json(res, 400, { error: 'id (a session id) is required' })
      return true
    }
    const around = Number(url.searchParams.get('around'))
    answer(res, () => querySession(ctx, id, Number.isFinite(around) && around > 0 ? around : undefined))
    return true
  }
  json(res, 404, { error: 'not found' })
  return true
}

const answer = (res, run) => {
  run().then(
    (body) => json(res, 200, body),
    (e) => json(res, 500, { error: `insights query failed: ${e && e.message}` }),
  )
}
