// A read-only store over a directory of NDJSON files with the ingest store's scan() signature
// (see collector/store.mjs): every event of a project, streamed line by line in file order.
// Used where no ingest store is running: tests and the bench's fixtures.
import { createReadStream, existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

/** @param {{ dir: string }} options */
export const openNdjsonStore = ({ dir }) => ({
  /** @param {{ project: string, sinceMs?: number, untilMs?: number }} query */
  async *scan({ project, sinceMs, untilMs }) {
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort() : []
    for (const file of files) {
      const lines = createInterface({ input: createReadStream(join(dir, file)), crlfDelay: Infinity })
      for await (const line of lines) {
        if (!line) continue
        let e
        try {
          e = JSON.parse(line)
        } catch {
          continue // a line cut by a crash mid-write
        }
        if (e.project != project) continue
        const ts = Date.parse(e.ts)
        if (sinceMs != null && ts < sinceMs) continue
        if (untilMs != null && ts > untilMs) continue
        yield e
      }
    }
  },
})
