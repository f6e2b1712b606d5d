/**
 * ClickHouse for tests: Debian's clickhouse-server started on 127.0.0.1 in a temp dir
 * (test/clickhouse-server.mjs), and describe() that skips without the binary and says so,
 * or fails when CI requires it (LUMINA_REQUIRE_CLICKHOUSE=1), like the browser tests.
 */
import { describe, it } from 'vitest'
// @ts-expect-error plain ESM module without types
import { CLICKHOUSE_BIN, hasClickHouse, startClickHouse as start } from './clickhouse-server.mjs'

export const hasClickHouseBinary: boolean = hasClickHouse
export const clickHouseRequired = !!process.env.LUMINA_REQUIRE_CLICKHOUSE
if (!hasClickHouse && !clickHouseRequired)
  console.warn(`\n[clickhouse] SKIPPED ClickHouse tests: ${CLICKHOUSE_BIN} not found. Install it with 'apt-get install -y clickhouse-server'.\n`)

export interface ClickHouseServer {
  url: string
  dir: string
  stop(): Promise<void>
}

export const startClickHouse: (options?: { timeoutMs?: number }) => Promise<ClickHouseServer> = start

export const describeClickHouse = (name: string, fn: () => void) => {
  if (hasClickHouse) describe(name, fn)
  else if (clickHouseRequired)
    describe(name, () => it('needs clickhouse-server', () => {
      throw new Error(`LUMINA_REQUIRE_CLICKHOUSE is set but ${CLICKHOUSE_BIN} is missing`)
    }))
  else describe.skip(name, fn)
}
