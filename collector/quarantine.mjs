// The quarantine: lines the ingest rejected, kept with the reason so nothing is silently
// discarded (a schema bug on either side can be found and the lines replayed). One record per
// request, the reasons listed once: a 1 MB body of `{}` lines costs ~5x its size here,
// not 20x. Stored in <dir>/quarantine as segments, fsynced with the request like the events.
import { join } from 'node:path'
import { openSegmentLog } from './segments.mjs'

/**
 * @param {{ dir: string, segmentBytes?: number, now?: () => number }} options
 */
export const openQuarantine = ({ dir, segmentBytes, now = Date.now }) => {
  const log = openSegmentLog({ dir: join(dir, 'quarantine'), segmentBytes, now })
  return {
    log,
    /**
     * Keeps the rejected lines of one request.
     * @param {string} project
     * @param {{ line: number, error: string, text: string }[]} rejected
     */
    keep(project, rejected) {
      const reasons = []
      const byReason = new Map()
      const lines = rejected.map((r) => {
        let at = byReason.get(r.error)
        if (at == null) {
          at = reasons.length
          byReason.set(r.error, at)
          reasons.push(r.error)
        }
        return [r.line, at, r.text]
      })
      const record = { project, received_at: new Date(now()).toISOString(), reasons, lines }
      return log.append(Buffer.from(JSON.stringify(record) + '\n'))
    },
    /**
     * The rejected lines of a project, oldest first: `{ received_at, line, reason, text }`.
     * @param {{ project: string, limit?: number }} q
     * @returns {AsyncGenerator<{ received_at: string, line: number, reason: string, text: string }>}
     */
    async *scan({ project, limit = Infinity }) {
      const needle = Buffer.from(`{"project":${JSON.stringify(project)},`)
      let n = 0
      for (const seg of log.list()) {
        for await (const { buf, spans } of log.chunks(seg)) {
          for (const [start, end] of spans) {
            if (buf.compare(needle, 0, needle.length, start, Math.min(end, start + needle.length)) != 0) {
              continue
            }
            let record
            try {
              record = JSON.parse(buf.toString('utf8', start, end))
            } catch {
              continue
            }
            for (const [line, at, text] of record.lines) {
              if (n++ >= limit) {
                return
              }
              yield { received_at: record.received_at, line, reason: record.reasons[at], text }
            }
          }
        }
      }
    },
    close: () => log.close(),
  }
}
