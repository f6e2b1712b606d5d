import type { KV } from './lib/storage'
import { uuid } from './lib/ids'

/** Cookie and localStorage key of the distinct id. */
export const ID_KEY = 'lumina_id'
const ANON = 'anon_'

/**
 * Who the user is: `anon_<uuid>` until identify(). Read from the first store that has it,
 * written to both, so each restores the other (Safari may wipe either after 7 days).
 */
export const createIdentity = (stores: KV[]) => {
  let id = ''
  const save = (value: string) => {
    id = value
    for (const s of stores) if (s.get(ID_KEY) != value) s.set(ID_KEY, value)
  }
  const load = () => {
    for (const s of stores) {
      const value = s.get(ID_KEY)
      if (value) return save(value)
    }
    save(ANON + uuid())
  }
  load()
  return {
    get: () => id,
    isAnonymous: () => id.startsWith(ANON),
    /** Re-reads the stores (another tab may have identified) and repairs a wiped one. */
    refresh: load,
    set: save,
    reset: () => save(ANON + uuid()),
  }
}

export type Identity = ReturnType<typeof createIdentity>
