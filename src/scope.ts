import type { Identity } from './identity'
import type { Session } from './session'
import type { SessionOptions } from './types'

/**
 * Who and which conversation the SDK's calls act on. A page has one scope (its user, its
 * tab's session); a server has one per request (`src/node/scopes.ts`), so that one request
 * never sees another's user.
 */
export interface Scope {
  _identity: Identity
  _session: Session
  /** The browser turn a server scope continues: its turns' `parent_span_id`. */
  _parentSpanId?: string
}

/** Where scopes come from: `_current()` for ambient calls, `_open()` for session.start(). */
export interface Scopes {
  _current(): Scope
  _open(options?: SessionOptions): Scope
}

/** The page's: always its one scope. */
export const singleScope = (scope: Scope): Scopes => ({
  _current: () => scope,
  _open: () => scope,
})
