import type { KV } from './lib/storage'
import { uuid } from './lib/ids'

/** Cookie and localStorage key of the distinct id. */
export const ID_KEY = 'lumina_id'
const ANON = 'anon_'

/**
 * Who the user is: `anon_<uuid>` until identify(). Read from the first store that has it
 * (the cookie, then localStorage), written to both, so each restores the other (Safari may
 * wipe either after 7 days). Read on first use, not at creation (server-side rendering has
 * no document). One per SDK instance; a server makes one per request.
 */
export const createIdentity = (cookie: KV, local: KV) => {
  let distinctId = ''

  const save = (value: string) => {
    distinctId = value
    for (const kv of [cookie, local]) {
      if (kv.get(ID_KEY) != value) {
        kv.set(ID_KEY, value)
      }
    }
  }

  /** (Re-)reads the stores (another tab may have identified) and repairs a wiped one. */
  const refresh = () => {
    save(cookie.get(ID_KEY) || local.get(ID_KEY) || ANON + uuid())
  }

  const get = () => {
    if (!distinctId) {
      refresh()
    }
    return distinctId
  }

  return {
    /** The distinct id: `anon_<uuid>` or the identified user id. */
    _get: get,
    _isAnonymous: () => get().startsWith(ANON),
    /** Names the user (identify). */
    _set: save,
    /** A new anonymous id (logout). */
    _reset: () => save(ANON + uuid()),
    _refresh: refresh,
    /** Writes the cookie again, e.g. once `cookieDomain` is known. */
    _writeCookie: () => {
      cookie.set(ID_KEY, get())
    },
  }
}

export type Identity = ReturnType<typeof createIdentity>
