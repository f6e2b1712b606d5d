// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
// @ts-expect-error plain ESM module without types
import { createKeyring, demoKeys, keysFromEnv, parseKeysEnv } from '../../collector/keys.mjs'

describe('keys', () => {
  it('LUMINA_KEYS: project:writeKey:readKey entries', () => {
    expect(parseKeysEnv(' shop:wk_shop:rk_shop , blog:wk_blog:rk_blog')).toEqual([
      { project: 'shop', writeKey: 'wk_shop', readKey: 'rk_shop' },
      { project: 'blog', writeKey: 'wk_blog', readKey: 'rk_blog' },
    ])
  })

  it('LUMINA_KEYS_FILE wins over LUMINA_KEYS; LUMINA_WRITE_KEYS alone is refused with a message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lumina-keys-'))
    const file = join(dir, 'keys.json')
    writeFileSync(file, JSON.stringify([{ project: 'a', writeKeys: ['wk_a1', 'wk_a2'], readKey: 'rk_a' }]))
    expect(keysFromEnv({ LUMINA_KEYS_FILE: file, LUMINA_KEYS: 'b:wk_b:rk_b' })).toEqual([
      { project: 'a', writeKeys: ['wk_a1', 'wk_a2'], readKey: 'rk_a' },
    ])
    expect(keysFromEnv({})).toBeNull()
    expect(() => keysFromEnv({ LUMINA_WRITE_KEYS: 'demo' })).toThrow(/LUMINA_KEYS/)
    rmSync(dir, { recursive: true, force: true })
  })

  it('a keyring maps each key to its project, write and read apart', () => {
    const ring = createKeyring([
      { project: 'a', writeKeys: ['wk_a1', 'wk_a2'], readKey: 'rk_a' },
      { project: 'b', writeKey: 'wk_b', readKey: 'rk_b' },
    ])
    expect(ring.projectForWriteKey('wk_a2')).toBe('a')
    expect(ring.projectForWriteKey('rk_a')).toBeNull()
    expect(ring.projectForReadKey('rk_b')).toBe('b')
    expect(ring.projectForReadKey('wk_b')).toBeNull()
    expect(ring.projectForReadKey(undefined)).toBeNull()
  })

  it('a config that cannot work fails at start: a key used twice, a read key that is a write key, no write key, a bad project name', () => {
    expect(() => createKeyring([{ project: 'a', writeKey: 'k_same', readKey: 'k_same' }])).toThrow(/twice|equal/)
    expect(() =>
      createKeyring([
        { project: 'a', writeKey: 'wk_1', readKey: 'rk_1' },
        { project: 'b', writeKey: 'wk_1', readKey: 'rk_2' },
      ]),
    ).toThrow(/twice/)
    expect(() => createKeyring([{ project: 'a', readKey: 'rk_1' }])).toThrow(/no write key/)
    expect(() => createKeyring([{ project: 'a b', writeKey: 'wk_1' }])).toThrow(/project name/)
    expect(() => createKeyring([])).toThrow()
  })

  it('the demo keys: wk_demo and a random read key, made once and kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lumina-demokeys-'))
    const file = join(dir, 'demo-keys.json')
    const [first] = demoKeys(file)
    expect(first).toMatchObject({ project: 'demo', writeKey: 'wk_demo', readKey: expect.stringMatching(/^rk_demo_[0-9a-f]{24}$/) })
    expect(demoKeys(file)[0].readKey).toBe(first.readKey)
    expect(JSON.parse(readFileSync(file, 'utf8'))[0].readKey).toBe(first.readKey)
    rmSync(dir, { recursive: true, force: true })
  })

  it('npm start prints the demo URL with the read key, and both keys', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lumina-start-'))
    const server = fileURLToPath(new URL('../../demo/server.mjs', import.meta.url))
    const child = spawn(process.execPath, [server], {
      env: { ...process.env, PORT: '0', LUMINA_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    for (let i = 0; i < 200 && !/Ctrl\+C/.test(out); i++) {
      await new Promise((r) => setTimeout(r, 50))
    }
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    const { readKey } = JSON.parse(readFileSync(join(dataDir, 'demo-keys.json'), 'utf8'))[0]
    rmSync(dataDir, { recursive: true, force: true })
    expect(out).toMatch(new RegExp(`http://127\\.0\\.0\\.1:\\d+/demo\\.html\\?read_key=${readKey}`))
    expect(out).toContain('write key wk_demo')
    expect(out).toContain(`read key ${readKey}`)
  }, 30_000)
})
