// Builds dist/: the package (ESM + CJS, each with its types), the CDN bundle (readable and
// minified, with a source map), the inline snippet and the paste-ready snippet.html with the SRI
// hash. LUMINA_CDN_URL writes another bundle URL into the snippet (self-hosting, the demo): the
// README's generated blocks then stay as they are, since they show the published CDN URL.
import { build } from 'esbuild'
import { cdnBundle, define } from './bundle.mjs'
import { minify } from 'terser'
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
export const defaultCdnUrl = `https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}` // jsDelivr serves package.json's `jsdelivr` file
export const cdnUrl = process.env.LUMINA_CDN_URL || defaultCdnUrl

/** The package's entry points (package.json `exports` names each one, for import and require). */
const ENTRIES = ['index', 'providers/posthog']

rmSync('dist', { recursive: true, force: true })
mkdirSync('dist', { recursive: true })

// ESM for bundlers and Node: one file per entry, shared code split out; the consumer's bundler minifies.
// `node/index` is the `node` export condition's (AsyncLocalStorage scopes): never in a browser build.
await build({
  entryPoints: [...ENTRIES, 'node/index'].map((e) => `src/${e}.ts`),
  external: ['node:*'],
  outdir: 'dist/esm',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2020',
  define,
  logLevel: 'warning',
})
// CJS for require(): one file per source module (esbuild cannot split CJS, and one bundle per
// entry would give each entry its own copy of the shared modules). dist/cjs/package.json makes
// its .js and .d.ts files CommonJS for Node and TypeScript.
const sources = readdirSync('src', { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f != 'cdn.ts')
await build({
  entryPoints: sources.map((f) => join('src', f)),
  outdir: 'dist/cjs',
  outbase: 'src',
  bundle: false,
  format: 'cjs',
  target: 'es2020',
  define,
  logLevel: 'warning',
})
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n')

// Types: tsc writes .d.ts files; their relative imports get the `.js` extension that
// `moduleResolution: node16/nodenext` requires in ESM (the same files then serve CJS).
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
const withExtensions = (dir) => {
  for (const f of readdirSync(dir, { recursive: true }).map(String)) {
    if (!f.endsWith('.d.ts')) {
      continue
    }
    const file = join(dir, f)
    const fix = (spec) => {
      if (!spec.startsWith('.') || spec.endsWith('.js')) {
        return spec
      }
      const target = join(dirname(file), spec)
      if (existsSync(target + '.d.ts')) {
        return spec + '.js'
      }
      if (existsSync(join(target, 'index.d.ts'))) {
        return spec + '/index.js'
      }
      throw new Error(`${relative('.', file)}: cannot resolve the type import ${spec}`)
    }
    const text = readFileSync(file, 'utf8')
    const fixed = text
      .replace(/(\bfrom\s*)(['"])([^'"]+)\2/g, (_, pre, q, spec) => pre + q + fix(spec) + q)
      .replace(/(\bimport\(\s*)(['"])([^'"]+)\2/g, (_, pre, q, spec) => pre + q + fix(spec) + q)
    if (fixed != text) {
      writeFileSync(file, fixed)
    }
  }
}
withExtensions('dist/types')
cpSync('dist/types', 'dist/esm', { recursive: true })
cpSync('dist/types', 'dist/cjs', { recursive: true })
rmSync('dist/types', { recursive: true })

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
    format: { quote_style: 2, ascii_only: true },
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
/** The CDN bundle's budget with every feature (test/unit/build.test.ts asserts the same numbers), and the goal. */
const BUNDLE_BUDGET = 8192
const BUNDLE_GOAL = 7500
// The README shows the same paste-ready block, generated here, never hand-copied. A snippet
// built for another URL (LUMINA_CDN_URL) is the builder's own: the README keeps the published one.
if (cdnUrl == defaultCdnUrl) {
  const readme = readFileSync('README.md', 'utf8')
  const block = `<!-- snippet:start -->\n\`\`\`html\n${readFileSync('dist/snippet.html', 'utf8').trim()}\n\`\`\`\n<!-- snippet:end -->`
  const gzipBytes = gzipSync(min.code, { level: 9 }).length
  const n = (x) => x.toLocaleString('en-US')
  const status = gzipBytes > BUNDLE_BUDGET ? ': **over**' : gzipBytes > BUNDLE_GOAL ? ', within' : ', goal met'
  const sizes = `<!-- sizes:start -->\n\`snippet.min.js\` ${n(Buffer.byteLength(snippet))} B (budget 700) · \`lumina.min.js\` ${n(Buffer.byteLength(min.code))} B minified, ${n(gzipBytes)} B gzip (budget ${n(BUNDLE_BUDGET)}, goal ${n(BUNDLE_GOAL)}${status})\n<!-- sizes:end -->`
  const updated = readme
    .replace(/<!-- snippet:start -->[\s\S]*?<!-- snippet:end -->/, block)
    .replace(/<!-- sizes:start -->[\s\S]*?<!-- sizes:end -->/, sizes)
  if (updated != readme) {
    writeFileSync('README.md', updated)
  }
} else {
  console.log(`snippet for ${cdnUrl}: dist/snippet.html (README.md left as it is)`)
}

console.log(`built dist/ — snippet ${Buffer.byteLength(snippet)} B, lumina.min.js ${Buffer.byteLength(min.code)} B`)
