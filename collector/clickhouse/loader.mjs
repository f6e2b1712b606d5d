// Ships the local segments to ClickHouse in large JSONEachRow batches. The checkpoint (the
// store position up to which every line is loaded) is persisted after each insert, so a
// restart resumes there. At-least-once: a batch whose insert failed half-way (ClickHouse
// killed) or whose checkpoint was not yet saved (collector killed) is sent again, and the
// ReplacingMergeTree keyed by (project, id) collapses the repeats. While ClickHouse is down
// the collector keeps accepting into the local store; the loader retries with backoff and
// catches up when it returns. Each collector has its own store and checkpoint, so N
// collectors load into one ClickHouse without coordinating.
import { createClient } from '@clickhouse/client'
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rowOf } from './row.mjs'

export const BATCH_ROWS = 20_000
export const BATCH_BYTES = 16 << 20
const DDL = readFileSync(new URL('./schema.sql', import.meta.url), 'utf8')

/** The DDL statements for a database name (one statement per HTTP query). */
export const ddlStatements = (db) =>
  DDL.replace(/--.*$/gm, '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.replaceAll('{db}', db))

const readCheckpoint = (file) => {
  try {
    const cp = JSON.parse(readFileSync(file, 'utf8'))
    if (Number.isInteger(cp.seq) && Number.isInteger(cp.offset)) return cp
  } catch {} // none yet
  return { seq: 0, offset: 0 }
}
const writeCheckpoint = (file, cp) => {
  const tmp = file + '.tmp'
  writeFileSync(tmp, JSON.stringify(cp))
  const fd = openSync(tmp, 'r')
  fsyncSync(fd)
  closeSync(fd)
  renameSync(tmp, file)
}

/**
 * @param {{ store: ReturnType<typeof import('../store.mjs').openStore>, dataDir: string, url: string, database?: string,
 *   username?: string, password?: string, batchRows?: number, intervalMs?: number, log?: (msg: string) => void }} options
 */
export const startClickHouseLoader = ({ store, dataDir, url, database = 'lumina', username, password, batchRows = BATCH_ROWS, intervalMs = 1000, log = () => {} }) => {
  const client = createClient({ url, username, password, request_timeout: 60_000, compression: { request: false, response: false } })
  const table = `${database}.events`
  const file = join(dataDir, 'clickhouse-checkpoint.json')
  let checkpoint = readCheckpoint(file)
  let stopped = false
  let ddlApplied = false
  let wake = null
  const stats = { rows: 0, batches: 0, failures: 0, lastError: '', insertMs: 0 }
  const idle = new Set()

  const applyDdl = async () => {
    for (const query of ddlStatements(database)) await client.command({ query })
    ddlApplied = true
  }

  /** Up to batchRows lines after the checkpoint, from fsynced bytes only. */
  const readBatch = async () => {
    const rows = []
    let bytes = 0
    let next = checkpoint
    for (const seg of store.log.list()) {
      if (seg.seq < checkpoint.seq) continue
      const from = seg.seq == checkpoint.seq ? checkpoint.offset : 0
      if (from >= seg.size) {
        next = { seq: seg.seq, offset: seg.size }
        continue
      }
      for await (const { buf, spans } of store.log.chunks(seg, { from })) {
        for (const [start, end, offset] of spans) {
          const raw = buf.toString('utf8', start, end)
          try {
            rows.push(rowOf(JSON.parse(raw), raw))
          } catch {} // a line that is not JSON cannot be ours; skipped
          bytes += end - start
          next = { seq: seg.seq, offset: offset + (end - start) + 1 }
          if (rows.length >= batchRows || bytes >= BATCH_BYTES) return { rows, next }
        }
      }
      next = { seq: seg.seq, offset: seg.size }
    }
    return { rows, next }
  }

  const sleep = (ms) =>
    new Promise((resolve) => {
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        wake = null
        resolve()
      }
      wake = done
    })

  const loop = async () => {
    let backoff = 500
    while (!stopped) {
      try {
        if (!ddlApplied) await applyDdl()
        const { rows, next } = await readBatch()
        if (rows.length) {
          const t0 = performance.now()
          await client.insert({ table, values: rows, format: 'JSONEachRow' })
          stats.insertMs += performance.now() - t0
          stats.rows += rows.length
          stats.batches++
        }
        if (next.seq != checkpoint.seq || next.offset != checkpoint.offset) {
          checkpoint = next
          writeCheckpoint(file, checkpoint)
        }
        backoff = 500
        if (!rows.length) {
          for (const fn of idle) fn()
          await sleep(intervalMs)
        }
      } catch (e) {
        stats.failures++
        stats.lastError = String(e && e.message ? e.message : e).slice(0, 300)
        if (stats.failures == 1 || stats.failures % 20 == 0) log(`clickhouse: ${stats.lastError} (retrying, the local store keeps everything)`)
        await sleep(backoff)
        backoff = Math.min(backoff * 2, 30_000)
      }
    }
  }
  const unsubscribe = store.log.onCommit(() => {
    if (wake) wake()
  })
  const running = store.ready.then(loop)

  return {
    client,
    table,
    stats,
    checkpoint: () => ({ ...checkpoint }),
    /** Resolves when everything fsynced so far is loaded (the loader found nothing new). */
    caughtUp() {
      return new Promise((resolve) => {
        const fn = () => {
          idle.delete(fn)
          resolve()
        }
        idle.add(fn)
        if (wake) wake()
      })
    },
    async stop() {
      stopped = true
      unsubscribe()
      if (wake) wake()
      await running
      await client.close()
    },
  }
}
