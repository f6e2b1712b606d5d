/** Random bytes drawn 4 KiB at a time: one getRandomValues call per turn cost ~4 µs. */
let pool = new Uint8Array(0)
let used = 0
export const HEX = Array.from({ length: 256 }, (_, b) => (b + 256).toString(16).slice(1))

/** Lowercase hex of `bytes` random bytes (never all zeros: W3C Trace Context forbids all-zero ids). getRandomValues works outside secure contexts too. */
export const randomHex = (bytes: number): string => {
  if (used + bytes > pool.length) crypto.getRandomValues((pool = new Uint8Array(4096))), (used = 0)
  let hex = ''
  for (let i = 0; i < bytes; i++) hex += HEX[pool[used++]]
  return /^0+$/.test(hex) ? randomHex(bytes) : hex
}

/** RFC 4122 version 4 UUID; crypto.randomUUID exists only in secure contexts. */
export const uuid = (): string => {
  const h = randomHex(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20)}`
}

/** A sampled version-00 W3C traceparent. */
export const traceparentOf = (traceId: string, spanId: string): string => `00-${traceId}-${spanId}-01`

/** Trace id of a valid version-00 traceparent, or undefined. */
export const traceIdOf = (traceparent: string | null | undefined): string | undefined => {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent!)
  return m && !/^0+$/.test(m[1]) && !/^0+$/.test(m[2]) ? m[1] : undefined
}
