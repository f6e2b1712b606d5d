// Puts stored events into a ClickHouse `events` table for the insights tests and bench. The
// table's DDL is the ingest's (collector/clickhouse/schema.sql) when it exists; until then the
// interface's DDL below. rowOf maps a stored line to the table's columns the same way.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const SCHEMA = fileURLToPath(new URL('../../collector/clickhouse/schema.sql', import.meta.url))

const FALLBACK_DDL = (db) => `CREATE TABLE IF NOT EXISTS ${db}.events (
  project String, id String, name String, ts_ms UInt64, day Date,
  distinct_id String, session_id String, turn_id String, parent_span_id String,
  seq UInt32, model String, prompt_id String, status String,
  latency_ms Nullable(Float64), ttft_ms Nullable(Float64),
  input_tokens Nullable(UInt64), output_tokens Nullable(UInt64),
  cost_usd Nullable(Float64), cost_source String,
  ui_replay_url String, user_id String, previous_id String,
  score Nullable(Float64), message_id String, typing_duration_ms Nullable(Float64),
  received_ms UInt64, raw String
) ENGINE = ReplacingMergeTree(received_ms) PARTITION BY toYYYYMM(day) ORDER BY (project, id)`

/** Creates the database and the table. */
export const applySchema = async (client, db = 'lumina') => {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` })
  const statements = existsSync(SCHEMA)
    ? readFileSync(SCHEMA, 'utf8').replaceAll('{db}', db).replaceAll('${db}', db).split(/;\s*$/m).map((s) => s.trim()).filter(Boolean)
    : [FALLBACK_DDL(db)]
  for (const query of statements) await client.command({ query })
}

const num = (v) => (typeof v == 'number' && Number.isFinite(v) ? v : null)
const str = (v) => (typeof v == 'string' ? v : '')

/** A stored event as a row of the table. */
export const rowOf = (e) => {
  const ts_ms = Date.parse(e.ts)
  return {
    project: str(e.project), id: str(e.id), name: str(e.name), ts_ms, day: new Date(ts_ms).toISOString().slice(0, 10),
    distinct_id: str(e.distinct_id), session_id: str(e.session_id), turn_id: str(e.turn_id), parent_span_id: str(e.parent_span_id),
    seq: num(e.seq) ?? 0, model: str(e.model), prompt_id: str(e.prompt_id), status: str(e.status),
    latency_ms: num(e.latency_ms), ttft_ms: num(e.time_to_first_token_ms),
    input_tokens: num(e.usage?.input_tokens), output_tokens: num(e.usage?.output_tokens),
    cost_usd: num(e.cost_usd), cost_source: str(e.cost_source),
    ui_replay_url: str(e.ui_replay_url), user_id: str(e.user_id), previous_id: str(e.previous_id),
    score: num(e.score), message_id: str(e.message_id), typing_duration_ms: num(e.typing_duration_ms),
    received_ms: Date.parse(e.received_at) || ts_ms, raw: JSON.stringify(e),
  }
}

/** Inserts events in batches of `batch` rows (ClickHouse wants few, large inserts). */
export const loadEvents = async (client, table, events, batch = 50_000) => {
  for (let i = 0; i < events.length; i += batch)
    await client.insert({ table, values: events.slice(i, i + batch).map(rowOf), format: 'JSONEachRow' })
}
