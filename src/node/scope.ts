import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Where the current scope lives: in the `AsyncLocalStorage` store of the async context (a
 * request, and all the async work it starts), else in one process-wide default. Sentry's
 * Node SDK isolates requests the same way (`withIsolationScope`).
 *
 * `enter` scopes the rest of the current synchronous execution and every async continuation
 * created after it (`enterWith`): called inside `session.start()`, it scopes the rest of an
 * Express middleware chain or a Next.js route handler to that request. `run` is the explicit
 * form. Code that escapes the async context (a callback queued on an object created before the
 * request, a module-level promise) sees the default scope; a `SessionCtx` carries its own.
 */
export const createScopes = <S>(createDefault: () => S) => {
  const storage = new AsyncLocalStorage<S>()
  let fallback: S | undefined
  return {
    current(): S {
      const scope = storage.getStore()
      if (scope) {
        return scope
      }
      if (!fallback) {
        fallback = createDefault()
      }
      return fallback
    },
    enter(scope: S): void {
      storage.enterWith(scope)
    },
    run<R>(scope: S, fn: () => R): R {
      return storage.run(scope, fn)
    },
  }
}

export type Scopes<S> = ReturnType<typeof createScopes<S>>
