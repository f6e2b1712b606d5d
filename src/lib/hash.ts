import { randomHex } from './ids'

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => (b < 16 ? '0' : '') + b.toString(16)).join('')

/**
 * Compact synchronous fallback (two 32-bit FNV-1a lanes): for plain-http pages, where
 * SubtleCrypto does not exist, and for the page-hide path, which cannot wait.
 */
export const hashSync = (text: string): string => {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ text.length
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 16777619)
    b = Math.imul(b ^ c ^ (a >>> 15), 2246822507)
  }
  return 'f' + ((a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0'))
}

/** SHA-256 hex of `text` where SubtleCrypto exists (secure contexts), else the fallback. */
export const hash = async (text: string): Promise<string> => {
  try {
    return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  } catch {
    return hashSync(text)
  }
}

/** A random secret for salting, never sent anywhere. */
export const newSalt = () => randomHex(16)
