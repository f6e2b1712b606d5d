// `npm run bench`: sizes, bundle evaluation, script time during page load, heap, per-turn
// main-thread cost (a 1,000-turn burst and a paced, cold stream of 200 turns at 20/s), bytes
// on the wire per turn, and encode throughput: ours beside posthog-js, measured in the same
// run on this machine in Chromium. Writes bench/results.json and prints one table. Not part
// of `npm test` (timings vary).
import { createServer } from 'node:http'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { gzipSync, gunzipSync, brotliCompressSync, constants } from 'node:zlib'
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
/** The paced stream: one turn per user message is the realistic rate. */
const PACED = { n: 200, gapMs: 50 }

// A static server with cross-origin isolation (COOP/COEP): performance.now() then has 5 µs
// resolution instead of 100 µs, fine enough to time one turn.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
}
const INIT_OURS = `lumina.init({ writeKey: 'bench', endpoint: location.origin, captureTranscript: 'full' })`
const INIT_POSTHOG = `posthog.init('phc_bench', { api_host: location.origin + '/ph', opt_out_useragent_filter: true, autocapture: false, capture_pageview: false, disable_session_recording: true, advanced_disable_flags: true })`
/** Pages that load a bundle as a site does (an external script, then init) for the load-time script cost. */
// `__t` marks, for the breakdown: after the bundle ran, after init, after session.start().
const LOAD_PAGES = {
  '/load/none': '',
  '/load/ours': `<script src="/ours.js"></script><script>__t = [performance.now()]; ${INIT_OURS}; __t.push(performance.now()); lumina.session.start(); __t.push(performance.now())</script>`,
  '/load/posthog': `<script src="/posthog.js"></script><script>__t = [performance.now()]; ${INIT_POSTHOG}; __t.push(performance.now())</script>`,
}
/**
 * What reached the collectors, per prefix: request count, body bytes as sent (compressed if
 * the SDK compressed), header bytes, and (ours) the turn lines in the bodies.
 */
const wire = { collect: { requests: 0, body: 0, headers: 0, turns: 0 }, ph: { requests: 0, body: 0, headers: 0, turns: 0 } }
const resetWire = () => {
  for (const w of Object.values(wire)) {
    Object.assign(w, { requests: 0, body: 0, headers: 0, turns: 0 })
  }
}
const server = createServer((req, res) => {
  const path = req.url.split('?')[0]
  if (path == '/ours.js') {
    return res.writeHead(200, { 'Content-Type': 'text/javascript', ...isolation }).end(ours)
  }
  if (path == '/posthog.js') {
    return res.writeHead(200, { 'Content-Type': 'text/javascript', ...isolation }).end(posthog)
  }
  if (path.startsWith('/collect/') || path.startsWith('/ph/')) {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const w = wire[path.startsWith('/ph/') ? 'ph' : 'collect']
      if (req.method == 'POST') {
        w.requests++
        w.body += body.length
        // the request line and headers as the client wrote them
        w.headers += `${req.method} ${req.url} HTTP/1.1\r\n`.length + req.rawHeaders.reduce((n, h) => n + h.length + 2, 0) + 2 // "name: value\r\n" each, then "\r\n"
        if (w == wire.collect) {
          const text = (req.headers['content-encoding'] == 'gzip' ? gunzipSync(body) : body).toString()
          w.turns += text.split('\n').filter((l) => l.includes('"name":"turn"')).length
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*', ...isolation }).end('{}')
    })
    return
  }
  if (path in LOAD_PAGES) {
    return res.writeHead(200, { 'Content-Type': 'text/html', ...isolation }).end(`<!doctype html><title>load</title>${LOAD_PAGES[path]}`)
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
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--js-flags=--expose-gc',
  ],
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
  return { page, heap, cdp, close: () => context.close() }
}

/** One of Chromium's own counters for the page (Performance.getMetrics), in ms. */
const metricMs = async (cdp, name) => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name == name).value * 1000

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
  window.posthog.init('phc_bench', {
    api_host: origin + '/ph',
    opt_out_useragent_filter: true,
    autocapture: false,
    capture_pageview: false,
    disable_session_recording: true,
    advanced_disable_flags: true,
  })

const oursLoad = await loadCost('/ours.js', initOurs)
const phLoad = await loadCost('/posthog.js', initPostHog)

/**
 * Script time during a page load: Chromium's ScriptDuration for a fresh page (nothing cached,
 * nothing stored) that loads the bundle from a <script src>, calls init (ours: and
 * session.start()), then sits 500 ms so what runs at load (load/pageshow handlers, timers
 * set by init) is counted; minus the same page without scripts. Median of LOADS loads.
 */
const loadScriptMs = async (path) => {
  const total = []
  const parts = []
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext()
    const page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    await page.goto(origin + path, { waitUntil: 'load' })
    await page.waitForTimeout(500)
    total.push(await metricMs(cdp, 'ScriptDuration')) // read before evaluate() adds its own
    // The breakdown from the page's own clock: the bundle's evaluation is from the end of its
    // download to the next script (the parser waits on it), then each call.
    parts.push(
      await page.evaluate(() => {
        const t = window.__t
        if (!t) {
          return []
        }
        const js = performance.getEntriesByType('resource').find((e) => /\/(ours|posthog)\.js$/.test(e.name))
        return [t[0] - js.responseEnd, ...t.slice(1).map((x, i) => x - t[i])]
      }),
    )
    await context.close()
  }
  return { total: median(total), parts: (parts[0] || []).map((_, i) => +median(parts.map((p) => p[i])).toFixed(2)) }
}
const loadBaseline = (await loadScriptMs('/load/none')).total
const loadOurs = await loadScriptMs('/load/ours')
const loadPostHog = await loadScriptMs('/load/posthog')
const loadScript = {
  ours_ms: +(loadOurs.total - loadBaseline).toFixed(2),
  posthog_ms: +(loadPostHog.total - loadBaseline).toFixed(2),
  baseline_ms: +loadBaseline.toFixed(2),
  // from performance.now() in the page (medians); the rest of ScriptDuration ran after them (load handlers, timers)
  ours_parts_ms: { bundle_eval: loadOurs.parts[0], init: loadOurs.parts[1], session_start: loadOurs.parts[2] },
  posthog_parts_ms: { bundle_eval: loadPostHog.parts[0], init: loadPostHog.parts[1] },
}

/**
 * The paced stream: PACED.n turns (posthog: captures of the same generation) one every
 * PACED.gapMs in a fresh page, the first one cold. Per event: the median time of the call
 * itself (ours: the whole turn, start to finish() settled), and the page's whole main-thread
 * time (Chromium's TaskDuration: timers, batching, serialising, sending) over the stream and
 * a final flush, minus the same stream of empty iterations. Bytes on the wire: what reached
 * the collector (request line, headers, body as sent) per turn.
 */
const pacedRun = async (kind) => {
  const { page, cdp, close } = await freshPage()
  if (kind == 'ours') {
    await page.addScriptTag({ url: '/ours.js' })
    await page.evaluate(initOurs, { origin })
    await page.evaluate(() => window.lumina.session.start())
  }
  if (kind == 'posthog') {
    await page.addScriptTag({ url: '/posthog.js' })
    await page.evaluate(initPostHog, { origin })
  }
  await page.waitForTimeout(200)
  await cdp.send('Performance.enable')
  resetWire()
  const before = await metricMs(cdp, 'TaskDuration')
  const times = await page.evaluate(
    async ({ kind, n, gapMs }) => {
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
      const messages = [
        { role: 'user', content: 'What is the refund policy for annual plans?' },
        { role: 'assistant', content: 'Annual plans can be refunded within 30 days of purchase.' },
      ]
      const s = kind == 'ours' ? await window.lumina.session.start() : undefined
      const times = []
      for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        if (kind == 'ours') {
          const turn = s.turn()
          await turn.wrapLLM(() => Promise.resolve({ usage: { prompt_tokens: 20, completion_tokens: 12 } }), {
            model: 'gpt-4o-mini',
            prompt_id: 'refunds',
          })
          turn.setMessages(messages)
          turn.annotate({ topic: 'billing', experiment: 'b' })
          await turn.finish()
        }
        if (kind == 'posthog') {
          window.posthog.capture('$ai_generation', {
            $ai_model: 'gpt-4o-mini',
            $ai_provider: 'openai',
            $ai_latency: 0.8,
            $ai_input_tokens: 20,
            $ai_output_tokens: 12,
            $ai_trace_id: 't',
            $ai_span_id: 's',
            $ai_input: [messages[0]],
            $ai_output_choices: [messages[1]],
          })
        }
        times.push((performance.now() - t0) * 1000)
        await sleep(gapMs)
      }
      if (kind == 'ours') {
        await window.lumina.flush()
      }
      await sleep(4000) // posthog sends its queue on a ~3 s timer
      return times
    },
    { kind, ...PACED },
  )
  const taskMs = (await metricMs(cdp, 'TaskDuration')) - before
  const sent = { ...wire[kind == 'posthog' ? 'ph' : 'collect'] }
  await close()
  return { times, taskMs, sent }
}
const pacedIdle = await pacedRun('none')
const pacedOf = async (kind) => {
  const { times, taskMs, sent } = await pacedRun(kind)
  const events = kind == 'ours' ? sent.turns : PACED.n
  return {
    call_us_median: +median(times).toFixed(1),
    first_call_us: +times[0].toFixed(1),
    main_thread_us_per_event: +(((taskMs - pacedIdle.taskMs) * 1000) / PACED.n).toFixed(1),
    requests: sent.requests,
    events_arrived: events,
    body_bytes_per_event: events ? Math.round(sent.body / events) : null,
    wire_bytes_per_event: events ? Math.round((sent.body + sent.headers) / events) : null,
  }
}
const paced = {
  ours: await pacedOf('ours'),
  posthog: await pacedOf('posthog'),
  n: PACED.n,
  per_s: 1000 / PACED.gapMs,
  idle_task_ms: +pacedIdle.taskMs.toFixed(1),
}

// Main-thread cost of one complete turn, and of one posthog.capture of the same generation.
const { page, close } = await freshPage()
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
      $ai_model: 'gpt-4o-mini',
      $ai_provider: 'openai',
      $ai_latency: 0.8,
      $ai_input_tokens: 20,
      $ai_output_tokens: 12,
      $ai_trace_id: 't',
      $ai_span_id: 's',
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
    for (let i = 0; i < n; i++) {
      window.lumina._track('chat_message_submitted', fields, true)
    }
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
      t.setMessages([
        { role: 'user', content: 'hello ' + i },
        { role: 'assistant', content: 'hi there' },
      ])
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
    b.onLoad({ filter: new RegExp(file.replace(/[/.]/g, '\\$&') + '$') }, (args) => ({
      contents: transform(readFileSync(args.path, 'utf8')),
      loader: 'ts',
    })),
})
const PARTS = {
  chat_inputs: standIn(
    'chat',
    'src/chat-input.ts',
    () =>
      'export class ChatInputTracker {}\nexport const bindChatInputs = (..._: unknown[]) => () => {}\nexport const trackerFor = (_: unknown) => ChatInputTracker',
  ),
  posthog_provider: standIn('posthog', 'src/providers/posthog.ts', () => 'export const postHogProvider = (o: any) => o'),
  stream_observation: standIn('streams', 'src/llm.ts', (src) =>
    src.replace('export const observeStream = (', 'export const observeStream = (..._: unknown[]) => false\nconst unused = ('),
  ),
  debug_messages: standIn(
    'debug',
    'src/lib/log.ts',
    () => 'export type Log = (...args: unknown[]) => void\nexport const createLog = (_: unknown): Log => () => {}',
  ),
}
const composition = {}
const fullGzip = gz((await cdnBundle([], true)).min.code)
for (const [part, plugin] of Object.entries(PARTS)) {
  composition[part] = fullGzip - gz((await cdnBundle([plugin], true)).min.code)
}
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
  load_script_ms: loadScript,
  paced,
  turn_main_thread_us: {
    median: +median(turnUs).toFixed(1),
    p95: +[...turnUs].sort((a, b) => a - b)[Math.floor(turnUs.length * 0.95)].toFixed(1),
    n: TURNS,
  },
  posthog_capture_us: { median: +median(captureUs).toFixed(1), n: TURNS },
  encode_events_per_s: encode,
  outage_10k_turns_heap_growth_mb: outage,
  bundle_gzip_by_part: composition,
}
results.turn_vs_posthog_capture = +(results.posthog_capture_us.median / results.turn_main_thread_us.median).toFixed(1)
results.budgets = {
  snippet_min_le_700: results.bytes.snippet_min <= 700,
  lumina_gzip_le_8192: results.bytes.lumina_gzip <= 8192,
  turn_median_le_50us: results.turn_main_thread_us.median <= 50,
  load_script_le_6ms: loadScript.ours_ms <= 6,
  paced_turn_le_80us: paced.ours.main_thread_us_per_event <= 80,
  wire_bytes_per_turn_le_400: paced.ours.wire_bytes_per_event <= 400,
  outage_heap_growth_lt_5mb: outage < 5,
}
writeFileSync(root + 'bench/results.json', JSON.stringify(results, null, 2) + '\n')

const row = (what, ours, theirs, budget = '') =>
  console.log(`${what.padEnd(34)} ${String(ours).padStart(14)} ${String(theirs).padStart(14)}   ${budget}`)
console.log(`\n${'measure'.padEnd(34)} ${'lumina'.padStart(14)} ${'posthog-js'.padStart(14)}   budget`)
row(
  'snippet min / gzip (B)',
  `${results.bytes.snippet_min} / ${results.bytes.snippet_gzip}`,
  '',
  results.budgets.snippet_min_le_700 ? '≤ 700 ok' : '≤ 700 OVER',
)
row('bundle min (B)', results.bytes.lumina_min, results.bytes.posthog_array_js)
row(
  'bundle gzip (B)',
  results.bytes.lumina_gzip,
  results.bytes.posthog_array_js_gzip,
  results.budgets.lumina_gzip_le_8192 ? '≤ 8192 ok' : '≤ 8192 OVER',
)
row('bundle brotli (B)', results.bytes.lumina_brotli, results.bytes.posthog_array_js_brotli)
row(`evaluation, median of ${LOADS} (ms)`, oursLoad.eval_ms, phLoad.eval_ms, '≤ 3 goal')
row('heap after init (KiB)', oursLoad.heap_after_init_kb, phLoad.heap_after_init_kb)
row('script time during load (ms)', loadScript.ours_ms, loadScript.posthog_ms, results.budgets.load_script_le_6ms ? '≤ 6 ok' : '≤ 6 OVER')
row(
  '  page clock: eval / init / start (ms)',
  Object.values(loadScript.ours_parts_ms).join(' / '),
  Object.values(loadScript.posthog_parts_ms).join(' / '),
)
row(
  'burst: one turn vs one capture (µs)',
  results.turn_main_thread_us.median,
  results.posthog_capture_us.median,
  results.budgets.turn_median_le_50us ? '≤ 50 ok' : '≤ 50 OVER',
)
row(`paced ${paced.n} at ${paced.per_s}/s: call (µs)`, paced.ours.call_us_median, paced.posthog.call_us_median)
row('  first call, cold (µs)', paced.ours.first_call_us, paced.posthog.first_call_us)
row(
  '  main thread per event (µs)',
  paced.ours.main_thread_us_per_event,
  paced.posthog.main_thread_us_per_event,
  results.budgets.paced_turn_le_80us ? '≤ 80 ok' : '≤ 80 OVER',
)
row(
  '  bytes on the wire per event',
  paced.ours.wire_bytes_per_event,
  paced.posthog.wire_bytes_per_event,
  results.budgets.wire_bytes_per_turn_le_400 ? '≤ 400 ok' : '≤ 400 OVER',
)
row('  body bytes per event', paced.ours.body_bytes_per_event, paced.posthog.body_bytes_per_event)
row(
  '  requests / events arrived',
  `${paced.ours.requests} / ${paced.ours.events_arrived}`,
  `${paced.posthog.requests} / ${paced.posthog.events_arrived}`,
)
row('  ratio (capture / turn)', `${results.turn_vs_posthog_capture}×`, '')
row('NDJSON encode + send (events/s)', encode, '')
row('10k turns, collector down: heap +MB', outage, '', results.budgets.outage_heap_growth_lt_5mb ? '< 5 ok' : '< 5 OVER')
console.log(
  `bundle gzip by part (B): ${Object.entries(composition)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`)
    .join(' · ')}`,
)
console.log(`\ncross-origin isolated (5 µs timer): ${isolated}; results in bench/results.json`)
await import('./ingest.mjs') // the ingest section: its own file (collector, disk, ClickHouse)
await import('./server.mjs') // the server side: await finish() confirmed, concurrent requests, exit
// Insights at 1,000,000 turns: loading the fixture takes ~15-20 min the first time; set
// BENCH_INSIGHTS_DATA=<dir> to keep it for the next run, or BENCH_INSIGHTS=0 to skip the section.
if (process.env.BENCH_INSIGHTS != '0') {
  await import('./insights.mjs')
}
