// An append-only log of NDJSON segment files, the unit the store and the quarantine are made
// of. Appends are grouped: every append that arrives while a write+fsync is under way joins the
// next one, so under load one fdatasync acknowledges many requests (group commit), and an
// append resolves only once its bytes are on disk. A segment is closed when it passes
// `segmentBytes` or when the UTC day changes (so each segment lies within one day, which the
// dedupe window and time-bounded scans use). Every read streams with bounded memory.
import { closeSync, createReadStream, fsyncSync, mkdirSync, openSync, readdirSync, statSync, ftruncateSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'

export const SEGMENT_BYTES = 64 << 20
const DAY_MS = 86_400_000
const NAME = /^(\d{10})-(\d+)\.ndjson$/

/**
 * @typedef {{ seq: number, firstMs: number, path: string, size: number }} Segment
 * @typedef {{ seq: number, offset: number }} Position  a byte offset in a segment
 */

/** Segment files of a directory, oldest first. */
const listDir = (dir) =>
  readdirSync(dir)
    .map((name) => NAME.exec(name))
    .filter(Boolean)
    .map((m) => ({ seq: +m[1], firstMs: +m[2], path: join(dir, m[0]), size: statSync(join(dir, m[0])).size }))
    .sort((a, b) => a.seq - b.seq)

const fsyncDir = (dir) => {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Cuts a torn last line (a crash mid-write) so the file ends at a line boundary. */
const repairTail = (segment) => {
  if (!segment.size) {
    return
  }
  const fd = openSync(segment.path, 'r+')
  try {
    const chunk = Buffer.alloc(Math.min(segment.size, 1 << 16))
    let end = segment.size
    for (;;) {
      const start = Math.max(0, end - chunk.length)
      readSync(fd, chunk, 0, end - start, start)
      const nl = chunk.subarray(0, end - start).lastIndexOf(10)
      if (nl >= 0) {
        end = start + nl + 1
        break
      }
      if (start == 0) {
        end = 0
        break
      }
      end = start
    }
    if (end != segment.size) {
      ftruncateSync(fd, end)
      fsyncSync(fd)
      segment.size = end
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * Opens (or creates) the log in `dir`.
 * @param {{ dir: string, segmentBytes?: number, now?: () => number }} options
 */
export const openSegmentLog = ({ dir, segmentBytes = SEGMENT_BYTES, now = Date.now }) => {
  mkdirSync(dir, { recursive: true })
  /** @type {Segment[]} */
  const segments = listDir(dir)
  if (segments.length) {
    repairTail(segments[segments.length - 1])
  }
  /** @type {import('node:fs/promises').FileHandle | null} */
  let handle = null
  /** @type {{ buf: Buffer, resolve: (p: Position) => void, reject: (e: Error) => void }[]} */
  let pending = []
  let writing = false
  let closed = false
  const waiters = new Set()
  const stats = { fsyncs: 0, appends: 0, bytes: 0 }

  const active = () => segments[segments.length - 1]
  const needsNew = (bytes) => {
    const seg = active()
    if (!seg) {
      return true
    }
    if (seg.size && seg.size + bytes > segmentBytes) {
      return true
    }
    return seg.size > 0 && Math.floor(seg.firstMs / DAY_MS) != Math.floor(now() / DAY_MS)
  }
  const rotate = async () => {
    if (handle) {
      await handle.close()
    }
    handle = null
    const seq = segments.length ? active().seq + 1 : 1
    const firstMs = now()
    const path = join(dir, `${String(seq).padStart(10, '0')}-${firstMs}.ndjson`)
    handle = await open(path, 'a')
    fsyncDir(dir) // the new file's name is durable before anything in it is acknowledged
    segments.push({ seq, firstMs, path, size: 0 })
  }
  const writeLoop = async () => {
    writing = true
    while (pending.length) {
      const batch = pending
      pending = []
      const buf = batch.length == 1 ? batch[0].buf : Buffer.concat(batch.map((b) => b.buf))
      try {
        if (needsNew(buf.length)) {
          await rotate()
        }
        if (!handle) {
          handle = await open(active().path, 'a')
        }
        const seg = active()
        const start = seg.size
        try {
          // a write may take fewer bytes than asked (the OS allows it): write the rest
          let written = 0
          while (written < buf.length) {
            written += (await handle.write(buf, written, buf.length - written)).bytesWritten
          }
          await handle.datasync()
        } catch (e) {
          await handle.truncate(start).catch(() => {}) // nothing half-written stays behind
          throw e
        }
        seg.size += buf.length
        stats.fsyncs++
        stats.appends += batch.length
        stats.bytes += buf.length
        let offset = start
        for (const b of batch) {
          b.resolve({ seq: seg.seq, offset })
          offset += b.buf.length
        }
      } catch (e) {
        for (const b of batch) {
          b.reject(/** @type {Error} */ (e))
        }
      }
      for (const w of waiters) {
        w()
      }
    }
    writing = false
  }

  return {
    dir,
    stats,
    /** Segments, oldest first; `size` is the durable size (what was fsynced). */
    list: () => segments.map((s) => ({ ...s })),
    /**
     * Appends whole lines; resolves with where they start once they are fsynced.
     * @param {Buffer} buf one or more lines, each ending in '\n'
     * @returns {Promise<Position>}
     */
    append(buf) {
      if (closed) {
        return Promise.reject(new Error('log closed'))
      }
      return new Promise((resolve, reject) => {
        pending.push({ buf, resolve, reject })
        if (!writing) {
          writeLoop()
        }
      })
    },
    /** Calls `fn` after each group commit (the loader and live readers wait on it). */
    onCommit(fn) {
      waiters.add(fn)
      return () => waiters.delete(fn)
    },
    /**
     * Streams the lines of one segment between byte offsets, one read chunk at a time: yields
     * `{ buf, spans }` where each span `[start, end, offset]` is a line's bytes buf[start..end)
     * (no '\n') and its offset in the file. Bounded memory: one chunk plus one line.
     * @param {Segment} seg
     * @param {{ from?: number, to?: number }} [range]
     * @returns {AsyncGenerator<{ buf: Buffer, spans: [number, number, number][] }>}
     */
    async *chunks(seg, { from = 0, to = seg.size } = {}) {
      if (to <= from) {
        return
      }
      const stream = createReadStream(seg.path, { start: from, end: to - 1, highWaterMark: 1 << 20 })
      let carry = null
      let carryOffset = from
      let fileOffset = from
      for await (const chunk of stream) {
        let buf = chunk
        let base = fileOffset
        if (carry) {
          buf = Buffer.concat([carry, chunk])
          base = carryOffset
        }
        fileOffset += chunk.length
        /** @type {[number, number, number][]} */
        const spans = []
        let start = 0
        for (;;) {
          const nl = buf.indexOf(10, start)
          if (nl < 0) {
            break
          }
          if (nl > start) {
            spans.push([start, nl, base + start])
          }
          start = nl + 1
        }
        carry = start < buf.length ? buf.subarray(start) : null
        carryOffset = base + start
        if (spans.length) {
          yield { buf, spans }
        }
      }
    },
    async close() {
      closed = true
      while (writing) {
        await new Promise((r) => setTimeout(r, 5))
      }
      if (handle) {
        await handle.close()
      }
      handle = null
    },
  }
}
