/**
 * The project's own collector on 127.0.0.1 (a free port, a temp data dir, a project of its
 * own), as the server-side tests use it: started through its public start function, read back
 * from its store. The one place that knows the collector's shape.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error plain ESM module without types
import { startDemo } from '../../demo/server.mjs'

const PROJECT = 'server_test'
export const WRITE_KEY = 'wk_server_test'

export interface Ingest {
  endpoint: string
  writeKey: string
  /** Every event the collector accepted and stored, in arrival order (duplicates dropped by it). */
  events(): Promise<Record<string, any>[]>
  close(): Promise<void>
}

export const startIngest = async (): Promise<Ingest> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-server-'))
  const demo = await startDemo({ port: 0, dataDir, keys: [{ project: PROJECT, writeKey: WRITE_KEY, readKey: 'rk_server_test' }], quiet: true })
  return {
    endpoint: `http://127.0.0.1:${demo.port}`,
    writeKey: WRITE_KEY,
    async events() {
      const events: Record<string, any>[] = []
      for await (const e of demo.collector.store.scan({ project: PROJECT })) {
        events.push(e)
      }
      return events
    },
    async close() {
      await demo.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
