// The event schema, compiled once: the ingest's one definition of a valid line.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Ajv2020 from 'ajv/dist/2020.js'

// a path, not a URL object: under jsdom (the unit tests) the global URL is jsdom's, which fs refuses
const schema = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../schema/event.schema.json'), 'utf8'))
export const validate = new Ajv2020({ allErrors: false, strict: false }).compile(schema)

/** The first schema error of the last validate() call, as one short line. */
export const firstError = () => {
  const err = validate.errors && validate.errors[0]
  return err ? `${err.instancePath || '/'} ${err.message}`.slice(0, 200) : 'invalid'
}
