import { createIdentity, ID_KEY } from '../identity'
import { createSession, TRACEPARENT_KEY, type Session } from '../session'
import { webStore } from '../lib/storage'
import { traceparentOf } from '../lib/ids'
import type { Scope, Scopes } from '../scope'
import type { SessionOptions } from '../types'
import { createScopes } from './scope'
import { continuedFrom, type Continued } from './headers'

/** A memory-only store: a server has no cookies or Web Storage. */
const memory = () => webStore(() => undefined)

/**
 * A scope of its own: the distinct id given (else a new anonymous one), and a session that
 * continues the browser turn's trace when the request carried one (else none yet).
 */
const newScope = (distinctId?: string, continued: Continued = {}): Scope => {
  const ids = memory()
  if (distinctId) {
    ids.set(ID_KEY, distinctId)
  }
  const traces = memory()
  if (continued.traceId && continued.parentSpanId) {
    traces.set(TRACEPARENT_KEY, traceparentOf(continued.traceId, continued.parentSpanId))
  }
  let session: Session = createSession(traces)
  const seq = continued.seq
  if (seq) {
    // the server half of browser turn `seq`: its turns carry that number
    session = { ...session, _nextSeq: () => seq }
  }
  return { _identity: createIdentity(ids, ids), _session: session, _parentSpanId: continued.parentSpanId }
}

/**
 * Scopes carried by AsyncLocalStorage. `_open()` (session.start) makes a new scope and enters
 * it for the rest of the request: its distinct id is the browser's (`baggage`), else the
 * enclosing scope's user if it is identified (a script that identified first), else a new
 * anonymous id — never the process's shared anonymous id. `_run()` (withScope) runs a function
 * in a fresh scope. Outside of both: one process-wide default scope.
 */
export const nodeScopes = (): Scopes & { _run<R>(fn: () => R): R } => {
  const scopes = createScopes<Scope>(() => newScope())
  return {
    _current: scopes.current,
    _open(options?: SessionOptions): Scope {
      const continued = continuedFrom(options?.headers)
      const enclosing = scopes.current()._identity
      const scope = newScope(continued.distinctId ?? (enclosing._isAnonymous() ? undefined : enclosing._get()), continued)
      scopes.enter(scope)
      return scope
    },
    _run: (fn) => scopes.run(newScope(), fn),
  }
}
