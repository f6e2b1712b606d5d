// A session's timeline, built from its stored events (the same code for both engines): chat
// input started -> submitted (typing time) -> turn (TTFT, latency, tokens, tool calls, status)
// -> feedback, abandoned inputs where they happened, each server turn under the browser turn
// whose span it continues (parent_span_id), the replay link, and the transcript when captured.

const num = (v) => (typeof v == 'number' && Number.isFinite(v) ? v : null)

const turnItem = (e) => ({
  kind: 'turn',
  ts_ms: Date.parse(e.ts),
  started_ms: Date.parse(e.started_at) || Date.parse(e.ts) - (num(e.latency_ms) ?? 0),
  turn_id: e.turn_id,
  seq: num(e.seq),
  model: e.model || '',
  prompt_id: e.prompt_id || '',
  status: e.status || '',
  error: e.error ? { type: String(e.error.type || ''), message: String(e.error.message || '') } : null,
  ttft_ms: num(e.time_to_first_token_ms),
  latency_ms: num(e.latency_ms),
  input_tokens: num(e.usage?.input_tokens),
  output_tokens: num(e.usage?.output_tokens),
  cost_usd: num(e.cost_usd),
  output_characters: num(e.output_characters),
  tool_calls: Array.isArray(e.tool_calls)
    ? e.tool_calls.map((t) => ({
        name: String(t.name || ''),
        type: String(t.type || ''),
        status: String(t.status || ''),
        latency_ms: num(t.latency_ms),
      }))
    : [],
  ui_replay_url: e.ui_replay_url || '',
  messages: Array.isArray(e.messages) ? e.messages : null,
  server_turns: [],
})

/**
 * @param {string} sessionId
 * @param {object[]} events the session's events and the feedback on its turns, any order
 */
export const buildTimeline = (sessionId, events) => {
  const turns = new Map()
  const children = new Map()
  const items = []
  let distinctId = ''
  for (const e of events) {
    if (e.name == 'turn') {
      const item = turnItem(e)
      const map = e.parent_span_id ? children : turns
      const prev = map.get(e.turn_id)
      if (prev && prev.status != 'incomplete') {
        continue
      }
      if (e.parent_span_id) {
        item.parent_span_id = e.parent_span_id
      }
      map.set(e.turn_id, item)
      if (!e.parent_span_id && e.distinct_id) {
        distinctId = e.distinct_id
      }
      continue
    }
    const ts_ms = Date.parse(e.ts)
    if (e.name == 'chat_input_started') {
      items.push({ kind: 'input_started', ts_ms })
    } else if (e.name == 'chat_message_submitted') {
      items.push({
        kind: 'submitted',
        ts_ms,
        message_id: e.message_id || '',
        typing_duration_ms: num(e.typing_duration_ms),
        character_count: num(e.character_count),
      })
    } else if (e.name == 'chat_input_abandoned') {
      items.push({ kind: 'abandoned', ts_ms, typing_duration_ms: num(e.typing_duration_ms), character_count: num(e.character_count) })
    } else if (e.name == 'feedback') {
      items.push({ kind: 'feedback', ts_ms, turn_id: e.turn_id || '', score: num(e.score), comment: typeof e.comment == 'string' ? e.comment : '' })
    } else if (e.name == 'identify') {
      items.push({ kind: 'identify', ts_ms, user_id: e.user_id || '', previous_id: e.previous_id || '' })
    }
  }
  for (const child of children.values()) {
    const parent = turns.get(child.parent_span_id)
    if (parent) {
      parent.server_turns.push(child)
    } else {
      items.push(child)
    } // its browser turn is not stored (or not in this session): shown on its own
  }
  for (const t of turns.values()) {
    t.server_turns.sort((a, b) => a.ts_ms - b.ts_ms)
    items.push(t)
  }
  // A turn's event is written when it ends: place it at its start so it follows the submit
  // that caused it and precedes its feedback.
  const at = (i) => (i.kind == 'turn' ? i.started_ms : i.ts_ms)
  items.sort((a, b) => at(a) - at(b) || (a.seq ?? 0) - (b.seq ?? 0))
  const replay = [...turns.values()].map((t) => t.ui_replay_url).find(Boolean) || ''
  return { session_id: sessionId, distinct_id: distinctId, ui_replay_url: replay, turns: turns.size, items }
}

/**
 * The embedded store's timeline: one scan of a day either side of `aroundMs` (the page passes
 * the turn's time; without it, the whole store), the session's events plus the feedback on its turns.
 */
export const timelineEmbedded = async (store, project, sessionId, aroundMs) => {
  const sinceMs = aroundMs != null ? Math.max(0, aroundMs - 86400e3) : undefined
  const untilMs = aroundMs != null ? aroundMs + 86400e3 : undefined
  const own = []
  const feedback = []
  for await (const e of store.scan({ project, sinceMs, untilMs })) {
    if (e.session_id == sessionId) {
      own.push(e)
    } else if (e.name == 'feedback') {
      feedback.push(e)
    }
  }
  const turnIds = new Set(own.filter((e) => e.name == 'turn').map((e) => e.turn_id))
  return buildTimeline(sessionId, [...own, ...feedback.filter((e) => turnIds.has(e.turn_id))])
}
