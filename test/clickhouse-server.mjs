// Starts Debian's clickhouse-server (18.16) as a child process on 127.0.0.1 with a config, data
// and log directory of its own in a temp dir (the package's service start does not work in a
// container), for the tests and the bench. `stop()` kills it and deletes the directory.
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const CLICKHOUSE_BIN = process.env.CLICKHOUSE_SERVER_PATH || '/usr/sbin/clickhouse-server'
export const hasClickHouse = existsSync(CLICKHOUSE_BIN)

/** A port nothing listens on right now. */
const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })

const configXml = (dir, httpPort, tcpPort) => `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog><console>0</console></logger>
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
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
</yandex>
`

/**
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<{ url: string, dir: string, stop(): Promise<void> }>}
 */
export const startClickHouse = async ({ timeoutMs = 20_000 } = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'lumina-clickhouse-'))
  for (const sub of ['log', 'data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(dir, sub))
  copyFileSync('/etc/clickhouse-server/users.xml', join(dir, 'users.xml'))
  const httpPort = await freePort()
  const tcpPort = await freePort()
  writeFileSync(join(dir, 'config.xml'), configXml(dir, httpPort, tcpPort))
  const child = spawn(CLICKHOUSE_BIN, ['--config-file', join(dir, 'config.xml')], { cwd: dir, stdio: 'ignore' })
  let exited = false
  child.once('exit', () => {
    exited = true
  })
  const url = `http://127.0.0.1:${httpPort}`
  const end = Date.now() + timeoutMs
  for (;;) {
    const ok = await fetch(url + '/ping').then((r) => r.text(), () => '')
    if (ok.startsWith('Ok')) break
    if (exited || Date.now() > end) {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`clickhouse-server did not start (${exited ? 'it exited' : 'no answer on /ping'}); logs were in ${dir}/log`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    dir,
    stop: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r))
        child.kill('SIGKILL')
        await gone
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
