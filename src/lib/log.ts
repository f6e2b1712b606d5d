/** Whether `debug: true` was configured: off, the SDK prints nothing but config errors. */
let debugOn = false

export const setDebug = (on: boolean): void => {
  debugOn = on
}

/** Logs one SDK operation under `debug`. */
export const debug = (...args: unknown[]): void => {
  if (debugOn) console.log('[lumina]', ...args)
}
