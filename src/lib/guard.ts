import { debug } from './log'

/** Attaches a logging catch so a rejected promise of ours never reaches the page as unhandled. */
export const quiet = (p: Promise<unknown>, what: string) => p.catch((e: unknown) => debug(what, 'failed', e))

/**
 * The one guard at the public boundary: the SDK never throws into, or rejects at, the host
 * page for its own failures. A throw becomes `fallback`; a rejected promise resolves to it.
 */
export const guard =
  <A extends unknown[], R>(name: string, fn: (...args: A) => R, fallback: () => R) =>
  (...args: A): R => {
    try {
      const result = fn(...args)
      return (result instanceof Promise ? result.catch((e: unknown) => (debug(name, 'failed', e), fallback())) : result) as R
    } catch (e) {
      debug(name, 'failed', e)
      return fallback()
    }
  }

/** Calls an optional method of a user-supplied object (provider, hook); its throws and rejections are logged. */
export const safeCall = <T = unknown>(obj: unknown, method: string, ...args: unknown[]): T | undefined => {
  try {
    const fn = obj && (obj as Record<string, unknown>)[method]
    if (typeof fn != 'function') return undefined
    const result = fn.apply(obj, args)
    if (result instanceof Promise) quiet(result, method)
    return result
  } catch (e) {
    debug(method, 'threw', e)
    return undefined
  }
}
