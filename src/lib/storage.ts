/** A string key-value store that never throws: the platform's stores can (private modes, quota, sandboxed iframes). */
export interface KV {
  get(key: string): string | null
  /** Returns false when the store refused (quota, disabled); the value is then kept in memory. */
  set(key: string, value: string): boolean
  remove(key: string): void
}

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

/**
 * A store behind a memory fallback, each access in its own try/catch (Segment's universal
 * storage). `getStore` is called on each access because merely reading `window.localStorage`
 * throws where storage is blocked.
 */
export const webStore = (getStore: () => StorageLike | null | undefined): KV => {
  const memory = new Map<string, string>()
  const use = (f: (s: StorageLike) => unknown): any => {
    try {
      return f(getStore()!)
    } catch {}
  }
  return {
    get: (key) => use((s) => s.getItem(key)) ?? memory.get(key) ?? null,
    set(key, value) {
      memory.set(key, value)
      return !!use((s) => (s.setItem(key, value), true))
    },
    remove(key) {
      memory.delete(key)
      use((s) => s.removeItem(key))
    },
  }
}

/** document.cookie as a Storage: 1 year, SameSite=Lax, Path=/, Secure on https, optional Domain. */
export const cookieStorage = (doc: Document, domain?: string, secure?: boolean): StorageLike => {
  const write = (key: string, value: string, maxAge: number) =>
    (doc.cookie = `${key}=${encodeURIComponent(value)}; Max-Age=${maxAge}; Path=/; SameSite=Lax${domain ? '; Domain=' + domain : ''}${secure ? '; Secure' : ''}`)
  return {
    // the value after `; key=` (cookies are separated by '; '), up to the next ';'
    getItem: (key) => decodeURIComponent(('; ' + doc.cookie).split('; ' + key + '=')[1]?.split(';')[0] ?? '') || null,
    setItem: (key, value) => write(key, value, 31536000),
    removeItem: (key) => write(key, '', 0),
  }
}
