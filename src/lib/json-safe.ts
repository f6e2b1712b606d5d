/** Longest string kept as is; longer ones are cut with a marker. */
export const MAX_STRING = 8192
const MAX_DEPTH = 8
const MAX_ITEMS = 200
export const TRUNCATED = '…[truncated]'

/**
 * A copy of `value` that JSON.stringify can always encode: cycles cut, functions and symbols
 * dropped, BigInt as string, Errors as {type, message}, strings, arrays and depth capped.
 * `mapString` lets a capture mode rewrite each string leaf (masking).
 */
export const jsonSafe = (
  value: unknown,
  maxString = MAX_STRING,
  mapString?: (s: string, key: string) => string,
): unknown => {
  const seen: object[] = []
  const walk = (v: unknown, key: string, depth: number): unknown => {
    if (typeof v == 'string') {
      const s = mapString ? mapString(v, key) : v
      return s.length > maxString ? s.slice(0, maxString) + TRUNCATED : s
    }
    if (typeof v == 'number') return isFinite(v) ? v : String(v)
    if (typeof v == 'boolean' || v === null) return v
    if (typeof v == 'bigint') return v.toString()
    if (typeof v != 'object') return undefined // functions, symbols, undefined
    if (seen.includes(v)) return '[circular]'
    if (depth >= MAX_DEPTH) return '[depth]'
    if (v instanceof Date) return isNaN(+v) ? null : v.toISOString()
    if (v instanceof Error) return { type: v.name, message: walk(v.message, 'message', depth + 1) }
    seen.push(v)
    let out: unknown
    if (Array.isArray(v)) {
      out = v.slice(0, MAX_ITEMS).map((item) => walk(item, key, depth + 1) ?? null)
      if (v.length > MAX_ITEMS) (out as unknown[]).push(TRUNCATED)
    } else {
      const obj: Record<string, unknown> = {}
      let n = 0
      for (const k in v) {
        if (n++ >= MAX_ITEMS) {
          obj[TRUNCATED] = true
          break
        }
        let item: unknown
        try {
          item = walk((v as Record<string, unknown>)[k], k, depth + 1) // getters can throw
        } catch {}
        if (item !== undefined) obj[k] = item
      }
      out = obj
    }
    seen.pop()
    return out
  }
  return walk(value, '', 0)
}

/** UTF-8 byte length without allocating (TextEncoder would copy the string). */
export const utf8Bytes = (s: string): number => {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // 2 bytes to 0x7ff, 3 above; a surrogate pair is 4 bytes for its 2 code units
    if (c > 0x7f) n += c > 0x7ff && (c < 0xd800 || c > 0xdfff) ? 2 : 1
  }
  return n
}
