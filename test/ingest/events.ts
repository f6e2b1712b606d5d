// Event builders and HTTP helpers shared by the collector's tests.
export const event = (over: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  source: 'sdk',
  name: 'chat_input_started',
  ts: new Date().toISOString(),
  distinct_id: 'anon_x',
  sdk: { name: 'luminasdk', version: '0.1.0' },
  ...over,
})

const hex = (n: number) =>
  Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)])
    .join('')
    .replace(/^0/, '1')

export const turn = (over: Record<string, unknown> = {}) => {
  const trace = hex(32)
  const span = hex(16)
  const now = new Date().toISOString()
  return event({
    name: 'turn',
    session_id: trace,
    turn_id: span,
    seq: 1,
    traceparent: `00-${trace}-${span}-01`,
    started_at: now,
    ended_at: now,
    latency_ms: 120,
    status: 'ok',
    model: 'gpt-4o',
    usage: { input_tokens: 1000, output_tokens: 100 },
    ...over,
  })
}

export const ndjson = (...events: object[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n'

export const post = (
  base: string,
  body: string | Uint8Array,
  { key = 'wk_demo', query = false, type = 'application/x-ndjson', headers = {} as Record<string, string> } = {},
) =>
  fetch(`${base}/collect/sdk/events${query ? `?key=${key}` : ''}`, {
    method: 'POST',
    body: body as BodyInit,
    headers: { 'Content-Type': type, ...(query ? {} : { 'X-Api-Key': key }), ...headers },
  })

/** Reads an SSE response until `until(text)` holds or `ms` pass; returns the text read. */
export const readSse = async (res: Response, until: (text: string) => boolean, ms = 5000) => {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  const deadline = Date.now() + ms
  while (!until(text) && Date.now() < deadline) {
    const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, deadline - Date.now())))])
    if (!next || next.done) {
      break
    }
    text += decoder.decode(next.value, { stream: true })
  }
  reader.cancel().catch(() => {})
  return text
}

export const KEYS = [
  { project: 'demo', writeKey: 'wk_demo', readKey: 'rk_demo_secret' },
  { project: 'other', writeKey: 'wk_other', readKey: 'rk_other_secret' },
]
