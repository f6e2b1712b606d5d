// Collector processes for the ingest tests: `node collector/main.mjs` as a child, so a test
// can SIGKILL it the way a crash or the OOM killer would.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../collector/main.mjs', import.meta.url))
export const CHILD_KEYS = 'demo:wk_demo:rk_demo_secret,other:wk_other:rk_other_secret'

export interface CollectorProcess {
  url: string
  child: ChildProcess
  output: () => string
  /** Peak resident memory of the process so far (VmHWM), in bytes. */
  peakRss: () => number
  kill(): Promise<void>
  stop(): Promise<void>
}

export const startCollectorProcess = async (dataDir: string, env: Record<string, string> = {}): Promise<CollectorProcess> => {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', LUMINA_DATA_DIR: dataDir, LUMINA_KEYS: CHILD_KEYS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (c) => (out += c))
  child.stderr!.on('data', (c) => (out += c))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start within 60 s:\n${out}`)), 60_000)
    child.stdout!.on('data', () => {
      const m = /listening (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`collector exited (${code}) at start:\n${out}`))
    })
  })
  const gone = () => new Promise<void>((r) => (child.exitCode != null || child.signalCode != null ? r() : child.once('exit', () => r())))
  return {
    url,
    child,
    output: () => out,
    peakRss: () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      return m ? +m[1] * 1024 : NaN
    },
    async kill() {
      child.kill('SIGKILL')
      await gone()
    },
    async stop() {
      child.kill('SIGTERM')
      await gone()
    },
  }
}

/** Every id of a project, as exported by a collector (with repeats, if any). */
export const exportedIds = async (url: string, readKey = 'rk_demo_secret') => {
  const text = await (await fetch(`${url}/collect/export`, { headers: { 'X-Read-Key': readKey } })).text()
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).id as string)
}
