// A deterministic fixture of stored events (what the ingest store holds: the SDK's lines plus
// `project`, `received_at`, `cost_usd`, `cost_source`) for the insights tests and the bench:
// sessions of anonymous and identified users, chat inputs started, submitted and abandoned,
// turns over two models and prompts with every status, time to first token, usage, priced and
// unpriced, `incomplete` events superseded by the final one (and one never finished), server
// turns under browser turns (parent_span_id), feedback both ways.

/** mulberry32: a small seeded PRNG, so the fixture is the same on every run. */
const rng = (seed) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const hex = (random, n) => {
  let s = ''
  for (let i = 0; i < n; i++) {
    s += ((random() * 16) | 0).toString(16)
  }
  return s
}
const uuid = (random) => `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`

const MODELS = [
  { model: 'gpt-4o-mini', price: [0.15e-6, 0.6e-6] },
  { model: 'claude-3-5-sonnet', price: [3e-6, 15e-6] },
  { model: 'in-house-7b', price: null }, // unknown to the price table: unpriced
]
const PROMPTS = ['support-v3', 'onboarding-v1']
const SDK = { name: 'luminasdk', version: '0.1.0' }

/**
 * @param {{ turns: number, project?: string, startMs?: number, spanMs?: number, seed?: number, onEvent(e: object): void }} options
 * Calls `onEvent` for each stored event, in received order. Returns the counts it produced.
 */
export const generateFixture = ({ onEvent, ...options }) => {
  const gen = fixtureEvents(options)
  for (;;) {
    const next = gen.next()
    if (next.done) {
      return next.value
    }
    onEvent(next.value)
  }
}

/**
 * The same events as a generator (for fixtures too large to hold in memory); returns the counts.
 * @param {{ turns: number, project?: string, startMs?: number, spanMs?: number, seed?: number }} options
 */
export function* fixtureEvents({ turns, project = 'demo', startMs = Date.UTC(2026, 10, 1), spanMs = 7 * 86400e3, seed = 18 }) {
  const random = rng(seed)
  const users = Math.max(3, Math.round(turns / 20))
  const stats = { events: 0, turns: 0 }
  let made = 0
  let sessionNo = 0
  const event = (e, tsMs) => {
    stats.events++
    return {
      id: uuid(random),
      project,
      received_at: new Date(tsMs + 300).toISOString(),
      source: 'sdk',
      ts: new Date(tsMs).toISOString(),
      sdk: SDK,
      ...e,
    }
  }
  while (made < turns) {
    sessionNo++
    const userNo = Math.floor(random() * users)
    const identified = userNo % 3 == 0
    const distinct_id = identified ? `user_${userNo}` : `anon_${userNo.toString(16).padStart(8, '0')}-0000-4000-a000-000000000000`
    const session_id = hex(random, 32)
    const replay = random() < 0.7 ? `https://eu.posthog.com/project/1/replay/${session_id.slice(0, 12)}` : ''
    let t = startMs + Math.floor(random() * spanMs)
    const perSession = 1 + Math.floor(random() * 5)
    for (let seq = 1; seq <= perSession && made < turns; seq++) {
      yield event({ name: 'chat_input_started', distinct_id, session_id }, t)
      const typing = 800 + Math.floor(random() * 6000)
      t += typing
      if (random() < 0.15) {
        yield event(
          {
            name: 'chat_input_abandoned',
            distinct_id,
            session_id,
            typing_duration_ms: typing,
            character_count: 5 + Math.floor(random() * 40),
            partial_content_hash: hex(random, 16),
          },
          t,
        )
        t += 2000
        yield event({ name: 'chat_input_started', distinct_id, session_id }, t)
        t += 1500
      }
      const message_id = uuid(random)
      yield event(
        {
          name: 'chat_message_submitted',
          distinct_id,
          session_id,
          message_id,
          typing_duration_ms: typing,
          character_count: 10 + Math.floor(random() * 80),
          content_hash: hex(random, 16),
        },
        t,
      )
      const { model, price } = MODELS[Math.floor(random() * random() * MODELS.length)]
      const prompt_id = PROMPTS[random() < 0.7 ? 0 : 1]
      const turn_id = hex(random, 16)
      const r = random()
      const status = r < 0.06 ? 'error' : r < 0.14 ? 'aborted' : 'ok'
      const ttft = status == 'error' ? null : Math.round(150 + random() * random() * 2500)
      const latency = Math.round((ttft ?? 0) + 200 + random() * 4000)
      const started = t + 5
      const ended = started + latency
      const usage = status == 'error' ? undefined : { input_tokens: 20 + Math.floor(random() * 800), output_tokens: 10 + Math.floor(random() * 600) }
      const serverSide = random() < 0.25 // the backend continued the trace: its turn has the tokens
      const own = serverSide ? undefined : usage
      const costOf = (u) => (u && price ? u.input_tokens * price[0] + u.output_tokens * price[1] : null)
      const turn = {
        name: 'turn',
        distinct_id,
        session_id,
        turn_id,
        seq,
        traceparent: `00-${session_id}-${turn_id}-01`,
        started_at: new Date(started).toISOString(),
        ended_at: new Date(ended).toISOString(),
        latency_ms: latency,
        model,
        prompt_id,
        status,
        provider: 'openai',
        ...(ttft != null ? { time_to_first_token_ms: ttft } : {}),
        ...(own ? { usage: own } : {}),
        ...(status == 'error' ? { error: { type: 'RateLimitError', message: 'The model is overloaded' } } : {}),
        ...(status == 'aborted' ? { output_characters: Math.floor(random() * 300) } : {}),
        ...(random() < 0.2
          ? {
              tool_calls: [
                {
                  span_id: hex(random, 16),
                  name: 'weather',
                  type: 'function',
                  target: 'weather-api',
                  version: '2',
                  started_at: new Date(started).toISOString(),
                  status: 'ok',
                  latency_ms: 120,
                },
              ],
            }
          : {}),
        ...(replay ? { ui_session_id: session_id.slice(0, 12), ui_replay_url: replay } : {}),
        cost_usd: costOf(own),
        cost_source: own ? (price ? 'genai-prices' : null) : null,
      }
      if (random() < 0.04) {
        // page hidden mid-stream: an `incomplete` event first; most get their final one later
        yield event(
          {
            ...turn,
            status: 'incomplete',
            ended_at: undefined,
            latency_ms: Math.round(latency / 2),
            usage: undefined,
            cost_usd: null,
            cost_source: null,
          },
          started + latency / 2,
        )
        if (random() < 0.2) {
          made++
          stats.turns++
          t = ended + 1000
          continue
        }
      }
      if (serverSide && usage) {
        const server_turn = hex(random, 16)
        yield event(
          {
            name: 'turn',
            distinct_id,
            session_id,
            turn_id: server_turn,
            parent_span_id: turn_id,
            seq: 1,
            traceparent: `00-${session_id}-${server_turn}-01`,
            started_at: new Date(started + 20).toISOString(),
            ended_at: new Date(ended - 30).toISOString(),
            latency_ms: latency - 50,
            model,
            prompt_id,
            status: status == 'aborted' ? 'ok' : status,
            usage,
            provider: 'openai',
            cost_usd: costOf(usage),
            cost_source: price ? 'genai-prices' : null,
          },
          ended - 30,
        )
      }
      yield event(turn, ended)
      made++
      stats.turns++
      t = ended + 500
      if (status != 'error' && random() < 0.25) {
        t += 1500
        yield event({ name: 'feedback', distinct_id, session_id, turn_id, score: random() < 0.65 ? 1 : -1 }, t)
      }
      t += 3000 + Math.floor(random() * 20000)
    }
  }
  stats.sessions = sessionNo
  return stats
}
