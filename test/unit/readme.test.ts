// @vitest-environment node
// The docs' code runs where it is shown: a page's <script> (and the CDN global's examples)
// parse as classic scripts, where top-level `await` is a SyntaxError that also stops the rest
// of that script; bundler examples parse as ES modules. And the docs stand on their own.
import { describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Script } from 'node:vm'
import { transformSync } from 'esbuild'

const ROOT = resolve(__dirname, '../..')
const docs = [
  'README.md',
  'ARCHITECTURE.md',
  ...(existsSync(join(ROOT, 'docs'))
    ? readdirSync(join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => 'docs/' + f)
    : []),
]
const blocks = (file: string) =>
  [...readFileSync(join(ROOT, file), 'utf8').matchAll(/```(\w+)\n([\s\S]*?)\n```/g)].map(([, lang, code]) => ({ lang, code }))

/** Parses `code` as a classic script (throws a SyntaxError as the browser would). */
const asScript = (code: string) => new Script(code)
const LOADERS = { js: 'jsx', jsx: 'jsx', ts: 'ts', tsx: 'tsx' } as const
const asModule = (code: string, lang: keyof typeof LOADERS) => transformSync(code, { loader: LOADERS[lang], format: 'esm' })

describe.each(docs)('%s', (file) => {
  it('every page <script> and every example of the CDN global parses as a classic script; bundler examples as modules', () => {
    let checked = 0
    for (const { lang, code } of blocks(file)) {
      if (lang == 'html') {
        for (const [, attrs, body] of code.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
          if (/type=["']?module/.test(attrs) || /\bsrc=/.test(attrs)) {
            continue
          }
          expect(() => asScript(body), `${file}: <script> block:\n${body}`).not.toThrow()
          checked++
        }
      }
      if (lang in LOADERS) {
        const pageScript = lang == 'js' && !/^\s*import\s/m.test(code) && /\blumina\./.test(code)
        expect(() => (pageScript ? asScript(code) : asModule(code, lang as keyof typeof LOADERS)), `${file}: ${lang} block:\n${code}`).not.toThrow()
        checked++
      }
    }
    if (file == 'README.md') {
      expect(checked).toBeGreaterThan(3)
    }
  })

  it('points at nothing outside the repository (no CONTRACT.md, no ../shared)', () => {
    expect(readFileSync(join(ROOT, file), 'utf8')).not.toMatch(/CONTRACT\.md|\.\.\/shared/)
  })
})

it('the JSON Schema and the sources point at nothing outside the repository', () => {
  const files = [
    'schema/event.schema.json',
    ...readdirSync(join(ROOT, 'src'), { recursive: true })
      .map((f) => 'src/' + f)
      .filter((f) => f.endsWith('.ts')),
  ]
  for (const f of files) {
    expect(readFileSync(join(ROOT, f), 'utf8'), f).not.toMatch(/CONTRACT\.md|\.\.\/shared/)
  }
})

it('docs/protocol.md names every field and event the JSON Schema defines (the schema is its source of truth)', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schema/event.schema.json'), 'utf8'))
  const doc = readFileSync(join(ROOT, 'docs/protocol.md'), 'utf8')
  const names = new Set<string>()
  const walk = (node: any) => {
    if (!node || typeof node != 'object') {
      return
    }
    if (node.properties && typeof node.properties == 'object') {
      for (const k of Object.keys(node.properties)) {
        names.add(k)
      }
    }
    if (node.properties?.name?.const) {
      names.add(node.properties.name.const)
    }
    for (const v of Object.values(node)) {
      walk(v)
    }
  }
  walk(schema)
  expect(names.size).toBeGreaterThan(30)
  const inCode = new Set([...doc.matchAll(/`([^`]+)`/g)].flatMap(([, span]) => span.match(/\w+/g) || []))
  expect([...names].filter((n) => !inCode.has(n))).toEqual([])
})
