// `npm run bench`: sizes, bundle evaluation, heap, per-turn main-thread cost and encode
// throughput — ours beside posthog-js, measured in the same run on this machine in Chromium.
// Writes bench/results.json and prints one table. Not part of `npm test` (timings vary).
import { createServer } from 'node:http'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { gzipSync, brotliCompressSync, constants } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { cdnBundle } from '../bundle.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const read = (p) => readFileSync(root + p)
const ours = read('dist/lumina.min.js')
const snippet = read('dist/snippet.min.js')
const posthog = read('node_modules/posthog-js/dist/array.js')
const gz = (b) => gzipSync(b, { level: 9 }).length
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const LOADS = +(process.env.BENCH_LOADS || 20)
const TURNS = 1000

// A static server with cross-origin isolation (COOP/COEP): performance.now() then has 5 µs
// resolution instead of 100 µs, fine enough to time one turn.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' }
const server = createServer((req, res) => {
  const path = req.url.split('?')[0]
  if (path == '/ours.js') return res.writeHead(200, { 'Content-Type': 'text/javascript', ...isolation }).end(ours)
  if (path == '/posthog.js') return res.writeHead(200, { 'Content-Type': 'text/javascript', ...isolation }).end(posthog)
  if (path.startsWith('/collect/') || path.startsWith('/ph/')) {
    req.resume()
    return res.writeHead(200, { 'Content-Type': 'application/json', ...isolation }).end('{}')
  }
  res.writeHead(200, { 'Content-Type': 'text/html', ...isolation }).end('<!doctype html><title>bench</title>')
})
await new Promise((r) => server.listen(0, '127.0.0.1', r))
const origin = `http://127.0.0.1:${server.address().port}`
const DOWN = 'http://127.0.0.1:9' // nothing listens there: the collector is down

const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
if (!existsSync(executablePath)) {
  console.error(`bench needs Chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM_PATH)`)
  process.exit(1)
}
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--js-flags=--expose-gc'],
})
const chromiumVersion = browser.version()

/** A fresh page (new context: nothing cached, nothing stored), with a CDP session for the heap. */
const freshPage = async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(origin + '/')
  const cdp = await context.newCDPSession(page)
  const heap = async () => {
    await page.evaluate(() => globalThis.gc?.())
    return (await cdp.send('Runtime.getHeapUsage')).usedSize
  }
  return { page, heap, close: () => context.close() }
}

/** Evaluation time of a script's text (parse, compile, run) and heap after init. */
const loadCost = async (url, init) => {
  const evalMs = []
  const heapKb = []
  for (let i = 0; i < LOADS; i++) {
    const { page, heap, close } = await freshPage()
    const text = await page.evaluate(async (u) => (await fetch(u)).text(), url)
    const before = await heap()
    evalMs.push(
      await page.evaluate((src) => {
        const s = document.createElement('script')
        s.textContent = src
        const t0 = performance.now()
        document.head.append(s) // inline script: runs synchronously here
        return performance.now() - t0
      }, text),
    )
    await page.evaluate(init, { origin })
    await page.waitForTimeout(50)
    heapKb.push((await heap()) - before)
    await close()
  }
  return { eval_ms: +median(evalMs).toFixed(2), heap_after_init_kb: +(median(heapKb) / 1024).toFixed(1) }
}

const initOurs = ({ origin }) => window.lumina.init({ writeKey: 'bench', endpoint: origin, captureTranscript: 'full' })
const initPostHog = ({ origin }) =>
  window.posthog.init('phc_bench', { api_host: origin + '/ph', opt_out_useragent_filter: true, autocapture: false, capture_pageview: false, disable_session_recording: true, advanced_disable_flags: true })

const oursLoad = await loadCost('/ours.js', initOurs)
const phLoad = await loadCost('/posthog.js', initPostHog)

// Main-thread cost of one complete turn, and of one posthog.capture of the same generation.
const { page, heap, close } = await freshPage()
await page.addScriptTag({ url: '/ours.js' })
await page.addScriptTag({ url: '/posthog.js' })
await page.evaluate(initOurs, { origin })
await page.evaluate(initPostHog, { origin })
const isolated = await page.evaluate(() => crossOriginIsolated)
const turnUs = await page.evaluate(async (n) => {
  const s = await window.lumina.session.start()
  const messages = [
    { role: 'user', content: 'What is the refund policy for annual plans?' },
    { role: 'assistant', content: 'Annual plans can be refunded within 30 days of purchase.' },
  ]
  const times = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const turn = s.turn()
    await turn.wrapLLM(() => Promise.resolve({ usage: { prompt_tokens: 20, completion_tokens: 12 } }), { model: 'gpt-4o-mini', prompt_id: 'refunds' })
    turn.setMessages(messages)
    turn.annotate({ topic: 'billing', experiment: 'b' })
    await turn.finish()
    times.push((performance.now() - t0) * 1000)
  }
  return times
}, TURNS)
const captureUs = await page.evaluate((n) => {
  const times = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    window.posthog.capture('$ai_generation', {
      $ai_model: 'gpt-4o-mini', $ai_provider: 'openai', $ai_latency: 0.8, $ai_input_tokens: 20, $ai_output_tokens: 12, $ai_trace_id: 't', $ai_span_id: 's',
      $ai_input: [{ role: 'user', content: 'What is the refund policy for annual plans?' }],
      $ai_output_choices: [{ role: 'assistant', content: 'Annual plans can be refunded within 30 days of purchase.' }],
    })
    times.push((performance.now() - t0) * 1000)
  }
  return times
}, TURNS)
await close()

// NDJSON encode throughput: 10,000 events queued and sent as batches to a collector that accepts at once.
const encode = await (async () => {
  const { page, close } = await freshPage()
  await page.addScriptTag({ url: '/ours.js' })
  await page.evaluate(({ origin }) => window.lumina.init({ writeKey: 'bench', endpoint: origin, flushIntervalMs: 60000 }), { origin })
  const ms = await page.evaluate(async (n) => {
    const fields = { message_id: 'm', typing_duration_ms: 1234, character_count: 42, content_hash: 'a'.repeat(64) }
    const t0 = performance.now()
    for (let i = 0; i < n; i++) window.lumina._track('chat_message_submitted', fields, true)
    await window.lumina.flush()
    return performance.now() - t0
  }, 10000)
  await close()
  return Math.round(10000 / (ms / 1000))
})()

// Memory: the collector down, 10,000 turns; heap growth stays bounded by the queue cap.
const outage = await (async () => {
  const { page, heap, close } = await freshPage()
  await page.addScriptTag({ url: '/ours.js' })
  await page.evaluate((down) => window.lumina.init({ writeKey: 'bench', endpoint: down, captureTranscript: 'full' }), DOWN)
  await page.evaluate(async () => {
    const s = await window.lumina.session.start()
    await s.turn().finish()
  })
  const before = await heap()
  await page.evaluate(async (n) => {
    const s = await window.lumina.session.start()
    for (let i = 0; i < n; i++) {
      const t = s.turn()
      await t.wrapLLM(() => Promise.resolve('ok'), { model: 'm' })
      t.setMessages([{ role: 'user', content: 'hello ' + i }, { role: 'assistant', content: 'hi there' }])
      await t.finish()
    }
  }, 10000)
  await page.waitForTimeout(500)
  const after = await heap()
  await close()
  return +((after - before) / 1024 / 1024).toFixed(2)
})()

await browser.close()
server.close()

// What each part of the bundle weighs: the same build with that part stood in for by a
// do-nothing version, gzip before minus after. The parts overlap a little (shared helpers).
const standIn = (name, file, transform) => ({
  name,
  setup: (b) =>
    b.onLoad({ filter: new RegExp(file.replace(/[/.]/g, '\\$&') + '$') }, (args) => ({ contents: transform(readFileSync(args.path, 'utf8')), loader: 'ts' })),
})
const PARTS = {
  chat_inputs: standIn('chat', 'src/chat-input.ts', () => 'export class ChatInputTracker {}\nexport const bindChatInputs = (..._: unknown[]) => () => {}\nexport const trackerFor = (_: unknown) => ChatInputTracker'),
  posthog_provider: standIn('posthog', 'src/providers/posthog.ts', () => 'export const postHogProvider = (o: any) => o'),
  stream_observation: standIn('streams', 'src/llm.ts', (src) => src.replace('export const observeStream = (', 'export const observeStream = (..._: unknown[]) => false\nconst unused = (')),
  debug_messages: standIn('debug', 'src/lib/log.ts', () => 'export type Log = (...args: unknown[]) => void\nexport const createLog = (_: unknown): Log => () => {}'),
}
const composition = {}
const fullGzip = gz((await cdnBundle([], true)).min.code)
for (const [part, plugin] of Object.entries(PARTS)) composition[part] = fullGzip - gz((await cdnBundle([plugin], true)).min.code)
composition.everything_else = gz((await cdnBundle(Object.values(PARTS), true)).min.code)

const results = {
  date: new Date().toISOString(),
  chromium: chromiumVersion,
  cross_origin_isolated: isolated,
  bytes: {
    snippet_min: snippet.length,
    snippet_gzip: gz(snippet),
    lumina_min: ours.length,
    lumina_gzip: gz(ours),
    lumina_brotli: br(ours),
    posthog_array_js: posthog.length,
    posthog_array_js_gzip: gz(posthog),
    posthog_array_js_brotli: br(posthog),
  },
  load: { ours: oursLoad, posthog: phLoad, page_loads: LOADS },
  turn_main_thread_us: { median: +median(turnUs).toFixed(1), p95: +[...turnUs].sort((a, b) => a - b)[Math.floor(turnUs.length * 0.95)].toFixed(1), n: TURNS },
  posthog_capture_us: { median: +median(captureUs).toFixed(1), n: TURNS },
  encode_events_per_s: encode,
  outage_10k_turns_heap_growth_mb: outage,
  bundle_gzip_by_part: composition,
}
results.turn_vs_posthog_capture = +(results.posthog_capture_us.median / results.turn_main_thread_us.median).toFixed(1)
results.budgets = {
  snippet_min_le_700: results.bytes.snippet_min <= 700,
  lumina_gzip_le_6144: results.bytes.lumina_gzip <= 6144,
  turn_median_le_50us: results.turn_main_thread_us.median <= 50,
  outage_heap_growth_lt_5mb: outage < 5,
}
writeFileSync(root + 'bench/results.json', JSON.stringify(results, null, 2) + '\n')

const row = (what, ours, theirs, budget = '') => console.log(`${what.padEnd(34)} ${String(ours).padStart(14)} ${String(theirs).padStart(14)}   ${budget}`)
console.log(`\n${'measure'.padEnd(34)} ${'lumina'.padStart(14)} ${'posthog-js'.padStart(14)}   budget`)
row('snippet min / gzip (B)', `${results.bytes.snippet_min} / ${results.bytes.snippet_gzip}`, '', results.budgets.snippet_min_le_700 ? '≤ 700 ok' : '≤ 700 OVER')
row('bundle min (B)', results.bytes.lumina_min, results.bytes.posthog_array_js)
row('bundle gzip (B)', results.bytes.lumina_gzip, results.bytes.posthog_array_js_gzip, results.budgets.lumina_gzip_le_6144 ? '≤ 6144 ok' : '≤ 6144 OVER')
row('bundle brotli (B)', results.bytes.lumina_brotli, results.bytes.posthog_array_js_brotli)
row(`evaluation, median of ${LOADS} (ms)`, oursLoad.eval_ms, phLoad.eval_ms, '≤ 3 goal')
row('heap after init (KiB)', oursLoad.heap_after_init_kb, phLoad.heap_after_init_kb)
row('one turn vs one capture (µs)', results.turn_main_thread_us.median, results.posthog_capture_us.median, results.budgets.turn_median_le_50us ? '≤ 50 ok' : '≤ 50 OVER')
row('  ratio (capture / turn)', `${results.turn_vs_posthog_capture}×`, '')
row('NDJSON encode + send (events/s)', encode, '')
row('10k turns, collector down: heap +MB', outage, '', results.budgets.outage_heap_growth_lt_5mb ? '< 5 ok' : '< 5 OVER')
console.log(`bundle gzip by part (B): ${Object.entries(composition).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`).join(' · ')}`)
console.log(`\ncross-origin isolated (5 µs timer): ${isolated}; results in bench/results.json`)
