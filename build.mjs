// Builds dist/: the ESM package (+ types), the CDN bundle (readable and minified, with a
// source map), the inline snippet and the paste-ready snippet.html with the SRI hash.
// LUMINA_CDN_URL overrides the bundle URL written into the snippet (the demo serves its own).
import { build } from 'esbuild'
import { cdnBundle, define } from './bundle.mjs'
import { minify } from 'terser'
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
export const cdnUrl = process.env.LUMINA_CDN_URL || `https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}` // jsDelivr serves package.json's `jsdelivr` file

rmSync('dist', { recursive: true, force: true })
mkdirSync('dist', { recursive: true })

// ESM for bundlers: one file per entry, shared code split out; the consumer's bundler minifies.
await build({
  entryPoints: ['src/index.ts', 'src/providers/posthog.ts'],
  outdir: 'dist/esm',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2020',
  define,
  logLevel: 'warning',
})
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })

// CDN bundle: readable IIFE, then terser (bundle.mjs, shared with the bench).
const { readable, min } = await cdnBundle([], true)
writeFileSync('dist/lumina.js', readable)
writeFileSync('dist/lumina.min.js', min.code)
writeFileSync('dist/lumina.min.js.map', min.map)
const sri = 'sha384-' + createHash('sha384').update(min.code).digest('base64')

// Snippet: minified with placeholders, then the URL (exactly once, double-quoted) and SRI filled in.
const snippetMin = (
  await minify(readFileSync('snippet/snippet.js', 'utf8'), {
    ecma: 2020,
    compress: { passes: 3, unsafe_arrows: true, global_defs: {} },
    mangle: { toplevel: true },
    format: { quote_style: 2 },
  })
).code
const fill = (url, hash) => snippetMin.replace('__URL__', JSON.stringify(url)).replace(',__SRI__', hash ? ',' + JSON.stringify(hash) : '')
const snippet = fill(cdnUrl)
writeFileSync('dist/snippet.min.js', snippet)
writeFileSync('dist/snippet.html', `<script>${fill(cdnUrl, sri)}</script>\n`)
writeFileSync('dist/sri.txt', sri + '\n')
// The demo page: the same generated snippet, loading the bundle from the demo server.
const demo = readFileSync('demo.html', 'utf8')
writeFileSync('dist/demo.html', demo.replace('<!-- LUMINA_SNIPPET -->', `<script>${fill('/lumina.min.js', sri)}</script>`))
// The README shows the same paste-ready block, generated here, never hand-copied.
const readme = readFileSync('README.md', 'utf8')
const block = `<!-- snippet:start -->\n\`\`\`html\n${readFileSync('dist/snippet.html', 'utf8').trim()}\n\`\`\`\n<!-- snippet:end -->`
const gzipBytes = gzipSync(min.code, { level: 9 }).length
const n = (x) => x.toLocaleString('en-US')
/** The CDN bundle's budget with every feature (test/unit/build.test.ts asserts the same numbers), and the goal. */
const BUNDLE_BUDGET = 8192
const BUNDLE_GOAL = 7500
const status = gzipBytes > BUNDLE_BUDGET ? ': **over**' : gzipBytes > BUNDLE_GOAL ? ', within' : ', goal met'
const sizes = `<!-- sizes:start -->\n\`snippet.min.js\` ${n(Buffer.byteLength(snippet))} B (budget 700) · \`lumina.min.js\` ${n(Buffer.byteLength(min.code))} B minified, ${n(gzipBytes)} B gzip (budget ${n(BUNDLE_BUDGET)}, goal ${n(BUNDLE_GOAL)}${status})\n<!-- sizes:end -->`
const updated = readme
  .replace(/<!-- snippet:start -->[\s\S]*?<!-- snippet:end -->/, block)
  .replace(/<!-- sizes:start -->[\s\S]*?<!-- sizes:end -->/, sizes)
if (updated != readme) writeFileSync('README.md', updated)

console.log(`built dist/ — snippet ${Buffer.byteLength(snippet)} B, lumina.min.js ${Buffer.byteLength(min.code)} B`)
