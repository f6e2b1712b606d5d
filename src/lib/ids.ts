/** Random bytes drawn 4 KiB at a time: one getRandomValues call per turn cost ~4 µs. */
let pool = new Uint8Array(0)
let used = 0
export const HEX = Array.from({ length: 256 }, (_, b) => (b + 256).toString(16).slice(1))

/** Lowercase hex of `bytes` random bytes (never all zeros: W3C Trace Context forbids all-zero ids). getRandomValues works outside secure contexts too. */
export const randomHex = (bytes: number): string => {
  if (used + bytes > pool.length) {
    pool = new Uint8Array(4096)
    crypto.getRandomValues(pool)
    used = 0
  }
  let hex = ''
  for (let i = 0; i < bytes; i++) {
    hex += HEX[pool[used++]]
  }
  return /^0+$/.test(hex) ? randomHex(bytes) : hex
}

/** RFC 4122 version 4 UUID; crypto.randomUUID exists only in secure contexts. */
export const uuid = (): string => {
  const h = randomHex(16)
  // version nibble 4; variant bits 10 (the 17th digit is one of 8, 9, a, b)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16], 16) & 3]}${h.slice(17, 20)}-${h.slice(20)}`
}

/** A sampled version-00 W3C traceparent. */
export const traceparentOf = (traceId: string, spanId: string): string => `00-${traceId}-${spanId}-01`

/** Trace id of a valid version-00 traceparent (ids not all zeros), or undefined. */
export const traceIdOf = (traceparent: string | null | undefined): string | undefined =>
  /^00-(?!0{32})([\da-f]{32})-(?!0{16})[\da-f]{16}-[\da-f]{2}$/.exec(traceparent!)?.[1]

/** The UTC day `iso` last formatted: its first millisecond, and its `YYYY-MM-DDT` prefix. */
let dayStart = NaN
let dayPrefix = ''

/**
 * `new Date(ms).toISOString()`, exactly, without a Date per call: the day's prefix is kept
 * and the time of day is arithmetic (a Date and toISOString cost ~10 µs in a cold turn).
 * Other days, and what is not a whole number of ms, take the Date.
 */
export const iso = (ms: number): string => {
  const t = ms - dayStart
  if (t >= 0 && t < 864e5 && ms % 1 == 0) {
    // 1HHMMSSmmm: one number gives every field zero-padded
    const d = '' + (1e9 + ((t / 36e5) | 0) * 1e7 + (((t / 6e4) | 0) % 60) * 1e5 + (t % 6e4))
    return dayPrefix + d.slice(1, 3) + ':' + d.slice(3, 5) + ':' + d.slice(5, 7) + '.' + d.slice(7) + 'Z'
  }
  const s = new Date(ms).toISOString()
  if (ms % 1 == 0) {
    dayStart = ms - (((ms % 864e5) + 864e5) % 864e5)
    dayPrefix = s.slice(0, s.indexOf('T') + 1)
  }
  return s
}
