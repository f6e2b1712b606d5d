// A store larger than 1 GiB restarts in bounded memory (the old collector read its file into
// one string and could not start past ~512 MiB: ERR_STRING_TOO_LONG). The store is generated
// here, in the stored line format, as 64 MiB segments of ~2 KB turns, and deleted after.
import { afterAll, describe, expect, it } from 'vitest'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { event, ndjson, turn } from './events'
import { startCollectorProcess, type CollectorProcess } from './processes'

const GIB = 1 << 30
const SEGMENT = 64 << 20
const dataDir = mkdtempSync(join(tmpdir(), 'lumina-big-'))
let proc: CollectorProcess | undefined
afterAll(async () => {
  await proc?.kill()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Writes ~1.1 GiB of stored turns; returns the first and last ids written. */
const generate = () => {
  mkdirSync(join(dataDir, 'events'), { recursive: true })
  // stored order: id, project, received_at first (the collector reads the id at offset 7)
  const { id: _id, ...fields } = turn({
    messages: [
      { role: 'user', content: 'q'.repeat(900) },
      { role: 'assistant', content: 'a'.repeat(900) },
    ],
  })
  void _id
  const template = JSON.stringify({ id: '00000000-0000-4000-8000-000000000000', project: 'demo', received_at: new Date().toISOString(), ...fields })
  const line = Buffer.from(template + '\n')
  const perSegment = Math.floor(SEGMENT / line.length)
  const segments = Math.ceil((1.1 * GIB) / (perSegment * line.length))
  const buf = Buffer.alloc(perSegment * line.length)
  for (let i = 0; i < perSegment; i++) {
    line.copy(buf, i * line.length)
  }
  let n = 0
  const idAt = (k: number) => `${k.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`
  const now = Date.now()
  for (let s = 1; s <= segments; s++) {
    for (let i = 0; i < perSegment; i++) {
      buf.write(idAt(n++), i * line.length + 7, 'latin1')
    }
    const fd = openSync(join(dataDir, 'events', `${String(s).padStart(10, '0')}-${now + s}.ndjson`), 'w')
    writeSync(fd, buf)
    closeSync(fd)
  }
  return { bytes: segments * buf.length, lines: n, first: idAt(0), last: idAt(n - 1) }
}

describe('a store larger than 1 GiB', () => {
  it('24: restarts in bounded memory, streaming (no whole-file read past 512 MiB); dedupe still knows its ids', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'lumina-empty-'))
    const empty = await startCollectorProcess(emptyDir)
    const baseline = empty.peakRss()
    await empty.kill()
    rmSync(emptyDir, { recursive: true, force: true })
    const store = generate()
    expect(store.bytes).toBeGreaterThan(GIB)
    const t0 = Date.now()
    proc = await startCollectorProcess(dataDir)
    const startMs = Date.now() - t0
    const peak = proc.peakRss()
    console.log(
      `[big store] ${(store.bytes / GIB).toFixed(2)} GiB, ${store.lines} lines: ready in ${startMs} ms, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (empty store: ${(baseline / 2 ** 20).toFixed(0)} MiB)`,
    )
    expect(proc.output()).toMatch(new RegExp(`${store.lines} ids in the dedupe window`))
    // the index for ~570k ids is ~8 MiB; the process stays far below the store size
    expect(peak - baseline).toBeLessThan(128 << 20)
    const post = (body: string) => fetch(`${proc!.url}/collect/sdk/events`, { method: 'POST', headers: { 'X-Api-Key': 'wk_demo' }, body })
    const dupFirst = JSON.parse(ndjson(event()).replace(/"id":"[^"]+"/, `"id":"${store.first}"`))
    const dupLast = JSON.parse(ndjson(event()).replace(/"id":"[^"]+"/, `"id":"${store.last}"`))
    const fresh = event()
    const res = await (await post(ndjson(dupFirst, dupLast, fresh))).json()
    expect(res).toMatchObject({ accepted: 3, duplicates: 2 })
  })
})
