import type { Platform } from '../types'
import { hash } from '../lib/hash'

/** What runs at `beforeExit`: one process listener for every instance. */
const exitHooks = new Set<() => Promise<void> | undefined>()
let listening = false

/**
 * `beforeExit` fires when the event loop is empty (not on process.exit() or signals). The
 * hooks may send; a ref'd timer keeps the process alive until they settle, then it exits, or
 * fires `beforeExit` again if they queued more.
 */
export const onExit = (fn: () => Promise<void> | undefined) => {
  exitHooks.add(fn)
  if (listening) {
    return
  }
  listening = true
  process.on('beforeExit', () => {
    const pending: Promise<void>[] = []
    for (const hook of exitHooks) {
      const p = hook()
      if (p) {
        pending.push(p)
      }
    }
    if (!pending[0]) {
      return
    }
    const keepAlive = setInterval(() => {}, 1000)
    Promise.all(pending).finally(() => clearInterval(keepAlive))
  })
}

/**
 * Node's functions: the global `fetch` (Node 18+), no browser storage (the stores fall back to
 * memory), no page, and timers that never keep the process alive (`unref`): a script or a
 * server exits when its own work is done, and `beforeExit` sends what is still queued (`onExit`).
 * `finish()` sends in the same tick (`sendDelayMs` 0): turns finished together share a request.
 */
export const nodePlatform = (): Platform => ({
  fetch: (input, init) => fetch(input, init),
  localStorage: () => undefined,
  sessionStorage: () => undefined,
  now: () => Date.now(),
  perfNow: () => performance.now(),
  random: Math.random,
  setTimeout: (fn, ms, keepAlive) => {
    const timer = setTimeout(fn, ms)
    if (!keepAlive) {
      timer.unref()
    }
    return timer
  },
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
  isOnline: () => true,
  hash,
  sendDelayMs: 0,
})
