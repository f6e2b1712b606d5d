// @vitest-environment node
// The package as npm users meet it: the tarball `npm pack` makes (from the dist/ that `npm test`
// has just built) is checked by @arethetypeswrong/cli and publint, then unpacked into a scratch
// project's node_modules where Node requires and imports it and TypeScript type-checks a user's
// file under every moduleResolution, --strict and without skipLibCheck.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { publint } from 'publint'
import ts from 'typescript'

const ROOT = resolve(__dirname, '../..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const bin = (path: string) => join(ROOT, 'node_modules', path)
const run = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })

let work: string
let tarball: string
let files: string[]
/** The scratch project: the tarball unpacked as node_modules/luminasdk, as `npm install` leaves it. */
let app: string

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lumina-pack-'))
  // --ignore-scripts: prepack would rebuild dist/ under the other tests' feet
  const npm = process.env.npm_execpath // set when run by `npm test`; else npm's own CLI next to node
  const packArgs = ['pack', '--json', '--ignore-scripts', '--pack-destination', work]
  const out = npm && npm.endsWith('.js') ? run([npm, ...packArgs], ROOT) : execFileSync('npm', packArgs, { cwd: ROOT, encoding: 'utf8' })
  const [info] = JSON.parse(out)
  tarball = join(work, info.filename)
  files = info.files.map((f: { path: string }) => f.path).sort()
  app = join(work, 'app')
  mkdirSync(join(app, 'node_modules'), { recursive: true })
  execFileSync('tar', ['-xzf', tarball, '-C', join(app, 'node_modules')])
  renameSync(join(app, 'node_modules/package'), join(app, 'node_modules/luminasdk'))
  // the README type test's tracer types (test/types/readme-api.ts), as the user's project has them
  symlinkSync(join(ROOT, 'node_modules/@opentelemetry'), join(app, 'node_modules/@opentelemetry'))
}, 60_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('the packed tarball', () => {
  it('ships only what a user needs: the builds with their types, the CDN files, README, LICENSE', () => {
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^LICENSE$/,
      /^dist\/(esm|cjs)\/([\w-]+\/)*[\w-]+\.(js|d\.ts)$/,
      /^dist\/cjs\/package\.json$/,
      /^dist\/(lumina\.js|lumina\.min\.js|lumina\.min\.js\.map|snippet\.html|snippet\.min\.js|sri\.txt)$/,
    ]
    expect(files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([])
    for (const f of ['LICENSE', 'README.md', 'dist/lumina.min.js', 'dist/snippet.html', 'dist/sri.txt', 'dist/cjs/package.json']) {
      expect(files, f).toContain(f)
    }
    expect(files).not.toContain('dist/demo.html')
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/)
    expect(pkg.license).toBe('MIT')
  })

  it('every file package.json points at is in it (exports, main, types, typesVersions)', () => {
    const targets: string[] = []
    const walk = (v: unknown) => (typeof v == 'string' ? targets.push(v) : v && typeof v == 'object' && Object.values(v).forEach(walk))
    walk([pkg.exports, pkg.main, pkg.module, pkg.types, pkg.typesVersions, pkg.jsdelivr])
    expect(targets.length).toBeGreaterThan(10)
    for (const t of targets) {
      expect(files, t).toContain(t.replace(/^\.\//, ''))
    }
  })

  it('@arethetypeswrong/cli finds no problem, and every entry resolves under node10, node16 (CJS and ESM) and bundler', () => {
    let out: string
    try {
      out = run([bin('@arethetypeswrong/cli/dist/index.js'), tarball, '--format', 'json'], work)
    } catch (e: any) {
      out = e.stdout // attw exits 1 when it finds problems; the JSON says which
    }
    const report = JSON.parse(out)
    expect(report.analysis.problems).toEqual([])
    const entries = report.analysis.entrypoints
    expect(Object.keys(entries).sort()).toEqual(Object.keys(pkg.exports).sort()) // every subpath in package.json, no other
    for (const [name, entry] of Object.entries<any>(entries)) {
      for (const kind of ['node10', 'node16-cjs', 'node16-esm', 'bundler']) {
        expect(entry.resolutions[kind]?.resolution?.fileName, `${name} under ${kind}`).toBeTruthy()
      }
    }
  }, 120_000)

  it('publint reports no error, warning or suggestion', async () => {
    const data = readFileSync(tarball)
    const { messages } = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
      level: 'suggestion',
    })
    expect(messages.map((m) => `${m.type} ${m.code} ${m.path.join('.')}`)).toEqual([])
  }, 30_000)
})

describe('installed from the tarball', () => {
  it("Node 20 require('luminasdk') and its posthog subpath (CommonJS)", () => {
    const out = run(
      [
        '-e',
        `
      const { Lumina, CaptureTranscript, createLumina } = require('luminasdk')
      const { postHogProvider } = require('luminasdk/providers/posthog')
      console.log(JSON.stringify([typeof Lumina.init, CaptureTranscript.Masked, typeof createLumina, typeof postHogProvider().getSessionId, require('luminasdk').default === Lumina]))`,
      ],
      app,
    )
    expect(JSON.parse(out)).toEqual(['function', 'masked', 'function', 'function', true])
  })

  it('the CommonJS build sends a turn (through an injected fetch), stamped with the package version', async () => {
    const out = run(
      [
        '-e',
        `
      const { createLumina } = require('luminasdk')
      const bodies = []
      const lumina = createLumina({ fetch: async (url, init) => (bodies.push(String(init.body)), new Response('{}')) })
      lumina.init({ writeKey: 'wk', endpoint: 'https://ingest.example.com' })
      lumina.session.start().then(async (session) => {
        const turn = session.turn()
        await turn.wrapLLM(async () => ({ usage: { prompt_tokens: 3, completion_tokens: 4 } }), { model: 'm1' })
        await turn.finish()
        await lumina.flush()
        console.log(bodies.join(''))
        process.exit(0)
      })`,
      ],
      app,
    )
    const turn = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((e) => e.name == 'turn')
    expect(turn).toMatchObject({ model: 'm1', status: 'ok', usage: { input_tokens: 3, output_tokens: 4 }, sdk: { version: pkg.version } })
  })

  it("Node 20 import('luminasdk') and its posthog subpath (ESM)", () => {
    const out = run(
      [
        '--input-type=module',
        '-e',
        `
      import Default, { Lumina, CaptureTranscript } from 'luminasdk'
      import { postHogProvider } from 'luminasdk/providers/posthog'
      console.log(JSON.stringify([typeof Lumina.init, CaptureTranscript.Full, typeof postHogProvider, Default === Lumina]))`,
      ],
      app,
    )
    expect(JSON.parse(out)).toEqual(['function', 'full', 'function', true])
  })

  it("the original README's API in both builds: createDummyProvider from both entries, _isInitialized, uiAnalytics: 'posthog' (it disabled the ESM build)", () => {
    const check = `
      const before = lumina._isInitialized
      lumina.init({ writeKey: 'wk', endpoint: 'https://ingest.example.com', uiAnalytics: 'posthog' })
      console.log(JSON.stringify([before, lumina._isInitialized, main.createDummyProvider === sub.createDummyProvider, main.createDummyProvider().name]))`
    const esm = run(
      [
        '--input-type=module',
        '-e',
        `
      import * as main from 'luminasdk'
      import * as sub from 'luminasdk/providers/posthog'
      const lumina = main.createLumina()${check}`,
      ],
      app,
    )
    const cjs = run(
      [
        '-e',
        `
      const main = require('luminasdk'), sub = require('luminasdk/providers/posthog')
      const lumina = main.createLumina()${check}`,
      ],
      app,
    )
    expect(JSON.parse(esm)).toEqual([false, true, true, 'none'])
    expect(JSON.parse(cjs)).toEqual([false, true, true, 'none'])
  })

  // A user's file: values and types from both entries. The @ts-expect-error lines fail the
  // check if the types resolve to `any` (what node16 users got when resolution silently failed).
  const userCode = (from: 'import' | 'require') => `
${
  from == 'import'
    ? `import { Lumina, CaptureTranscript, type LuminaConfig, type TurnCtx } from 'luminasdk'
import { postHogProvider } from 'luminasdk/providers/posthog'`
    : `import luminasdk = require('luminasdk')
import posthog = require('luminasdk/providers/posthog')
const { Lumina, CaptureTranscript } = luminasdk
const { postHogProvider } = posthog
type LuminaConfig = luminasdk.LuminaConfig
type TurnCtx = luminasdk.TurnCtx`
}
const config: LuminaConfig = { writeKey: 'wk', endpoint: 'https://ingest.example.com', captureTranscript: CaptureTranscript.Masked, uiAnalytics: postHogProvider() }
Lumina.init(config)
const masked: 'masked' = CaptureTranscript.Masked
export const ask = async (): Promise<string> => {
  const session = await Lumina.session.start()
  const turn: TurnCtx = session.turn()
  const reply = await turn.wrapLLM(async () => 'hi', { model: 'm' })
  await turn.finish()
  return reply + masked
}
// @ts-expect-error a number is not a config
Lumina.init(42)
// @ts-expect-error no such export
export { nope } from 'luminasdk'
`
  /** test/types/: every API form of the original README, checked in each project below too. */
  const readmeTypeTests = Object.fromEntries(['readme-api.ts', 'readme-types.ts'].map((f) => [f, readFileSync(join(ROOT, 'test/types', f), 'utf8')]))
  /** TypeScript's lib files, parsed once for all four checks (lib.dom.d.ts alone is 1.5 MB). */
  const libFiles = new Map<string, ts.SourceFile | undefined>()
  /** What `tsc -p` does for the scratch project, in this process. */
  const typeCheck = (name: string, compilerOptions: Record<string, unknown>, sources: Record<string, string>, type?: 'module' | 'commonjs') => {
    const dir = join(work, 'tsc-' + name)
    mkdirSync(dir, { recursive: true })
    symlinkSync(join(app, 'node_modules'), join(dir, 'node_modules'))
    if (type) {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type }))
    }
    for (const [file, code] of Object.entries(sources)) {
      writeFileSync(join(dir, file), code)
    }
    const options = { strict: true, noEmit: true, skipLibCheck: false, lib: ['ES2020', 'DOM'], types: [], target: 'ES2020', ...compilerOptions }
    const config = ts.parseJsonConfigFileContent({ compilerOptions: options, files: Object.keys(sources) }, ts.sys, dir)
    expect(config.errors).toEqual([])
    const host = ts.createCompilerHost(config.options)
    const read = host.getSourceFile
    host.getSourceFile = (file, language, ...rest) => {
      if (!/[\\/]typescript[\\/]lib[\\/]lib\.[\w.]+\.d\.ts$/.test(file)) {
        return read(file, language, ...rest)
      }
      if (!libFiles.has(file)) {
        libFiles.set(file, read(file, language, ...rest))
      }
      return libFiles.get(file)
    }
    const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host })
    const diagnostics = ts.getPreEmitDiagnostics(program)
    if (diagnostics.length) {
      throw new Error(`tsc (${name}) failed:\n${ts.formatDiagnostics(diagnostics, host)}`)
    }
    // the checked files really are the package's types, not something else found on the way
    expect(
      program.getSourceFiles().some((f) => /luminasdk[\\/]dist[\\/](esm|cjs)[\\/]index\.d\.ts$/.test(f.fileName)),
      name,
    ).toBe(true)
  }

  it('type-checks under moduleResolution bundler', () => {
    typeCheck('bundler', { module: 'ESNext', moduleResolution: 'Bundler' }, { 'user.ts': userCode('import'), ...readmeTypeTests })
  }, 120_000)
  it('type-checks under moduleResolution node16, from ESM and from CJS', () => {
    typeCheck(
      'node16',
      { module: 'Node16', moduleResolution: 'Node16' },
      { 'esm.mts': userCode('import'), 'cjs.cts': userCode('require'), ...readmeTypeTests },
    ) // .ts: CommonJS here
  }, 120_000)
  it('type-checks under moduleResolution nodenext, in a "type": "module" project', () => {
    typeCheck('nodenext', { module: 'NodeNext', moduleResolution: 'NodeNext' }, { 'user.ts': userCode('import'), ...readmeTypeTests }, 'module')
  }, 120_000)
  it('type-checks under moduleResolution node10 (no exports map: the subpath comes from typesVersions)', () => {
    typeCheck(
      'node10',
      { module: 'CommonJS', moduleResolution: 'Node10', esModuleInterop: true },
      { 'user.ts': userCode('import'), ...readmeTypeTests },
    )
  }, 120_000)
})

describe('self-hosting (docs/self-hosting.md)', () => {
  it("the documented commands make, from the installed package, a snippet for your URL whose SRI hash is the copied file's", () => {
    const doc = readFileSync(join(ROOT, 'docs/self-hosting.md'), 'utf8')
    const script = /<!-- self-hosting:snippet -->\n```sh\n([\s\S]*?)\n```/.exec(doc)![1]
    execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: app, stdio: 'pipe' })
    const copied = readFileSync(join(app, 'public/lumina/0.1.0/lumina.min.js'))
    expect(copied.equals(readFileSync(join(app, 'node_modules/luminasdk/dist/lumina.min.js')))).toBe(true)
    const html = readFileSync(join(app, 'snippet.html'), 'utf8')
    const url = /\S+$/.exec(script.trim())![0]
    expect(html.split(JSON.stringify(url)).length - 1).toBe(1)
    expect(html).toContain(JSON.stringify('sha384-' + createHash('sha384').update(copied).digest('base64')))
    expect(html).not.toContain('cdn.jsdelivr.net')
  })

  it('builds the snippet for another bundle URL with its SRI hash, and leaves README.md as it is', () => {
    const copy = join(work, 'repo')
    mkdirSync(copy)
    for (const f of ['package.json', 'build.mjs', 'bundle.mjs', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'demo.html', 'src', 'snippet']) {
      cpSync(join(ROOT, f), join(copy, f), { recursive: true })
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'))
    const readme = readFileSync(join(copy, 'README.md'), 'utf8')
    const url = 'https://static.example.com/lumina/0.1.0/lumina.min.js'
    run(['build.mjs'], copy, { LUMINA_CDN_URL: url })
    expect(readFileSync(join(copy, 'README.md'), 'utf8')).toBe(readme)
    const html = readFileSync(join(copy, 'dist/snippet.html'), 'utf8')
    const sri =
      'sha384-' +
      createHash('sha384')
        .update(readFileSync(join(copy, 'dist/lumina.min.js')))
        .digest('base64')
    expect(html.split(JSON.stringify(url)).length - 1).toBe(1)
    expect(html).toContain(JSON.stringify(sri))
    expect(html).not.toContain('cdn.jsdelivr.net')
  }, 120_000)
})
