// Unit tests run on fake time: every timer, Date and performance.now() move only when a test
// advances them (`tick` in test/helpers.ts), so backoff, batching and typing durations are
// exact and no test sleeps. Tests that need real time (a real HTTP server) live in the
// `unit-real-time` project (vitest.config.ts), which does not load this file.
import { afterEach, beforeEach, vi } from 'vitest'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] })
})

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})
