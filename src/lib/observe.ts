/** How a wrapped call ended, observed without changing what the caller sees. */

export interface ErrorInfo {
  type: string
  message: string
}

export const errorInfo = (e: unknown): ErrorInfo => ({
  type: (e as Error)?.name || typeof e,
  message: String((e as Error)?.message ?? e).slice(0, 1024),
})

export const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Runs `fn` and reports how it ended to `done` without changing anything the caller sees:
 * the same value or promise is returned and the same error is thrown.
 */
export const observe = <T>(fn: () => T, done: (failed: boolean, errorOrValue: unknown) => void): T => {
  let result: any
  try {
    result = fn()
  } catch (e) {
    done(true, e)
    throw e
  }
  // A second, handled branch, attached before the caller's: the caller's promise is
  // returned untouched, and a stream it resolves to is observed before the caller reads it.
  if (typeof result?.then == 'function') result.then((v: unknown) => done(false, v), (e: unknown) => done(true, e))
  else done(false, result)
  return result
}
