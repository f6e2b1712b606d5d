import type { KV } from './lib/storage'
import { utf8Bytes } from './lib/json-safe'
import { debug } from './lib/log'

/** localStorage key of the persisted queue: NDJSON, one unconfirmed event a line. */
export const OUTBOX_KEY = 'lumina_outbox'
const DROPPED_KEY = 'lumina_dropped'

/** An entry is waiting, in a normal POST, in a keepalive request, or handed to sendBeacon (unconfirmable). */
export const WAITING = 0
export const SENDING = 1
export const KEEPALIVE = 2
export const BEACONED = 3

export interface Entry {
  id: string
  line: string
  bytes: number
  ts: number
  state: number
}

export interface OutboxLimits {
  maxEvents: number
  maxBytes: number
  maxAgeMs: number
}

// Segment's localStorage queue grew to ~5 MB and broke sites (analytics-next #1200): bound ours.
export const DEFAULT_LIMITS: OutboxLimits = { maxEvents: 1000, maxBytes: 1 << 20, maxAgeMs: 7 * 864e5 }

/** Our lines start with `{"id":"<36-char uuid>"`: the id without parsing. */
const idOf = (line: string) => line.slice(7, 43)

/**
 * The queue of unconfirmed events, in order, mirrored to localStorage on demand. Nothing
 * leaves it until a response confirms it; what is dropped for the bounds is counted.
 */
export const createOutbox = (kv: KV, now: () => number, limits: OutboxLimits = DEFAULT_LIMITS) => {
  /** Unconfirmed events, oldest first. */
  let entries: Entry[] = []
  /** UTF-8 bytes of all entries. */
  let totalBytes = 0
  /** Events dropped for the bounds and not yet reported. */
  let dropped = +(kv.get(DROPPED_KEY) || 0) || 0
  /** Ids this page saw confirmed: a merge must not bring them back from storage. */
  let confirmed = new Set<string>()
  /** Whether storage may hold lines: confirmations must then be written through. */
  let stored = false

  const entryOf = (line: string, ts: number): Entry => ({ id: idOf(line), line, bytes: utf8Bytes(line) + 1, ts, state: WAITING })

  /** Lines in storage, each parsed once to check it and read its timestamp. */
  const readStored = (): Entry[] => {
    const out: Entry[] = []
    for (const line of (kv.get(OUTBOX_KEY) || '').split('\n')) {
      try {
        const event = JSON.parse(line)
        const ts = Date.parse(event.ts)
        if (typeof event.id == 'string' && line.startsWith('{"id":"') && ts) out.push(entryOf(line, ts))
      } catch {} // a corrupt line (hand-edited, cut by quota) is skipped, never fatal
    }
    return out
  }

  const dropOldest = () => {
    const e = entries.shift()!
    totalBytes -= e.bytes
    dropped++
  }

  const enforce = () => {
    while (entries.length && entries[0].ts < now() - limits.maxAgeMs) dropOldest()
    while (entries.length > limits.maxEvents || totalBytes > limits.maxBytes) dropOldest()
  }

  const push = (e: Entry) => {
    entries.push(e)
    totalBytes += e.bytes
  }

  const outbox = {
    get entries() {
      return entries
    },
    get bytes() {
      return totalBytes
    },
    /** Takes over what earlier pages (or other tabs) left unconfirmed. */
    load() {
      const known = new Set(entries.map((e) => e.id))
      for (const e of readStored()) if (!known.has(e.id)) push(e)
      entries.sort((a, b) => a.ts - b.ts)
      stored = entries.length > 0
      enforce()
    },
    add(line: string, ts: number) {
      push(entryOf(line, ts))
      enforce()
    },
    /** Removes entries a response confirmed (or that must never be sent again). */
    remove(done: Entry[]) {
      const ids = new Set(done.map((e) => e.id))
      if (confirmed.size > 5000) confirmed = new Set()
      ids.forEach((id) => confirmed.add(id))
      entries = entries.filter((e) => !ids.has(e.id) || ((totalBytes -= e.bytes), false))
      if (stored) outbox.persist()
    },
    /** Hands back entries whose send failed, unless another path took them meanwhile. */
    release(batch: Entry[], from: number) {
      for (const e of batch) if (e.state == from) e.state = WAITING
    },
    /** Takes and reports the count of dropped events (reset once it is queued as an event). */
    takeDropped() {
      const n = dropped
      dropped = 0
      kv.remove(DROPPED_KEY)
      return n
    },
    /** Puts an event at the head (the `dropped` report goes first). */
    unshift(line: string) {
      const e = entryOf(line, now())
      entries.unshift(e)
      totalBytes += e.bytes
    },
    /**
     * Writes every unconfirmed entry to localStorage, keeping lines other tabs wrote that
     * this page has not seen confirmed. Synchronous: it runs on the page-hide path.
     */
    persist() {
      const ours = new Set(entries.map((e) => e.id))
      // Lines of other tabs are kept as they are: only their ids are read (no parse on the hide path).
      const foreign = (kv.get(OUTBOX_KEY) || '').split('\n').filter((l) => l.startsWith('{"id":"') && !ours.has(idOf(l)) && !confirmed.has(idOf(l)))
      let lines = foreign.concat(entries.map((e) => e.line))
      if (dropped) kv.set(DROPPED_KEY, String(dropped))
      if (!lines.length) {
        kv.remove(OUTBOX_KEY)
        stored = false
        return
      }
      stored = true
      // QuotaExceededError: keep the newest half, then give up (memory still holds them all).
      while (lines.length && !kv.set(OUTBOX_KEY, lines.join('\n'))) {
        debug('outbox: storage refused', lines.length, 'lines')
        lines = lines.length > 1 ? lines.slice(lines.length >> 1) : []
      }
    },
  }
  return outbox
}

export type Outbox = ReturnType<typeof createOutbox>
