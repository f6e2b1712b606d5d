/**
 * The project's own collector on 127.0.0.1 (a free port, a temp data dir), as the server-side
 * tests use it: started through its public start function, read back from what it stored.
 * The one place that knows the collector's shape.
 */
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error plain ESM module without types
import { startDemo } from '../../demo/server.mjs'

export const WRITE_KEY = 'wk_server_test'

export interface Ingest {
  endpoint: string
  writeKey: string
  /** Every event the collector accepted and stored, in arrival order (duplicates dropped by it). */
  events(): Record<string, any>[]
  close(): Promise<void>
}

export const startIngest = async (): Promise<Ingest> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-server-'))
  const demo = await startDemo({ port: 0, dataDir, writeKeys: [WRITE_KEY], quiet: true })
  return {
    endpoint: `http://127.0.0.1:${demo.port}`,
    writeKey: WRITE_KEY,
    events() {
      const file = demo.collector.file
      if (!existsSync(file)) return []
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    },
    async close() {
      await demo.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
