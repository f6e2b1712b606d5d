// Prints one plain closing line, "N passed, N failed, N skipped", that CI logs are read by.
// A file that fails outside its tests (a hook, an import) counts as one failure.
import type { Reporter, SerializedError, TestModule } from 'vitest/node'

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<SerializedError>) {
    const count = { passed: 0, failed: errors.length, skipped: 0 }
    for (const m of modules) {
      let failedTests = 0
      for (const t of m.children.allTests()) {
        const state = t.result().state
        if (state == 'passed') {
          count.passed++
        } else if (state == 'failed') {
          count.failed++
          failedTests++
        } else {
          count.skipped++
        }
      }
      if (m.state() == 'failed' && !failedTests) {
        count.failed++
      }
    }
    console.log(`\n${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped`)
  }
}
