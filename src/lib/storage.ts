/** A string key-value store that never throws: the platform's stores can (private modes, quota, sandboxed iframes). */
export interface KV {
  get(key: string): string | null
  /** Returns false when the store refused (quota, disabled); the value is then kept in memory. */
  set(key: string, value: string): boolean
  remove(key: string): void
}

/**
 * Web Storage behind a memory fallback. `getStore` is called on each access because merely
 * reading `window.localStorage` throws where storage is blocked.
 */
export const webStore = (getStore: () => Storage | null | undefined): KV => {
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

export interface CookieOptions {
  domain?: string
  secure: boolean
  maxAgeDays: number
}

/** document.cookie as a store; values are URI-encoded. */
export const cookieStore = (getDoc: () => Document | undefined, options: CookieOptions): KV => {
  const memory = new Map<string, string>()
  const write = (key: string, value: string, maxAge: number) => {
    try {
      getDoc()!.cookie =
        `${key}=${encodeURIComponent(value)}; Max-Age=${maxAge}; Path=/; SameSite=Lax` +
        (options.domain ? `; Domain=${options.domain}` : '') +
        (options.secure ? '; Secure' : '')
    } catch {}
  }
  return {
    get(key) {
      try {
        for (const part of getDoc()!.cookie.split('; ')) {
          const eq = part.indexOf('=')
          if (part.slice(0, eq) == key) return decodeURIComponent(part.slice(eq + 1))
        }
      } catch {}
      return memory.get(key) ?? null
    },
    set(key, value) {
      memory.set(key, value)
      write(key, value, options.maxAgeDays * 86400)
      return true
    },
    remove(key) {
      memory.delete(key)
      write(key, '', 0)
    },
  }
}
