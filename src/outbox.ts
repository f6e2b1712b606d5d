import type { KV } from './lib/storage'
import { utf8Bytes } from './lib/json-safe'

/** localStorage key of the persisted queue: NDJSON, one unconfirmed event a line. */
export const OUTBOX_KEY = 'lumina_outbox'
/**
 * How many events pages dropped for the bounds and did not report yet: a page hands its
 * count over here when it persists, and the next batch of any tab claims it (so a count
 * shared by two tabs is reported once).
 */
export const DROPPED_KEY = 'lumina_dropped'

// Segment's localStorage queue grew to ~5 MB and broke sites (analytics-next #1200): bound ours.
const MAX_EVENTS = 1000
const MAX_BYTES = 1 << 20
const MAX_AGE_MS = 7 * 864e5
/** Past this many, the set of confirmed ids starts again (it only guards merges from storage). */
const MAX_CONFIRMED = 5000

/** Where an entry is: waiting, in a normal POST, in a keepalive request, or handed to sendBeacon (unconfirmable). */
export const WAITING = 0
export const SENDING = 1
export const KEEPALIVE = 2
export const BEACONED = 3
export type EntryState = typeof WAITING | typeof SENDING | typeof KEEPALIVE | typeof BEACONED

export interface Entry {
  _id: string
  _line: string
  /** UTF-8 bytes with the newline. */
  _bytes: number
  _ts: number
  _state: EntryState
}

/** Our lines start with `{"id":"<36-char uuid>"`: the id without parsing. */
const idOf = (line: string) => line.slice(7, 43)
const isOurs = (line: string) => line.startsWith('{"id":"')
const entryOf = (line: string, ts: number): Entry => ({ _id: idOf(line), _line: line, _bytes: utf8Bytes(line) + 1, _ts: ts, _state: WAITING })

/** A stored drop count: a whole number written by `persist`; anything else (-5, 2.5, 1e400) is discarded. */
const storedCount = (kv: KV) => {
  const value = kv.get(DROPPED_KEY) || ''
  return /^\d{1,9}$/.test(value) ? +value : 0
}

/** A request body: one line per entry. */
export const bodyOf = (batch: Entry[]) => batch.map((e) => e._line).join('\n') + '\n'

/**
 * The outbox: the queue of unconfirmed events, in order, mirrored to localStorage (`persist`).
 * Nothing leaves it until a response confirms it (`confirm`); what the bounds drop is counted
 * and reported first in the next batch, as a line `droppedLine` builds. What earlier pages (or
 * other tabs) left unconfirmed is taken over when the outbox is first used (not at creation:
 * init reads no storage).
 */
export const createOutbox = (kv: KV, now: () => number, droppedLine: (count: number) => string) => {
  /** Unconfirmed events, oldest first. */
  let entries: Entry[] = []
  /** UTF-8 bytes of all entries. */
  let totalBytes = 0
  /** This page's drops not yet reported nor handed to storage. */
  let dropped = 0
  /** Ids this page saw confirmed: a merge must not bring them back from storage. */
  let confirmed = new Set<string>()
  /** Whether storage may hold lines: confirmations must then be written through. */
  let stored = false

  /** Queues an entry at the end, or at the head (the `dropped` report goes first). */
  const add = (e: Entry, head?: boolean) => {
    if (head) {
      entries.unshift(e)
    } else {
      entries.push(e)
    }
    totalBytes += e._bytes
  }

  const overBounds = () => entries.length > MAX_EVENTS || totalBytes > MAX_BYTES || entries[0]._ts < now() - MAX_AGE_MS

  /** Drops the oldest beyond the bounds, counting them. */
  const enforce = () => {
    while (entries[0] && overBounds()) {
      totalBytes -= entries.shift()!._bytes
      dropped++
    }
  }

  /**
   * Writes every unconfirmed entry to localStorage, keeping lines other tabs wrote that this
   * page has not seen confirmed (only their ids are read: no parse on the hide path). Synchronous.
   */
  const persist = () => {
    const ours = new Set(entries.map((e) => e._id))
    const others = (kv.get(OUTBOX_KEY) || '').split('\n').filter((l) => isOurs(l) && !ours.has(idOf(l)) && !confirmed.has(idOf(l)))
    let lines = others.concat(entries.map((e) => e._line))
    if (dropped) {
      // handed over even if storage refuses: the store's memory fallback keeps it for this page
      kv.set(DROPPED_KEY, '' + (storedCount(kv) + dropped))
      dropped = 0
    }
    stored = lines.length > 0
    if (!stored) {
      kv.remove(OUTBOX_KEY)
    }
    // QuotaExceededError: keep the newest half, and again (memory still holds them all).
    while (lines.length && !kv.set(OUTBOX_KEY, lines.join('\n'))) {
      lines = lines.slice(lines.length >> 1 || 1)
    }
  }

  /** Removes entries a response confirmed (or that must never be sent again). */
  const confirm = (done: Entry[]) => {
    if (confirmed.size > MAX_CONFIRMED) {
      confirmed = new Set()
    }
    for (const e of done) {
      confirmed.add(e._id)
    }
    const kept: Entry[] = []
    for (const e of entries) {
      if (confirmed.has(e._id)) {
        totalBytes -= e._bytes
      } else {
        kept.push(e)
      }
    }
    entries = kept
    if (stored) {
      persist()
    }
  }

  /** Hands back entries whose send failed, unless another path took them meanwhile. */
  const release = (batch: Entry[], from: EntryState = SENDING) => {
    for (const e of batch) {
      if (e._state == from) {
        e._state = WAITING
      }
    }
  }

  /** The next batch of waiting entries, up to `maxBytes` (at least one), with the `dropped` report first. */
  const take = (maxBytes: number): Entry[] => {
    const count = dropped + storedCount(kv)
    if (count) {
      add(entryOf(droppedLine(count), now()), true)
      dropped = 0
      kv.remove(DROPPED_KEY)
    }
    const batch: Entry[] = []
    let size = 0
    for (const e of entries) {
      if (e._state == WAITING) {
        if (batch[0] && size + e._bytes > maxBytes) {
          break
        }
        batch.push(e)
        size += e._bytes
        e._state = SENDING
      }
    }
    return batch
  }

  /** Whether the stored outbox was taken over: on first use. */
  let loaded = false
  /** Takes over what earlier pages (or other tabs) left unconfirmed, oldest first; true if there was any. */
  const load = () => {
    if (loaded) {
      return false
    }
    loaded = true
    const known = new Set<string>()
    const restored: Entry[] = []
    for (const line of (kv.get(OUTBOX_KEY) || '').split('\n')) {
      try {
        const ts = Date.parse(JSON.parse(line).ts)
        // a corrupt line (hand-edited, cut by quota) is skipped, never fatal
        if (isOurs(line) && ts && !known.has(idOf(line))) {
          known.add(idOf(line))
          restored.push(entryOf(line, ts))
        }
      } catch {}
    }
    restored.sort((a, b) => a._ts - b._ts)
    for (const e of restored) {
      add(e)
    }
    stored = restored.length > 0
    enforce()
    return stored
  }

  return {
    _load: load,
    /** Queues one serialised event (dropping the oldest beyond the bounds). */
    _add(line: string, ts: number) {
      load()
      add(entryOf(line, ts))
      enforce()
    },
    /** Unconfirmed entries, oldest first (read only). */
    _entries: () => entries,
    _totalBytes: () => totalBytes,
    _take(maxBytes: number) {
      load()
      return take(maxBytes)
    },
    _confirm: confirm,
    _release: release,
    _persist() {
      load()
      persist()
    },
  }
}

export type Outbox = ReturnType<typeof createOutbox>
