// Budgets are code: byte counts of the built files, checked in every `npm test` (after the build).
import { describe, expect, it } from 'vitest'
import { readFileSync, existsSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { resolve } from 'node:path'

const dist = (f: string) => readFileSync(resolve(__dirname, '../../dist', f))
const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8'))

describe('built files', () => {
  it('snippet.min.js is at most 700 bytes', () => {
    const bytes = dist('snippet.min.js').length
    expect(bytes, `snippet.min.js is ${bytes} B; the budget is 700 B`).toBeLessThanOrEqual(700)
  })

  it('lumina.min.js gzip (zlib level 9) stays under its ceiling (a ratchet down to the 8,192 B budget)', () => {
    // The budget with every feature is 8,192 B (goal 7,500; the README states both and the
    // measured size). The module split (+245 B) and the identity/session/init fault fixes
    // (+225 B), the turn-side fixes and the delivery fixes with gzip batches (issue 12 items 2, 7,
    // 10-15; issue 16: +1,040 B) took the bundle over it: until it is back under, this ceiling only stops growth.
    // The size pass (build recipe, config table, shared helpers) took ~195 B off.
    // Lower it whenever the bundle shrinks; it must end at BUDGET.
    const BUDGET = 8192
    // Issue 14 then added ~340 B (finish()/flush() confirmation waits and the send window ~210,
    // shutdown() 32, turn.headers() baggage 28, the scopes seam for Node ~65, measured).
    const CEILING = 11180
    const bytes = gzipSync(dist('lumina.min.js'), { level: 9 }).length
    expect(CEILING).toBeGreaterThanOrEqual(BUDGET)
    expect(bytes, `lumina.min.js is ${bytes} B gzip; the ceiling is ${CEILING} B, the budget ${BUDGET} B`).toBeLessThanOrEqual(CEILING)
  })

  it('the README shows the generated snippet block and the measured sizes', () => {
    const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8')
    expect(readme).toContain(dist('snippet.html').toString().trim())
    const sizes = /<!-- sizes:start -->([\s\S]*?)<!-- sizes:end -->/.exec(readme)![1]
    const fmt = (n: number) => n.toLocaleString('en-US')
    expect(sizes).toContain(`${fmt(dist('snippet.min.js').length)} B`)
    expect(sizes).toContain(`${fmt(gzipSync(dist('lumina.min.js'), { level: 9 }).length)} B gzip`)
  })

  it('the bundle URL appears in the snippet exactly once, as a double-quoted literal', () => {
    const snippet = dist('snippet.min.js').toString()
    const url = `https://cdn.jsdelivr.net/npm/luminasdk@${pkg.version}`
    expect(snippet.split(url).length - 1).toBe(1)
    expect(snippet).toContain(`"${url}"`)
    expect(pkg.jsdelivr).toBe('dist/lumina.min.js') // what jsDelivr serves for that URL
  })

  it('snippet.html carries the SRI hash of lumina.min.js', () => {
    const sri = 'sha384-' + createHash('sha384').update(dist('lumina.min.js')).digest('base64')
    const html = dist('snippet.html').toString()
    expect(html.startsWith('<script>')).toBe(true)
    expect(html).toContain(`"${sri}"`)
    const code = dist('snippet.min.js').toString()
    expect(html).toContain(code.slice(0, code.lastIndexOf('"'))) // the same loader, one argument more
  })

  it('ships the ESM and CJS entries with types and a source map for the bundle', () => {
    for (const f of ['index', 'providers/posthog']) {
      for (const build of ['esm', 'cjs']) {
        for (const ext of ['.js', '.d.ts']) {
          expect(existsSync(resolve(__dirname, '../../dist', build, f + ext)), build + '/' + f + ext).toBe(true)
        }
      }
    }
    for (const f of ['lumina.js', 'lumina.min.js.map']) {
      expect(existsSync(resolve(__dirname, '../../dist', f)), f).toBe(true)
    }
    expect(pkg.exports['.'].import.types).toBe('./dist/esm/index.d.ts')
    expect(pkg.exports['./providers/posthog'].require.default).toBe('./dist/cjs/providers/posthog.js')
  })
  it('the minified bundle runs: replays the queue, sends a turn, and its ChatInputTracker is constructible', async () => {
    // Catches what only minification can break (mangled names, functions turned into arrows).
    const sent: string[] = []
    const w = window as any
    w.fetch = async (_url: string, init: RequestInit) => {
      sent.push(String(init.body))
      return new Response('{}')
    }
    const started = new Promise<any>((resolve) => (w.lumina = { _q: [['start', [], resolve]] }))
    new Function(dist('lumina.min.js').toString())()
    expect(w.lumina._loaded).toBe(true)
    expect(w.lumina._isInitialized).toBe(false) // public (the original README's), so never mangled
    w.lumina.init({ writeKey: 'wk', endpoint: 'https://ingest.test' })
    expect(w.lumina._isInitialized).toBe(true)
    const turn = (await started).turn()
    expect(turn.wrapLLM(() => 42)).toBe(42)
    turn.finish()
    await w.lumina.flush()
    expect(
      sent
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).name),
    ).toEqual(['turn'])
    const tracker = new w.lumina.ChatInputTracker()
    expect(typeof tracker.onInputStart).toBe('function')
    delete w.fetch
  })
})
