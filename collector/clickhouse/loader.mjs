// Ships the local segments to ClickHouse in large JSONEachRow batches. The checkpoint (the
// store position up to which every line is loaded) is persisted after each insert, so a
// restart resumes there. At-least-once: a batch whose insert failed half-way (ClickHouse
// killed) or whose checkpoint was not yet saved (collector killed) is sent again, and the
// ReplacingMergeTree (one row per event: same id, name and ts) collapses the repeats. While
// ClickHouse is down the collector keeps accepting into the local store; the loader retries
// with backoff and catches up when it returns. Each collector has its own store and checkpoint, so N
// collectors load into one ClickHouse without coordinating.
import { ClickHouseLogLevel, createClient } from '@clickhouse/client'
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rowOf } from './row.mjs'

export const BATCH_ROWS = 20_000
export const BATCH_BYTES = 16 << 20
const DDL = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'schema.sql'), 'utf8') // a path: jsdom's URL is not fs's

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
    if (Number.isInteger(cp.seq) && Number.isInteger(cp.offset)) {
      return cp
    }
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
export const startClickHouseLoader = ({
  store,
  dataDir,
  url,
  database = 'lumina',
  username,
  password,
  batchRows = BATCH_ROWS,
  intervalMs = 1000,
  log = () => {},
}) => {
  // the client's own logger is off: the loader reports failures itself, once per run of them
  const client = createClient({
    url,
    username,
    password,
    request_timeout: 60_000,
    compression: { request: false, response: false },
    log: { level: ClickHouseLogLevel.OFF },
  })
  const table = `${database}.events`
  const file = join(dataDir, 'clickhouse-checkpoint.json')
  let checkpoint = readCheckpoint(file)
  let stopped = false
  let ddlApplied = false
  let wake = null
  const stats = { rows: 0, batches: 0, failures: 0, failing: false, lastError: '', insertMs: 0 }
  const idle = new Set()

  const applyDdl = async () => {
    for (const query of ddlStatements(database)) {
      await client.command({ query })
    }
    ddlApplied = true
  }

  /** Up to batchRows lines after `at`, from fsynced bytes only. */
  const readBatch = async (at) => {
    const rows = []
    let bytes = 0
    let next = at
    for (const seg of store.log.list()) {
      if (seg.seq < at.seq) {
        continue
      }
      const from = seg.seq == at.seq ? at.offset : 0
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
          if (rows.length >= batchRows || bytes >= BATCH_BYTES) {
            return { rows, next }
          }
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
    /** the next batch, read (and parsed) while the current one is being inserted */
    let ahead = null
    while (!stopped) {
      try {
        if (!ddlApplied) {
          await applyDdl()
        }
        const { rows, next } = ahead ? await ahead : await readBatch(checkpoint)
        ahead = null
        if (rows.length) {
          ahead = readBatch(next)
          ahead.catch(() => {}) // awaited next round, or dropped after a failure
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
        stats.failing = false
        if (!rows.length) {
          for (const fn of idle) {
            fn()
          }
          await sleep(intervalMs)
        }
      } catch (e) {
        ahead = null // read again from the checkpoint
        stats.failures++
        stats.failing = true
        stats.lastError = String(e && e.message ? e.message : e).slice(0, 300)
        if (stats.failures == 1 || stats.failures % 20 == 0) {
          log(`clickhouse: ${stats.lastError} (retrying, the local store keeps everything)`)
        }
        await sleep(backoff)
        backoff = Math.min(backoff * 2, 30_000)
      }
    }
  }
  const unsubscribe = store.log.onCommit(() => {
    if (wake) {
      wake()
    }
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
        if (wake) {
          wake()
        }
      })
    },
    async stop() {
      stopped = true
      unsubscribe()
      if (wake) {
        wake()
      }
      await running
      await client.close()
    },
  }
}
