// Starts Debian's clickhouse-server (18.16) for a test or a bench run: a temporary config and
// data directory, HTTP on a free 127.0.0.1 port, no service manager (the package's own service
// start does not work in a container). Plain ESM so bench/*.mjs can use it as well as tests.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const CLICKHOUSE_BINARY = process.env.LUMINA_CLICKHOUSE_BINARY || '/usr/sbin/clickhouse-server'
/** True when the binary is installed; tests skip (and say so) when it is not, unless CI requires it. */
export const clickhouseAvailable = existsSync(CLICKHOUSE_BINARY)
export const clickhouseRequired = process.env.LUMINA_REQUIRE_CLICKHOUSE == '1'
export const clickhouseSkipReason = clickhouseAvailable
  ? ''
  : `ClickHouse tests skipped: no ${CLICKHOUSE_BINARY} (apt-get install -y clickhouse-server; LUMINA_REQUIRE_CLICKHOUSE=1 makes this a failure)`

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

const configXml = (dir, httpPort, tcpPort) => `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/err.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`
const usersXml = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage><load_balancing>random</load_balancing></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`

const ping = async (url) => {
  try {
    const res = await fetch(url + '/ping', { signal: AbortSignal.timeout(1000) })
    return res.ok && (await res.text()).startsWith('Ok')
  } catch {
    return false
  }
}

/**
 * Starts a private ClickHouse server. `kill()` SIGKILLs it (data stays), `start()` starts it
 * again on the same port and data, `stop()` ends it and deletes the directory.
 * @param {{ dir?: string }} [options]
 * @returns {Promise<{ url: string, port: number, dir: string, start(): Promise<void>, kill(): Promise<void>, stop(): Promise<void> }>}
 */
export const startClickHouse = async ({ dir = mkdtempSync(join(tmpdir(), 'lumina-ch-')) } = {}) => {
  for (const sub of ['log', 'data', 'tmp', 'user_files', 'format_schemas']) {
    mkdirSync(join(dir, sub), { recursive: true })
  }
  const port = await freePort()
  writeFileSync(join(dir, 'config.xml'), configXml(dir, port, await freePort()))
  writeFileSync(join(dir, 'users.xml'), usersXml)
  const url = `http://127.0.0.1:${port}`
  /** @type {import('node:child_process').ChildProcess | null} */
  let child = null
  const start = async () => {
    const proc = spawn(CLICKHOUSE_BINARY, [`--config-file=${join(dir, 'config.xml')}`], { stdio: 'ignore' })
    child = proc
    let exited = false
    proc.once('exit', () => {
      exited = true
    })
    for (let i = 0; i < 300; i++) {
      if (await ping(url)) {
        return
      }
      if (exited) {
        throw new Error(`clickhouse-server exited at start; see ${dir}/log/err.log`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`clickhouse-server did not answer /ping within 30 s (${dir})`)
  }
  const kill = async () => {
    const proc = child
    child = null
    if (!proc || proc.exitCode != null || proc.signalCode != null) {
      return
    }
    const gone = new Promise((r) => proc.once('exit', r))
    proc.kill('SIGKILL')
    await gone
  }
  await start()
  return {
    url,
    port,
    dir,
    start,
    kill,
    async stop() {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
