import { defineConfig } from 'vitest/config'

// Projects: unit tests in jsdom (on fake time, and a few on real time), the ingest against real
// processes, and real-browser tests (one file at a time: the machine has 2 cores; each file runs
// its suites in Chromium, Firefox and WebKit one after another, each engine with its own browser
// and server).
/** Unit tests on real time: the collector's real HTTP server, the real snippet and bundle (whose timers the tests drive themselves), and the Node SDK against real HTTP and child processes. */
const REAL_TIME = ['test/unit/collector*.test.ts', 'test/unit/snippet.test.ts', 'test/unit/server-*.test.ts', 'test/unit/node-scopes.test.ts']

export default defineConfig({
  define: { __VERSION__: JSON.stringify('0.0.0-test') },
  test: {
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      // unit tests on fake time (test/setup/fake-timers.ts), except those that need real time
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'jsdom',
          include: ['test/unit/**/*.test.ts'],
          exclude: REAL_TIME,
          setupFiles: ['test/setup/fake-timers.ts'],
        },
      },
      { extends: true, test: { name: 'unit-real-time', environment: 'jsdom', include: REAL_TIME } },
      // The insights queries in Node, against the embedded store and a real ClickHouse.
      {
        extends: true,
        test: { name: 'insights', environment: 'node', include: ['test/insights/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      // The ingest against real processes: collectors killed with SIGKILL, a >1 GiB store,
      // Debian's clickhouse-server (skipped with a note when absent). One file at a time.
      {
        extends: true,
        test: {
          name: 'ingest',
          environment: 'node',
          include: ['test/ingest/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 45_000, // WebKit over WebDriver classic is the slowest: a session per page
          hookTimeout: 45_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
