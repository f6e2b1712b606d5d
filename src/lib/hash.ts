import { HEX } from './ids'

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
  const hex8 = (n: number) => ((n >>> 0) + 2 ** 32).toString(16).slice(1) // 8 hex digits, zero-padded
  return 'f' + hex8(a) + hex8(b)
}

/** SHA-256 hex of `text` where SubtleCrypto exists (secure contexts), else the fallback. */
export const hash = async (text: string): Promise<string> => {
  try {
    return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))), (b) => HEX[b]).join('')
  } catch {
    return hashSync(text)
  }
}
