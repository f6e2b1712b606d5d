import type { Entry } from '../outbox'

/** The longest wait: the backoff cap, and the most a Retry-After may impose. */
export const BACKOFF_MAX_MS = 300_000

/** Line-aligned groups of entries, each at most `max` bytes (a single larger entry stands alone). */
export const chunk = (entries: Entry[], max: number): Entry[][] => {
  const out: Entry[][] = []
  let size = 0
  for (const e of entries) {
    if (!out.length || size + e.bytes > max) out.push([]), (size = 0)
    out[out.length - 1].push(e)
    size += e.bytes
  }
  return out
}

export const bodyOf = (batch: Entry[]) => batch.map((e) => e.line).join('\n') + '\n'

/** Delay from a Retry-After header (seconds or an HTTP date), or undefined. */
export const retryAfterMs = (header: string | null | undefined, now: number): number | undefined => {
  if (!header) return undefined
  const ms = /^\d+$/.test(header.trim()) ? +header * 1000 : Date.parse(header) - now
  return isNaN(ms) ? undefined : Math.min(Math.max(ms, 0), BACKOFF_MAX_MS)
}
