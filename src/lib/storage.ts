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
  return {
    get(key) {
      try {
        const value = getStore()!.getItem(key)
        if (value != null) return value
      } catch {}
      return memory.get(key) ?? null
    },
    set(key, value) {
      memory.set(key, value)
      try {
        getStore()!.setItem(key, value)
        return true
      } catch {
        return false
      }
    },
    remove(key) {
      memory.delete(key)
      try {
        getStore()!.removeItem(key)
      } catch {}
    },
  }
}

/** document.cookie as a Storage: 1 year, SameSite=Lax, Path=/, Secure on https, optional Domain. */
export const cookieStorage = (doc: Document, domain?: string, secure?: boolean): StorageLike => {
  const write = (key: string, value: string, maxAge: number) =>
    (doc.cookie = `${key}=${encodeURIComponent(value)}; Max-Age=${maxAge}; Path=/; SameSite=Lax${domain ? '; Domain=' + domain : ''}${secure ? '; Secure' : ''}`)
  return {
    getItem: (key) => {
      const m = doc.cookie.match(new RegExp(`(?:^|; )${key}=([^;]*)`))
      return m ? decodeURIComponent(m[1]) : null
    },
    setItem: (key, value) => write(key, value, 31536000),
    removeItem: (key) => write(key, '', 0),
  }
}
