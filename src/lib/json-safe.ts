/** Longest string kept as is; longer ones are cut with a marker. */
export const MAX_STRING = 8192
const MAX_DEPTH = 8
const MAX_ITEMS = 200
export const TRUNCATED = '…[truncated]'
const UNSERIALIZABLE = '[unserializable]'
/** A key that names structure (`role`, `tool_call_id`, `h2`): a mask leaves it alone; any other key (an e-mail, a number) is masked like a value. */
const STRUCTURAL = /^(?!.*\d{7})[A-Za-z_$][\w$-]*$/

/**
 * Rewrites one string of a value (masking); gets the key it sits under. Under a mask, object
 * keys and numbers pass through it too (as strings): an e-mail used as a key, a card number
 * written as a JSON number or a BigInt. Keys that look like identifiers are structure and kept.
 */
export type MapString = (s: string, key: string) => string

/**
 * A copy of `value` that JSON can always encode, built in one walk (no stringify/parse round
 * trip): what JSON.stringify would write — toJSON applied (Dates), functions, symbols and
 * undefined dropped (null in arrays), non-finite numbers as null, boxed primitives unwrapped —
 * with cycles cut, BigInt as string, Errors as {type, message}, strings, arrays and depth
 * capped. A property that throws when read (a getter, a revoked Proxy) becomes a marker; the
 * walk itself never throws. `mapString` lets a capture mode rewrite each string (masking).
 */
export const jsonSafe = (value: unknown, maxString = MAX_STRING, mapString?: MapString): any => {
  /** The objects from the root down to the one being copied: a value among them is a cycle. */
  const path: object[] = []
  const cut = (s: string) => (s.length > maxString ? s.slice(0, maxString) + TRUNCATED : s)
  // a long string is cut before it is masked (with room for an e-mail across the cut): masking 1 MB costs ~0.2 s
  const text = (s: string, key: string) => cut(mapString ? mapString(s.length > maxString ? s.slice(0, maxString + 320) : s, key) : s)
  /** The copy of `o[k]`, or the marker when reading it throws (a getter, a Proxy trap). */
  const child = (o: any, k: string | number, key: string): unknown => {
    let v
    try {
      v = o[k]
    } catch {
      return UNSERIALIZABLE
    }
    return copy(v, key)
  }
  const copy = (v: any, key: string): unknown => {
    const depth = path.length
    try {
      if (v != null && typeof v.toJSON == 'function') {
        v = v.toJSON(key)
      } // Dates; a BigInt.prototype.toJSON polyfill
      const type = typeof v
      if (type == 'string' || type == 'bigint') {
        return text(String(v), key)
      }
      if (type == 'number') {
        if (!isFinite(v)) {
          return null
        } // a number here: the global isFinite is Number.isFinite
        // a number that the mask rewrites (a card or phone number) goes out as its masked text
        const masked = text(String(v), key)
        return masked == String(v) ? v : masked
      }
      if (type == 'boolean' || v === null) {
        return v
      }
      if (type != 'object') {
        return undefined
      } // function, symbol, undefined
      if (v instanceof Number || v instanceof String || v instanceof Boolean) {
        return copy(v.valueOf(), key)
      }
      if (path.includes(v)) {
        return '[circular]'
      }
      if (path.length >= MAX_DEPTH) {
        return '[depth]'
      }
      if (v instanceof Error) {
        return { type: copy(v.name, 'type'), message: copy(v.message, 'message') }
      }
      path.push(v)
      let out: any
      if (Array.isArray(v)) {
        out = []
        const n = Math.min(v.length, MAX_ITEMS)
        for (let i = 0; i < n; i++) {
          const item = child(v, i, '')
          out.push(item === undefined ? null : item)
        }
        if (v.length > MAX_ITEMS) {
          out.push(TRUNCATED)
        }
      } else {
        out = {}
        for (const k of Object.keys(v)) {
          const item = child(v, k, k)
          if (item === undefined) {
            continue
          }
          const name = mapString && !STRUCTURAL.test(k) ? text(k, '') : k
          // an own `__proto__` key (JSON.parse makes them) must stay a key, not set the prototype:
          // a computed key in a literal defines the property, where `out[name] =` would call the setter
          if (name == '__proto__') {
            out = { ...out, [name]: item }
          } else {
            out[name] = item
          }
        }
      }
      path.pop()
      return out
    } catch {
      path.length = depth
      return UNSERIALIZABLE
    }
  }
  return copy(value, '')
}

/**
 * A short text field (model, provider, tool type…) from whatever the host passed: a string
 * cut to `max`, a number, BigInt or boolean as its string, anything else (objects, symbols,
 * cyclic values) dropped. Never throws.
 */
export const toText = (v: unknown, max = 256): string | undefined => {
  const type = typeof v
  if (type == 'string') {
    return (v as string).slice(0, max)
  }
  if (type == 'number' || type == 'bigint' || type == 'boolean') {
    return String(v)
  }
  return undefined
}

/** A count the schema accepts (integer ≥ 0) from a number or numeric string (`'12'`), else undefined. */
export const toCount = (v: unknown): number | undefined => {
  const n = typeof v == 'string' && v.trim() ? +v : v
  return typeof n == 'number' && Number.isFinite(n) && n >= 0 ? Math.round(n) : undefined
}

/** UTF-8 byte length without allocating (TextEncoder would copy the string). */
export const utf8Bytes = (s: string): number => {
  let n = s.length
  if (!/[^\0-\x7f]/.test(s)) {
    return n
  } // ASCII, the usual case: the native scan is much faster
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // 2 bytes to 0x7ff, 3 above; a surrogate pair is 4 bytes for its 2 code units
    if (c > 0x7f) {
      n += c > 0x7ff && (c < 0xd800 || c > 0xdfff) ? 2 : 1
    }
  }
  return n
}
