// The CDN bundle recipe, shared by build.mjs and the bench (which builds variants of it to
// measure what each part weighs): esbuild bundles src/cdn.ts as an IIFE, terser minifies.
// Private members start with `_` and are mangled (preact/signals' rule); `_q`, `_loaded` and
// `_track` are shared with the snippet and chat input, `_isInitialized` is public (the original README's).
import { build } from 'esbuild'
import { minify } from 'terser'
import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
export const define = { __VERSION__: JSON.stringify(pkg.version) }

/** Returns { readable, min } (min: terser's { code, map }). `plugins` may stand parts in for others. */
export const cdnBundle = async (plugins = [], sourceMap = false) => {
  const iife = await build({
    entryPoints: [new URL('./src/cdn.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    target: 'es2020', // native ?. and ?? (Chrome 80, Safari 13.1, Firefox 74): much smaller than lowered
    // esbuild's syntax pass first (names and whitespace kept, so lumina.js stays readable):
    // it folds what terser leaves (~95 B gzip), so the source can stay plain statements
    minifySyntax: true,
    define,
    plugins,
    write: false,
    logLevel: 'warning',
  })
  const readable = iife.outputFiles[0].text
  const min = await minify(
    { 'lumina.js': readable },
    {
      ecma: 2020,
      // inline: 1 inlines only simple functions (terser's default 3 also inlines those with
      // arguments and variables, e.g. each single-use factory into its caller): measured 26 B gzip smaller
      compress: { passes: 3, unsafe_arrows: true, pure_getters: true, inline: 1 },
      mangle: { properties: { regex: /^_(?!_|q$|loaded$|track$|isInitialized$)/ } },
      // ASCII only: terser would otherwise turn esbuild's \u escapes back into characters, and
      // one non-ASCII character makes Chromium keep the whole script source as UTF-16.
      format: { ascii_only: true },
      sourceMap: sourceMap && { filename: 'lumina.min.js', url: 'lumina.min.js.map' },
    },
  )
  return { readable, min }
}
