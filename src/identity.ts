import type { KV } from './lib/storage'
import { uuid } from './lib/ids'

/** Cookie and localStorage key of the distinct id. */
export const ID_KEY = 'lumina_id'
const ANON = 'anon_'
/** The longest distinct id the event schema takes. */
export const MAX_ID_LENGTH = 400

/** A user id as an event can carry it: at most 400 UTF-16 units, never ending in half a surrogate pair. */
export const toDistinctId = (userId: string): string => {
  let id = userId.slice(0, MAX_ID_LENGTH)
  if (id.length < userId.length && /[\ud800-\udbff]$/.test(id)) {
    id = id.slice(0, -1)
  }
  return id
}

/** A stored id is used only if an event could carry it (a hand-edited or poisoned store is ignored). */
const validId = (value: string | null): string | undefined => {
  if (value && value.length <= MAX_ID_LENGTH) {
    return value
  }
  return undefined
}

/**
 * Who the user is: `anon_<uuid>` until identify(). Read from the first store that has it
 * (the cookie, then localStorage), written to both, so each restores the other (Safari may
 * wipe either after 7 days). Nothing is read before the id is first needed, and nothing is
 * written that did not change. One per SDK instance; a server makes one per request.
 */
export const createIdentity = (cookie: KV, local: KV, cookieDomain?: () => string | undefined) => {
  let distinctId = ''
  /** The cookie was written by this page (with cookieDomain, the first use writes it once to add the Domain). */
  let cookieWritten = false

  /**
   * The id most recently written must win the next read: a store that refuses it (a lone
   * surrogate cannot be a cookie, a cookie over 4 KB is dropped silently, quota) must not
   * keep an older id, so it is cleared and the other store (or memory) carries the new one.
   */
  const write = (kv: KV, value: string) => {
    if (!kv.set(ID_KEY, value) || kv.get(ID_KEY) != value) {
      kv.remove(ID_KEY)
    }
  }

  const save = (value: string) => {
    distinctId = value
    if (cookie.get(ID_KEY) != value || (!cookieWritten && cookieDomain?.())) {
      write(cookie, value)
    }
    cookieWritten = true
    if (local.get(ID_KEY) != value) {
      write(local, value)
    }
  }

  const load = () => {
    // an id no store could keep (storage blocked) still sticks for this page
    save(validId(cookie.get(ID_KEY)) || validId(local.get(ID_KEY)) || distinctId || ANON + uuid())
  }

  const get = () => {
    if (!distinctId) {
      load()
    }
    return distinctId
  }

  return {
    /** The distinct id: `anon_<uuid>` or the identified user id; read from storage on first use. */
    _get: get,
    _isAnonymous: () => get().startsWith(ANON),
    /** Names the user (identify): a valid distinct id (see toDistinctId). */
    _set: save,
    /** A new anonymous id (logout). */
    _reset: () => save(ANON + uuid()),
    /** Re-reads the stores once the id is in use (another tab may have identified) and repairs a wiped one. */
    _refresh() {
      if (distinctId) {
        load()
      }
    },
  }
}

export type Identity = ReturnType<typeof createIdentity>
