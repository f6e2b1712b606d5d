/** Logs one SDK operation. Each instance has its own, printing only under its `debug: true`. */
export type Log = (...args: unknown[]) => void

/** A log that prints with the `[lumina]` prefix while `on()` is true. */
export const createLog =
  (on: () => boolean | undefined): Log =>
  (...args) => {
    if (on()) {
      console.log('[lumina]', ...args)
    }
  }
