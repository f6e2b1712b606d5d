// The event schema, compiled once: the ingest's one definition of a valid line.
import { readFileSync } from 'node:fs'
import Ajv2020 from 'ajv/dist/2020.js'

const schema = JSON.parse(readFileSync(new URL('../schema/event.schema.json', import.meta.url), 'utf8'))
export const validate = new Ajv2020({ allErrors: false, strict: false }).compile(schema)

/** The first schema error of the last validate() call, as one short line. */
export const firstError = () => {
  const err = validate.errors && validate.errors[0]
  return err ? `${err.instancePath || '/'} ${err.message}`.slice(0, 200) : 'invalid'
}
