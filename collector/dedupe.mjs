// The dedupe index: ids seen in the last DEDUPE_DAYS UTC days, in one small hash table per
// day, so memory follows the ingest rate over the window and never the store's size.
//
// Why 8 days: the SDK drops what it could not send within 7 days (its outbox expiry), so a
// resent line reaches us at most 7 days after it was first received; today plus 7 whole days
// covers that. Each id is kept as a 64-bit fingerprint of its 128 bits (8 bytes per slot,
// tables at most 3/4 full, so 8-21 bytes per id); two different random ids share a
// fingerprint with probability 2^-64, so a lookup among n ids errs with probability ~n/2^64
// (1 in 10^12 at 10 million ids), which would report a fresh line as a duplicate. The index
// holds at most `maxIds` ids (default 8 million, <= 128 MiB of tables + one day's growth); past that the oldest day is forgotten first (the window then
// spans fewer days, logged), and ClickHouse's ReplacingMergeTree still collapses repeats.
export const DEDUPE_DAYS = 8
export const DEFAULT_MAX_IDS = 8_000_000
const DAY_MS = 86_400_000

/** An open-addressing set of 64-bit fingerprints (two Uint32 halves; 0/0 marks an empty slot). */
const createTable = (capacity = 1024) => {
  let mask = capacity - 1
  let slots = new Uint32Array(capacity * 2)
  let count = 0
  const find = (hi, lo) => {
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask
    for (;;) {
      const a = slots[i * 2]
      const b = slots[i * 2 + 1]
      if (a == hi && b == lo) {
        return i
      }
      if (a == 0 && b == 0) {
        return -1 - i
      }
      i = (i + 1) & mask
    }
  }
  const grow = () => {
    const old = slots
    mask = mask * 2 + 1
    slots = new Uint32Array((mask + 1) * 2)
    for (let j = 0; j < old.length; j += 2) {
      if (old[j] == 0 && old[j + 1] == 0) {
        continue
      }
      const at = -1 - find(old[j], old[j + 1])
      slots[at * 2] = old[j]
      slots[at * 2 + 1] = old[j + 1]
    }
  }
  return {
    has: (hi, lo) => find(hi, lo) >= 0,
    add(hi, lo) {
      const at = find(hi, lo)
      if (at >= 0) {
        return false
      }
      slots[(-1 - at) * 2] = hi
      slots[(-1 - at) * 2 + 1] = lo
      count++
      if (count * 4 > (mask + 1) * 3) {
        grow()
      }
      return true
    },
    get size() {
      return count
    },
    get bytes() {
      return slots.byteLength
    },
  }
}

/** murmur3's finaliser: a bijection on 32 bits that spreads every input bit. */
const fmix = (h) => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * The 64-bit fingerprint of an id, as [hi, lo]; never 0/0. A UUID's 128 bits are folded with
 * bijective mixing (each half is a bijection of one word for a fixed other word), so random
 * ids collide with probability 2^-64 per pair; other strings get a string hash.
 * @param {string} id
 */
export const fingerprint = (id) => {
  let hi
  let lo
  if (id.length == 36 && UUID.test(id)) {
    const w0 = parseInt(id.slice(0, 8), 16)
    const w1 = parseInt(id.slice(9, 13) + id.slice(14, 18), 16)
    const w2 = parseInt(id.slice(19, 23) + id.slice(24, 28), 16)
    const w3 = parseInt(id.slice(28, 36), 16)
    hi = fmix(w0 ^ fmix(w2 + 0x9e3779b9))
    lo = fmix(w1 ^ fmix(w3 + 0x7f4a7c15))
  } else {
    hi = 0x811c9dc5
    lo = 0x01000193
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i)
      hi = Math.imul(hi ^ c, 0x01000193)
      lo = Math.imul(lo ^ c, 0x5bd1e995) ^ (lo >>> 15)
    }
    hi = fmix(hi)
    lo = fmix(lo)
  }
  return hi == 0 && lo == 0 ? [1, 0] : [hi, lo]
}

/**
 * @param {{ maxIds?: number, log?: (msg: string) => void }} [options]
 */
export const createDedupeIndex = ({ maxIds = DEFAULT_MAX_IDS, log = () => {} } = {}) => {
  /** day number (UTC) -> table of ids first received that day */
  const days = new Map()
  let total = 0
  const expire = (today) => {
    const sorted = [...days.keys()].sort((a, b) => a - b)
    for (const day of sorted) {
      const old = day <= today - DEDUPE_DAYS
      // over the bound: forget the oldest day, but never the newest (the one being filled)
      const over = total > maxIds && day != sorted[sorted.length - 1]
      if (!old && !over) {
        break
      }
      if (!old) {
        log(`dedupe index over ${maxIds} ids: forgetting ids of ${new Date(day * DAY_MS).toISOString().slice(0, 10)} early`)
      }
      total -= days.get(day).size
      days.delete(day)
    }
  }
  return {
    /** @param {string} id */
    has(id) {
      const [hi, lo] = fingerprint(id)
      for (const t of days.values()) {
        if (t.has(hi, lo)) {
          return true
        }
      }
      return false
    },
    /** @param {string} id @param {number} receivedMs */
    add(id, receivedMs) {
      const day = Math.floor(receivedMs / DAY_MS)
      let t = days.get(day)
      if (!t) {
        t = createTable()
        days.set(day, t)
        expire(Math.floor(Date.now() / DAY_MS))
      }
      const [hi, lo] = fingerprint(id)
      if (t.add(hi, lo)) {
        total++
      }
      if (total > maxIds) {
        expire(Math.floor(Date.now() / DAY_MS))
      }
    },
    /** Whether ids received at this time still belong in the window. */
    covers: (receivedMs) => Math.floor(receivedMs / DAY_MS) > Math.floor(Date.now() / DAY_MS) - DEDUPE_DAYS,
    stats: () => ({ ids: total, days: days.size, bytes: [...days.values()].reduce((n, t) => n + t.bytes, 0) }),
  }
}
