/** How a wrapped call ended, observed without changing what the caller sees. */
import type { Log } from './log'
import type { MapString } from './json-safe'

export interface ErrorInfo {
  type: string
  message: string
}

/** A property of a host value, or undefined when reading it throws (a getter, a revoked Proxy). */
export const read = (obj: any, key: PropertyKey): any => {
  try {
    return obj?.[key]
  } catch {}
}

/** Runs the SDK's own bookkeeping inside a host call: what it throws goes to `log`, never to the host. */
export const safely = (f: () => void, log?: Log) => {
  try {
    f()
  } catch (e) {
    log?.('observing failed', e)
  }
}

/**
 * `{type, message}` of whatever was thrown — an Error, a string, a null-prototype object, a
 * revoked Proxy — never throwing itself. `mask` (masked capture) rewrites the message.
 */
export const errorInfo = (e: unknown, mask?: MapString): ErrorInfo => {
  const name = read(e, 'name')
  let message = read(e, 'message')
  if (typeof message != 'string') {
    try {
      message = String(message ?? e)
    } catch {
      message = Object.prototype.toString.call(e) // no toString (a null-prototype object) or a throwing one
    }
  }
  message = message.slice(0, 1024)
  if (mask) {
    message = mask(message, 'message').slice(0, 1024)
  }
  return { type: typeof name == 'string' && name ? name.slice(0, 256) : typeof e, message }
}

/**
 * Runs `fn` and reports how it ended to `done` without changing anything the caller sees:
 * the same value is returned and the same error thrown, and `fn`'s result is evaluated once.
 * - A native Promise (or subclass, e.g. OpenAI's APIPromise with `.withResponse()`) is
 *   returned as is; a second, handled branch is attached before the caller's, so a stream it
 *   resolves to is observed before the caller reads it.
 * - Any other thenable (a lazy query builder — supabase-js, knex — starts its request in
 *   `then()`) is converted once with Promise.resolve and that Promise is returned: `then` is
 *   called exactly once, and the caller awaits the same single result (it gets a Promise, not
 *   the builder: chain builder methods inside `fn`).
 * `done` is the SDK's own bookkeeping: whatever it throws goes to `log`, never reaches the
 * caller, and never leaves an unhandled rejection.
 */
export const observe = <T>(fn: () => T, done: (failed: boolean, errorOrValue: unknown) => void, log?: Log): T => {
  const report = (failed: boolean, v: unknown) => safely(() => done(failed, v), log)
  let result: any
  try {
    result = fn()
  } catch (e) {
    report(true, e)
    throw e
  }
  let promise: Promise<unknown> | undefined
  try {
    if (result instanceof Promise) {
      promise = result
    } else if (typeof read(result, 'then') == 'function') {
      promise = result = Promise.resolve(result)
    }
    promise?.then(
      (v) => report(false, v),
      (e) => report(true, e),
    )
  } catch {} // a revoked Proxy throws on instanceof (a plain value to us); a Promise subclass's then may throw
  if (!promise) {
    report(false, result)
  }
  return result
}
