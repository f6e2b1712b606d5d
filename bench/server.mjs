// `node bench/server.mjs` (after `npm run build`): the Node build against the local collector
// on 127.0.0.1. How long `await turn.finish()` takes (the ingest's confirmation included), how
// many requests concurrent request scopes cost, and how soon a script that finished its turns
// without awaiting them exits (beforeExit sends; no timer holds it). Prints one table; timings
// vary with the machine, so nothing here is asserted.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createNodeLumina } from 'luminasdk'
import { startDemo } from '../demo/server.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'lumina-bench-server-'))
const demo = await startDemo({ port: 0, dataDir, keys: [{ project: 'bench', writeKey: 'wk_bench', readKey: 'rk_bench' }], quiet: true })
const endpoint = `http://127.0.0.1:${demo.port}`
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]

let requests = 0
const lumina = createNodeLumina({
  fetch: (input, init) => {
    requests++
    return fetch(input, init)
  },
})
lumina.init({ endpoint, writeKey: 'wk_bench', captureTranscript: 'full' })

// 1. await turn.finish(), one turn at a time
const finishMs = []
const session = await lumina.session.start()
for (let i = 0; i < 200; i++) {
  const turn = session.turn()
  await turn.wrapLLM(async () => ({ choices: [{ message: { content: 'reply ' + i } }] }), { model: 'gpt-bench' })
  turn.setMessages([{ role: 'user', content: 'hello ' + i }])
  const t0 = performance.now()
  await turn.finish()
  finishMs.push(performance.now() - t0)
}

// 2. 55 concurrent request scopes (5 users), each: session.start with a browser turn's headers, identify, one turn
requests = 0
const t0 = performance.now()
await Promise.all(
  Array.from({ length: 55 }, (_, i) =>
    lumina.withScope(async () => {
      const trace = (i % 5).toString(16).padStart(32, 'a')
      const s = await lumina.session.start({ headers: { traceparent: `00-${trace}-${'b'.repeat(15)}${i % 10}-01`, baggage: `lumina.seq=${i + 1}` } })
      await lumina.identify('user_' + (i % 5))
      const turn = s.turn()
      await turn.wrapLLM(() => new Promise((r) => setTimeout(r, Math.random() * 20)), { model: 'gpt-bench' })
      await turn.finish()
    }),
  ),
)
const concurrentMs = performance.now() - t0
const concurrentRequests = requests

// 3. a script that ends on its own after finishing turns without awaiting them
const exitMs = await new Promise((resolve, reject) => {
  const started = performance.now()
  execFile(
    process.execPath,
    [join(root, 'test/server/fixtures/exit.mjs'), endpoint, 'wk_bench', 'before-exit', '20'],
    { timeout: 60_000 },
    (error) => (error ? reject(error) : resolve(performance.now() - started)),
  )
})

await demo.close()
rmSync(dataDir, { recursive: true, force: true })
const ms = (x) => x.toFixed(1) + ' ms'
console.table({
  'await turn.finish() (confirmed by the local collector), median': ms(pct(finishMs, 0.5)),
  'await turn.finish(), p95': ms(pct(finishMs, 0.95)),
  '55 concurrent requests (5 users): wall time': ms(concurrentMs),
  '55 concurrent requests: POSTs to the ingest (110 events)': concurrentRequests,
  'script with 20 unawaited turns + feedback: until exit (Node start included)': ms(exitMs),
})
