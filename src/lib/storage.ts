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
      const stored = use((s) => {
        s.setItem(key, value)
        return true
      })
      return stored === true
    },
    remove(key) {
      memory.delete(key)
      use((s) => s.removeItem(key))
    },
  }
}

/**
 * document.cookie as a Storage: 1 year, SameSite=Lax, Path=/, Secure on https, optional Domain.
 * With a Domain, a write also expires the host-only cookie of the same name (left from before
 * cookieDomain was set): document.cookie would otherwise hold both.
 */
export const cookieStorage = (doc: Document, domain?: string, secure?: boolean): StorageLike => {
  const writeOne = (key: string, value: string, maxAge: number, withDomain: boolean) => {
    const domainAttribute = withDomain ? '; Domain=' + domain : ''
    doc.cookie = `${key}=${encodeURIComponent(value)}; Max-Age=${maxAge}; Path=/; SameSite=Lax${domainAttribute}${secure ? '; Secure' : ''}`
  }
  const write = (key: string, value: string, maxAge: number) => {
    if (domain) {
      writeOne(key, '', 0, false)
    }
    writeOne(key, value, maxAge, !!domain)
  }
  return {
    // The value after the last `; key=` (cookies are separated by '; '), up to the next ';'.
    // Browsers list cookies of one path oldest first (RFC 6265 5.4): the last is the newest.
    getItem: (key) =>
      decodeURIComponent(
        ('; ' + doc.cookie)
          .split('; ' + key + '=')
          .slice(1)
          .pop()
          ?.split(';')[0] ?? '',
      ) || null,
    setItem: (key, value) => write(key, value, 31536000),
    removeItem: (key) => write(key, '', 0),
  }
}
