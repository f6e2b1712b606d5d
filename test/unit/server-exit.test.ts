// @vitest-environment node
// How a Node process ends, with the built package (`luminasdk` resolved through package.json's
// exports, ESM and CJS) sending to the project's collector on 127.0.0.1: nothing is lost when
// a script exits right after `await turn.finish()`, after `await Lumina.shutdown()`, or on its
// own (beforeExit sends what waits for the timer); and no SDK timer keeps it alive (the flush
// interval is a minute, the test's timeout 30 s). A finished turn is on its way like a pending
// fetch: the process lives until it is confirmed (or 5 s at most).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { startIngest, type Ingest } from '../server/ingest'

const FIXTURES = join(__dirname, '../server/fixtures')

let ingest: Ingest
beforeAll(async () => {
  ingest = await startIngest()
})
afterAll(() => ingest.close())

/** Runs a fixture; resolves with the turn ids it printed and how long it ran. */
const run = (file: string, mode: string, count = 5, endpoint = ingest.endpoint) =>
  new Promise<{ ids: string[]; ms: number; code: number | null }>((resolve, reject) => {
    const started = Date.now()
    execFile(
      process.execPath,
      [join(FIXTURES, file), endpoint, ingest.writeKey, mode, String(count)],
      { timeout: 25_000 },
      (error, stdout, stderr) => {
        if (error && error.killed) {
          return reject(new Error(`${file} ${mode} did not exit: ${stderr}`))
        }
        const line = stdout.trim().split('\n').pop() || '[]'
        resolve({ ids: JSON.parse(line), ms: Date.now() - started, code: error ? (error.code as number) : 0 })
      },
    )
  })

/** The turn ids (or, with `name`, the ids rated by that kind of event) the collector stored. */
const arrived = async (ids: string[], name = 'turn') => {
  const stored = new Set((await ingest.events()).filter((e) => e.name == name).map((e) => e.turn_id))
  return ids.filter((id) => stored.has(id))
}

describe('a Node process that ends', () => {
  it('`await turn.finish()` then process.exit(): every turn arrived', async () => {
    const { ids, code } = await run('exit.mjs', 'finish-exit')
    expect(code).toBe(0)
    expect(ids).toHaveLength(5)
    expect(await arrived(ids)).toEqual(ids)
  }, 30_000)

  it('`await Lumina.shutdown()` then process.exit(): every turn arrived, none awaited', async () => {
    const { ids, code } = await run('exit.mjs', 'shutdown', 40)
    expect(code).toBe(0)
    expect(ids).toHaveLength(40)
    expect(await arrived(ids)).toEqual(ids)
  }, 30_000)

  it('exiting on its own (ESM): what is queued is sent at beforeExit, and no timer holds the process for the flush interval', async () => {
    const { ids, code, ms } = await run('exit.mjs', 'before-exit')
    expect(code).toBe(0)
    expect(await arrived(ids)).toEqual(ids)
    expect(await arrived(ids, 'feedback')).toEqual(ids)
    expect(ms).toBeLessThan(25_000) // a minute-long flush interval would have been killed
  }, 30_000)

  it('the ingest unreachable: the process still ends on its own (beforeExit tries, then gives up), and await finish() still resolves', async () => {
    const down = 'http://127.0.0.1:9' // nothing listens there
    for (const mode of ['before-exit', 'finish-exit']) {
      const { ids, code } = await run('exit.mjs', mode, 2, down)
      expect(code).toBe(0)
      expect(ids).toHaveLength(2)
    }
  }, 30_000)

  it('exiting on its own (CJS, require): the same', async () => {
    const { ids, code } = await run('exit.cjs', 'before-exit')
    expect(code).toBe(0)
    expect(ids).toHaveLength(5)
    expect(await arrived(ids)).toEqual(ids)
    expect(await arrived(ids, 'feedback')).toEqual(ids)
  }, 30_000)
})
