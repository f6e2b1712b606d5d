/** Longest string kept as is; longer ones are cut with a marker. */
export const MAX_STRING = 8192
const MAX_DEPTH = 8
const MAX_ITEMS = 200
export const TRUNCATED = '…[truncated]'

/**
 * A copy of `value` that JSON can always encode: cycles cut, functions and symbols dropped,
 * BigInt as string, Errors as {type, message}, strings, arrays and depth capped. Built on
 * JSON.stringify's replacer, which already drops functions and applies toJSON (Dates).
 * `mapString` lets a capture mode rewrite each string (masking); it gets the string's key.
 */
export const jsonSafe = (value: unknown, maxString = MAX_STRING, mapString?: (s: string, key: string) => string): any => {
  /** The objects from the root down to the one being written: a value among them is a cycle. */
  const path: unknown[] = []
  try {
    const json = JSON.stringify(value, function (this: unknown, key: string, v: any) {
      if (typeof v == 'bigint') return String(v)
      if (typeof v == 'string') {
        if (mapString) v = mapString(v, key)
        return v.length > maxString ? v.slice(0, maxString) + TRUNCATED : v
      }
      if (v && typeof v == 'object') {
        path.length = path.indexOf(this) + 1 // `this` is the holder: drop what is below it
        if (path.includes(v)) return '[circular]'
        if (path.length >= MAX_DEPTH) return '[depth]'
        if (v instanceof Error) v = { type: v.name, message: v.message }
        if (Array.isArray(v) && v.length > MAX_ITEMS) v = v.slice(0, MAX_ITEMS).concat(TRUNCATED)
        path.push(v)
      }
      return v
    })
    return json === undefined ? undefined : JSON.parse(json)
  } catch {
    return '[unserializable]' // a getter that throws
  }
}

/** UTF-8 byte length without allocating (TextEncoder would copy the string). */
export const utf8Bytes = (s: string): number => {
  let n = s.length
  if (!/[^\0-\x7f]/.test(s)) return n // ASCII, the usual case: the native scan is much faster
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // 2 bytes to 0x7ff, 3 above; a surrogate pair is 4 bytes for its 2 code units
    if (c > 0x7f) n += c > 0x7ff && (c < 0xd800 || c > 0xdfff) ? 2 : 1
  }
  return n
}
