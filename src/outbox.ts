import type { KV } from './lib/storage'
import { utf8Bytes } from './lib/json-safe'

/** localStorage key of the persisted queue: NDJSON, one unconfirmed event a line. */
export const OUTBOX_KEY = 'lumina_outbox'
/**
 * What pages dropped and did not report yet, by reason (JSON, e.g. `{"bound":3}`): a page hands
 * its counts over here when it persists, and the next batch of any tab claims them (so a count
 * shared by two tabs is reported once).
 */
export const DROPPED_KEY = 'lumina_dropped'

// Segment's localStorage queue grew to ~5 MB and broke sites (analytics-next #1200): bound ours.
const MAX_EVENTS = 1000
const MAX_BYTES = 1 << 20
const MAX_AGE_MS = 7 * 864e5
/** Past this many, the ids this page confirmed or dropped are written out and forgotten. */
const MAX_GONE = 5000

/**
 * Why events were lost, as the `dropped` report's `reasons` counts them: the queue's bound
 * (1,000 events / 1 MiB, oldest first), the 7-day expiry, the ingest rejecting the line (never
 * resent), and localStorage too full to keep it at a persist.
 */
export type DropReason = 'bound' | 'expired' | 'rejected' | 'storage'
export type DropCounts = Partial<Record<DropReason, number>>
const REASONS: DropReason[] = ['bound', 'expired', 'rejected', 'storage']

/**
 * Where an entry is: waiting, in a normal POST, in a keepalive request, handed to sendBeacon
 * (unconfirmable), or dropped and counted while in flight (a retry must not send it as well).
 */
export const WAITING = 0
export const SENDING = 1
export const KEEPALIVE = 2
export const BEACONED = 3
export const DROPPED = 4
export type EntryState = typeof WAITING | typeof SENDING | typeof KEEPALIVE | typeof BEACONED | typeof DROPPED

export interface Entry {
  _id: string
  _line: string
  /** UTF-8 bytes with the newline. */
  _bytes: number
  _ts: number
  _state: EntryState
  /** A `dropped` report: never evicted by the bounds (it carries the count of what was). */
  _report: boolean
}

/** Our lines start with `{"id":"<36-char uuid>","source":"sdk","name":"…"` (the envelope's order): id and name without parsing. */
const idOf = (line: string) => line.slice(7, 43)
const isOurs = (line: string) => line.startsWith('{"id":"')
const isReport = (line: string) => line.startsWith('","source":"sdk","name":"dropped"', 43)
const entryOf = (line: string, ts: number): Entry => ({
  _id: idOf(line),
  _line: line,
  _bytes: utf8Bytes(line) + 1,
  _ts: ts,
  _state: WAITING,
  _report: isReport(line),
})

/** A whole count, 1 to 10^9 (a poisoned store's -5, 2.5 or 1e400 is not one). */
const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) < 1e9

/**
 * The stored drop counts; anything that is not what `persist` writes is discarded. A bare
 * whole number (what earlier versions wrote) counts for the bound.
 */
const storedCounts = (kv: KV): DropCounts => {
  const value = kv.get(DROPPED_KEY) || ''
  const counts: DropCounts = {}
  if (/^\d{1,9}$/.test(value)) {
    counts.bound = +value
  } else if (value[0] == '{') {
    try {
      const parsed = JSON.parse(value)
      for (const reason of REASONS) {
        if (isCount(parsed[reason])) {
          counts[reason] = parsed[reason]
        }
      }
    } catch {}
  }
  return counts
}

/** Adds `more` into `counts`. Returns the total of `counts`. */
const addCounts = (counts: DropCounts, more: DropCounts) => {
  let total = 0
  for (const reason of REASONS) {
    const n = (counts[reason] || 0) + (more[reason] || 0)
    if (n) {
      counts[reason] = n
      total += n
    }
  }
  return total
}

/** A request body: one line per entry. */
export const bodyOf = (batch: Entry[]) => batch.map((e) => e._line).join('\n') + '\n'

/**
 * The outbox: the queue of unconfirmed events, in order, mirrored to localStorage (`persist`).
 * Nothing leaves it until a response confirms it (`confirm`); what is lost (the bounds, the
 * expiry, a full localStorage, lines the ingest rejected) is counted by reason and reported in
 * a line `droppedLine` builds, one report at a time, which the bounds never evict. What earlier
 * pages (or other tabs) left unconfirmed is taken over when the outbox is first used (not at
 * creation: init reads no storage).
 */
export const createOutbox = (kv: KV, now: () => number, droppedLine: (fields: { dropped: number; reasons: DropCounts }) => string) => {
  /** Unconfirmed events, oldest first (the `dropped` report goes at the head). */
  let entries: Entry[] = []
  /** UTF-8 bytes of all entries. */
  let totalBytes = 0
  /** This page's losses not yet reported nor handed to storage. */
  let dropped: DropCounts = {}
  /**
   * Ids this page confirmed or dropped since it last wrote storage: a merge must not bring
   * them back from lines storage still holds.
   */
  let gone = new Set<string>()
  /** Whether storage may hold lines: confirmations and drops must then be written through. */
  let stored = false
  /** Other tabs' lines this page cut from storage for the bound: counted once, though a live tab writes them again. */
  let cutOthers = new Set<string>()

  /** Queues an entry at the end, or at the head (the `dropped` report goes first). */
  const add = (e: Entry, head?: boolean) => {
    if (head) {
      entries.unshift(e)
    } else {
      entries.push(e)
    }
    totalBytes += e._bytes
  }

  /** Counts `n` lost events. */
  const count = (reason: DropReason, n = 1) => {
    dropped[reason] = (dropped[reason] || 0) + n
  }

  /** Drops the oldest event (never a report) while one is expired or the queue is over its bounds, counting each. */
  const enforce = () => {
    for (;;) {
      let i = 0
      while (entries[i]?._report) {
        i++
      }
      const e = entries[i]
      const expired = e && e._ts < now() - MAX_AGE_MS
      if (!e || !(expired || entries.length > MAX_EVENTS || totalBytes > MAX_BYTES)) {
        return
      }
      entries.splice(i, 1)
      totalBytes -= e._bytes
      e._state = DROPPED
      if (stored) {
        gone.add(e._id)
      }
      count(expired ? 'expired' : 'bound')
    }
  }

  /**
   * Writes every unconfirmed entry to localStorage, with the lines other tabs wrote that this
   * page has not confirmed or dropped (only their ids are read: no parse on the hide path), in
   * at most one bound: other tabs' oldest lines beyond it are dropped and counted (once). Then
   * hands this page's drop counts over. When storage cannot hold it all (quota) it keeps the
   * newest that fit; at page hide (`hiding`) what it cuts is dropped from memory too and
   * counted, as a page that dies next would lose it uncounted. Synchronous.
   */
  const persist = (hiding?: boolean) => {
    const ours = new Set<string>()
    let bytes = 0
    for (const e of entries) {
      ours.add(e._id)
      bytes += e._bytes
    }
    const others: string[] = []
    const stale = (kv.get(OUTBOX_KEY) || '').split('\n')
    // newest first, so the oldest are the ones beyond the bound
    for (let i = stale.length - 1; i >= 0; i--) {
      const line = stale[i]
      const id = idOf(line)
      if (isOurs(line) && !ours.has(id) && !gone.has(id)) {
        const size = utf8Bytes(line) + 1
        if (isReport(line) || (ours.size + others.length < MAX_EVENTS && bytes + size <= MAX_BYTES)) {
          others.unshift(line)
          bytes += size
        } else if (!cutOthers.has(id)) {
          cutOthers.add(id)
          count('bound')
        }
      }
    }
    // reports are never cut: they carry the counts
    const reports: string[] = []
    const rest: string[] = []
    for (const line of others.concat(entries.map((e) => e._line))) {
      if (isReport(line)) {
        reports.push(line)
      } else {
        rest.push(line)
      }
    }
    const base = storedCounts(kv)
    let cut = 0
    let lines = reports.concat(rest)
    let written = false
    for (;;) {
      lines = reports.concat(rest.slice(cut))
      const counts: DropCounts = { ...base }
      const total = addCounts(counts, hiding && cut ? { ...dropped, storage: (dropped.storage || 0) + cut } : dropped)
      let outboxWritten = true
      if (lines[0]) {
        outboxWritten = kv.set(OUTBOX_KEY, lines.join('\n'))
      } else {
        kv.remove(OUTBOX_KEY)
      }
      written = outboxWritten && (!total || kv.set(DROPPED_KEY, JSON.stringify(counts)))
      if (written || cut == rest.length) {
        break
      }
      // QuotaExceededError: keep the newest 7/8, and again, until it fits
      cut += Math.ceil((rest.length - cut) / 8)
    }
    if (!written) {
      // nothing fits (storage is unusable): memory keeps it all, the store's memory fallback the counts
      const counts = { ...base }
      if (addCounts(counts, dropped)) {
        kv.set(DROPPED_KEY, JSON.stringify(counts))
      }
      dropped = {}
      stored = true
      return
    }
    dropped = {}
    if (hiding && cut) {
      const cutIds = new Set(rest.slice(0, cut).map(idOf))
      const kept: Entry[] = []
      for (const e of entries) {
        if (cutIds.has(e._id)) {
          totalBytes -= e._bytes
          e._state = DROPPED
        } else {
          kept.push(e)
        }
      }
      entries = kept
    }
    stored = lines.length > 0
    gone = new Set()
    if (cutOthers.size > MAX_GONE) {
      cutOthers = new Set()
    }
  }

  /** Removes entries a response confirmed (or that must never be sent again). */
  const confirm = (done: Entry[]) => {
    const ids = new Set<string>()
    for (const e of done) {
      ids.add(e._id)
      if (stored) {
        gone.add(e._id)
      }
    }
    const kept: Entry[] = []
    for (const e of entries) {
      if (ids.has(e._id)) {
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

  /**
   * The next batch of waiting entries, up to `maxBytes` (at least one), with the `dropped` report
   * first. One report at a time: while one is unconfirmed, new counts wait for it (a report
   * is sent again unchanged, with its id, so the ingest keeps it once).
   */
  const take = (maxBytes: number): Entry[] => {
    if (!entries.some((e) => e._report)) {
      const counts = storedCounts(kv)
      const total = addCounts(counts, dropped)
      if (total) {
        add(entryOf(droppedLine({ dropped: total, reasons: counts }), now()), true)
        dropped = {}
        kv.remove(DROPPED_KEY)
      }
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
    if (gone.size) {
      // what the load dropped (expired, over the bound) leaves storage now: counted once, never sent again
      persist()
    }
    return stored
  }

  return {
    _load: load,
    /** Queues one serialised event (dropping the oldest beyond the bounds). */
    _add(line: string, ts: number) {
      load()
      add(entryOf(line, ts))
      enforce()
      if (gone.size > MAX_GONE) {
        persist()
      }
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
    /** Counts `n` events lost for `reason` (e.g. lines the ingest rejected). */
    _count: count,
    /** Writes storage (see persist); `hiding`: the page-hide path, which counts what storage cannot keep. */
    _persist(hiding?: boolean) {
      load()
      persist(hiding)
    },
  }
}

export type Outbox = ReturnType<typeof createOutbox>
