// The embedded store: accepted events as NDJSON segments under <dir>/events, one JSON object
// per line, written `{"id":…,"project":…,"received_at":…,<the SDK's fields>,cost_usd,cost_source}`.
// Start-up streams the segments of the dedupe window to rebuild the index (bounded memory
// whatever the store's size); every read streams too. Rejected lines live beside it in
// <dir>/quarantine (see quarantine.mjs).
import { join } from 'node:path'
import { createDedupeIndex } from './dedupe.mjs'
import { lineOf } from './ingest.mjs'
import { openSegmentLog } from './segments.mjs'

const ID_PREFIX = Buffer.from('{"id":"')
const CLOCK_SKEW_MS = 86_400_000

/**
 * @param {{ dir: string, segmentBytes?: number, maxIds?: number, log?: (msg: string) => void, now?: () => number }} options
 */
export const openStore = ({ dir, segmentBytes, maxIds, log = () => {}, now = Date.now }) => {
  const events = openSegmentLog({ dir: join(dir, 'events'), segmentBytes, now })
  const index = createDedupeIndex({ maxIds, log })
  /** ids appended but not yet fsynced: a duplicate of one of them is a duplicate too */
  const inFlight = new Set()
  const startedAt = Date.now()
  let indexedLines = 0

  /** Rebuilds the dedupe index from the segments of the window, streaming. */
  const rebuild = async () => {
    const segs = events.list()
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]
      const lastMs = i + 1 < segs.length ? segs[i + 1].firstMs : now()
      if (!index.covers(lastMs)) {
        continue
      }
      for await (const { buf, spans } of events.chunks(seg)) {
        for (const [start, end] of spans) {
          let id = null
          if (end - start > 44 && buf.compare(ID_PREFIX, 0, 7, start, start + 7) == 0 && buf[start + 43] == 34) {
            id = buf.toString('latin1', start + 7, start + 43)
          } else {
            try {
              id = JSON.parse(buf.toString('utf8', start, end)).id
            } catch {} // not ours: skipped, never fatal
          }
          if (typeof id == 'string') {
            index.add(id, seg.firstMs)
            indexedLines++
          }
        }
      }
    }
    log(`store ready: ${segs.length} segment(s), ${indexedLines} ids in the dedupe window, ${Date.now() - startedAt} ms`)
  }
  const ready = rebuild()

  /** A stored event's line: `id`, `project`, `received_at` first (start-up reads the id at a fixed offset). */
  const line = (e) => lineOf(e) + '\n'

  const store = {
    dir,
    ready,
    log: events,
    index,
    /**
     * Appends accepted events (already carrying `id`, `project`, `received_at`), dropping those
     * whose id is in the dedupe window. Resolves once they are fsynced.
     * @param {Record<string, any>[]} list
     * @returns {Promise<{ stored: { event: Record<string, any>, position: string }[], duplicates: number }>}
     */
    async append(list) {
      await ready
      const fresh = []
      let duplicates = 0
      for (const e of list) {
        if (inFlight.has(e.id) || index.has(e.id)) {
          duplicates++
        } else {
          inFlight.add(e.id)
          fresh.push(e)
        }
      }
      if (!fresh.length) {
        return { stored: [], duplicates }
      }
      const lines = fresh.map(line)
      try {
        const at = await events.append(Buffer.from(lines.join('')))
        const receivedMs = now()
        const stored = []
        let offset = at.offset
        for (let i = 0; i < fresh.length; i++) {
          index.add(fresh[i].id, receivedMs)
          stored.push({ event: fresh[i], position: `${at.seq}-${offset}` })
          offset += Buffer.byteLength(lines[i])
        }
        return { stored, duplicates }
      } finally {
        for (const e of fresh) {
          inFlight.delete(e.id)
        }
      }
    },
    /**
     * Every stored event of a project, oldest first, parsed. Bounded memory.
     * `sinceMs`/`untilMs` bound the event's `ts`; segments received wholly more than a day before `sinceMs` are skipped.
     * @param {{ project: string, sinceMs?: number, untilMs?: number }} q
     * @returns {AsyncIterable<Record<string, any>>}
     */
    async *scan({ project, sinceMs = -Infinity, untilMs = Infinity }) {
      const needle = Buffer.from(`"project":${JSON.stringify(project)},`)
      const segs = events.list()
      for (let i = 0; i < segs.length; i++) {
        // a segment's lines were all received before the next one began; their `ts` can run
        // ahead of our clock (a client's clock is not ours), so keep a day's margin
        if (i + 1 < segs.length && segs[i + 1].firstMs + CLOCK_SKEW_MS < sinceMs) {
          continue
        }
        for await (const { buf, spans } of events.chunks(segs[i])) {
          for (const [start, end] of spans) {
            // cheap project test on the line's head before parsing it
            const head = buf.indexOf(needle, start)
            if (head < 0 || head > start + 120 || head >= end) {
              continue
            }
            let e
            try {
              e = JSON.parse(buf.toString('utf8', start, end))
            } catch {
              continue
            }
            if (e.project !== project) {
              continue
            }
            if (sinceMs > -Infinity || untilMs < Infinity) {
              const t = Date.parse(e.ts)
              if (!(t >= sinceMs && t < untilMs)) {
                continue
              }
            }
            yield e
          }
        }
      }
    },
    close: () => events.close(),
  }
  return store
}
