import type { Platform } from './types'
import { hash } from './lib/hash'

/**
 * The real browser's functions, looked up when called (so they can be replaced later, and
 * so importing the SDK during server-side rendering touches nothing).
 */
export const browserPlatform = (): Platform => {
  const w = typeof window != 'undefined' ? window : undefined
  const nav = typeof navigator != 'undefined' ? navigator : undefined
  return {
    fetch: typeof fetch == 'function' ? (input, init) => fetch(input, init) : undefined,
    sendBeacon: nav?.sendBeacon ? (url, body) => nav.sendBeacon(url, body) : undefined,
    localStorage: () => w?.localStorage,
    sessionStorage: () => w?.sessionStorage,
    window: w,
    document: w?.document,
    now: () => Date.now(),
    perfNow: () => performance.now(),
    random: Math.random,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
    isOnline: () => nav?.onLine !== false,
    hash,
  }
}
