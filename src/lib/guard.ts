import type { Log } from './log'

/**
 * The one guard at the public boundary: the SDK never throws into, or rejects at, the host
 * page for its own failures. A throw gives `fallback`; a rejected promise resolves to it.
 */
export const guard =
  <A extends unknown[], R>(name: string, fn: (...args: A) => R, fallback: R, debug: Log) =>
  (...args: A): R => {
    const fail = (e: unknown) => {
      debug(name, 'failed', e)
      return fallback
    }
    try {
      const result = fn(...args)
      return result instanceof Promise ? (result.catch(fail) as R) : result
    } catch (e) {
      return fail(e)
    }
  }

/** Calls an optional method of a user-supplied object (provider, hook); its throws and rejections are logged. */
export type SafeCall = <T = unknown>(obj: any, method: string, ...args: unknown[]) => T | undefined

/** The instance's `safeCall`, logging to its `debug`. */
export const safeCaller =
  (debug: Log): SafeCall =>
  (obj, method, ...args) => {
    const fail = (e: unknown) => debug(method, 'failed', e)
    try {
      const result = obj?.[method]?.(...args)
      if (result instanceof Promise) {
        result.catch(fail)
      }
      return result
    } catch (e) {
      fail(e)
    }
  }
