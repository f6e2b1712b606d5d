// Fixture stores for the insights tests and bench, written the ingest's way: the embedded store
// (collector/store.mjs) through its append(), and ClickHouse through the ingest's DDL and row
// mapping (collector/clickhouse/). Events must already be stored events (id, project, received_at first).
import { ddlStatements } from '../../collector/clickhouse/loader.mjs'
import { rowOf } from '../../collector/clickhouse/row.mjs'

/** Appends events to an open store in batches (each batch is one fsync). */
export const appendAll = async (store, events, batch = 10_000) => {
  for (let i = 0; i < events.length; i += batch) {
    await store.append(events.slice(i, i + batch))
  }
}

/** Creates the database and the table with the ingest's DDL. */
export const applySchema = async (client, db = 'lumina') => {
  for (const query of ddlStatements(db)) {
    await client.command({ query })
  }
}

/** Inserts events as rows in batches of `batch` (ClickHouse wants few, large inserts). */
export const loadEvents = async (client, table, events, batch = 50_000) => {
  for (let i = 0; i < events.length; i += batch) {
    await client.insert({ table, values: events.slice(i, i + batch).map((e) => rowOf(e)), format: 'JSONEachRow' })
  }
}
