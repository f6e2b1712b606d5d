import type { Platform } from '../types'

/**
 * Node's functions: the global `fetch` (Node 18+), no browser storage (the stores fall back to
 * memory), no page, and timers that never keep the process alive (`unref`): a script or a
 * server exits when its own work is done, and `beforeExit` sends what is still queued.
 */
export const nodePlatform = (): Platform => ({
  fetch: (input, init) => fetch(input, init),
  localStorage: () => undefined,
  sessionStorage: () => undefined,
  now: () => Date.now(),
  perfNow: () => performance.now(),
  random: Math.random,
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
  isOnline: () => true,
})
