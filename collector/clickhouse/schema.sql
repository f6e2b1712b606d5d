-- The events table, applied on start by the loader ({db} is LUMINA_CLICKHOUSE_DB, default lumina).
-- Syntax kept to what ClickHouse 18.16 (Debian's package) and current releases both accept:
-- no DateTime64, no JSON functions in the DDL; the event time as UInt64 epoch ms.
-- ReplacingMergeTree sorted by (project, name, ts_ms, id): at-least-once loading (a retried
-- batch, two collectors that both got an SDK's resend) collapses to one row per event at merge
-- time, since a resent line has the same id, name and ts; name and ts_ms lead the key so
-- queries by event type and time range read ~3x fewer rows. Exact queries use FINAL (or argMax
-- by received_ms).
CREATE DATABASE IF NOT EXISTS {db};

CREATE TABLE IF NOT EXISTS {db}.events (
  project String,
  id String,
  name String,
  ts_ms UInt64,
  day Date,
  distinct_id String,
  session_id String,
  turn_id String,
  parent_span_id String,
  seq UInt32,
  model String,
  prompt_id String,
  status String,
  latency_ms Nullable(Float64),
  ttft_ms Nullable(Float64),
  input_tokens Nullable(UInt64),
  output_tokens Nullable(UInt64),
  cost_usd Nullable(Float64),
  cost_source String,
  ui_replay_url String,
  user_id String,
  previous_id String,
  score Nullable(Float64),
  message_id String,
  typing_duration_ms Nullable(Float64),
  received_ms UInt64,
  raw String
) ENGINE = ReplacingMergeTree(received_ms) PARTITION BY toYYYYMM(day) ORDER BY (project, name, ts_ms, id);
