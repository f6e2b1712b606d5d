// 2xx means on disk: a collector SIGKILLed at any moment under load has, after restart, every
// line it acknowledged, none twice, and a resend of everything stores nothing twice.
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { event, ndjson } from './events'
import { exportedIds, startCollectorProcess, type CollectorProcess } from './processes'

const dirs: string[] = []
const procs: CollectorProcess[] = []
afterEach(async () => {
  for (const p of procs.splice(0)) {
    await p.kill().catch(() => {})
  }
  for (const d of dirs.splice(0)) {
    rmSync(d, { recursive: true, force: true })
  }
})

describe('durable acknowledgement', () => {
  for (const killAfterAcks of [1, 40, 200]) {
    it(`SIGKILL under load (after ${killAfterAcks} acknowledged requests): every acknowledged line is there after restart, none twice; resending stores nothing twice`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'lumina-kill-'))
      dirs.push(dataDir)
      let proc = await startCollectorProcess(dataDir, { LUMINA_QUIET: '1' })
      procs.push(proc)
      const acked = new Set<string>()
      const attempted: object[][] = []
      let stop = false
      let ackedRequests = 0
      const worker = async () => {
        while (!stop) {
          const batch = Array.from({ length: 25 }, () => event({ pad: 'p'.repeat(300) }))
          attempted.push(batch)
          try {
            const res = await fetch(`${proc.url}/collect/sdk/events`, { method: 'POST', headers: { 'X-Api-Key': 'wk_demo' }, body: ndjson(...batch) })
            if (res.status == 200) {
              for (const e of batch as { id: string }[]) {
                acked.add(e.id)
              }
              ackedRequests++
            }
            await res.text()
          } catch {
            return // the process is gone
          }
        }
      }
      const workers = Array.from({ length: 8 }, worker)
      // bounded wait for the load to reach the chosen point, then a kill mid-stream
      for (let i = 0; i < 600 && ackedRequests < killAfterAcks; i++) {
        await new Promise((r) => setTimeout(r, 10))
      }
      await proc.kill()
      stop = true
      await Promise.all(workers)
      expect(acked.size).toBeGreaterThan(0)

      proc = await startCollectorProcess(dataDir, { LUMINA_QUIET: '1' })
      procs.push(proc)
      const after = await exportedIds(proc.url)
      expect(new Set(after).size).toBe(after.length) // none twice
      expect([...acked].filter((id) => !after.includes(id))).toEqual([]) // none lost

      // the SDK resends whatever it did not see confirmed (here: everything)
      for (const batch of attempted) {
        const res = await fetch(`${proc.url}/collect/sdk/events`, { method: 'POST', headers: { 'X-Api-Key': 'wk_demo' }, body: ndjson(...batch) })
        expect(res.status).toBe(200)
      }
      const final = await exportedIds(proc.url)
      expect(final.length).toBe(attempted.flat().length)
      expect(new Set(final).size).toBe(final.length)
    })
  }
})
