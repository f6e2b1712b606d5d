// Keys: a project has write keys (public, in every page: they can only append to their
// project) and read keys (secret: the live feed, quarantine, insights). A read key is never a
// write key, so a key copied from a page's source reads nothing.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname } from 'node:path'

/**
 * @typedef {{ project: string, writeKey?: string, writeKeys?: string[], readKey?: string, readKeys?: string[] }} KeyEntry
 * @typedef {{ projects: string[], projectForWriteKey(key: unknown): string | null, projectForReadKey(key: unknown): string | null, entries: { project: string, writeKeys: string[], readKeys: string[] }[] }} Keyring
 */

const PROJECT = /^[A-Za-z0-9_.-]{1,64}$/

/**
 * Builds the keyring from entries `{ project, writeKey | writeKeys, readKey | readKeys }`.
 * Throws on a config that cannot work (a key used twice, a read key equal to a write key).
 * @param {KeyEntry[]} list
 * @returns {Keyring}
 */
export const createKeyring = (list) => {
  if (!Array.isArray(list) || !list.length) {
    throw new Error('keys: expected a non-empty list of { project, writeKey, readKey }')
  }
  const write = new Map()
  const read = new Map()
  const entries = []
  for (const e of list) {
    if (!e || !PROJECT.test(String(e.project))) {
      throw new Error(`keys: bad project name ${JSON.stringify(e && e.project)}`)
    }
    const writeKeys = [...(e.writeKeys || []), ...(e.writeKey ? [e.writeKey] : [])].map(String)
    const readKeys = [...(e.readKeys || []), ...(e.readKey ? [e.readKey] : [])].map(String)
    if (!writeKeys.length) {
      throw new Error(`keys: project ${e.project} has no write key`)
    }
    for (const k of [...writeKeys, ...readKeys]) {
      if (write.has(k) || read.has(k)) {
        throw new Error(`keys: key ${k.slice(0, 6)}... is used twice`)
      }
      if (k.length < 3) {
        throw new Error(`keys: key for ${e.project} is too short`)
      }
    }
    for (const k of writeKeys) {
      write.set(k, e.project)
    }
    for (const k of readKeys) {
      if (writeKeys.includes(k)) {
        throw new Error(`keys: project ${e.project} has a read key equal to a write key`)
      }
      read.set(k, e.project)
    }
    entries.push({ project: String(e.project), writeKeys, readKeys })
  }
  return {
    entries,
    projects: entries.map((e) => e.project),
    projectForWriteKey: (key) => (typeof key == 'string' && write.get(key)) || null,
    projectForReadKey: (key) => (typeof key == 'string' && read.get(key)) || null,
  }
}

/**
 * `LUMINA_KEYS` format: `project:writeKey:readKey` entries separated by commas.
 * @param {string} text
 * @returns {KeyEntry[]}
 */
export const parseKeysEnv = (text) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [project, writeKey, readKey] = s.split(':')
      return { project, writeKey, readKey }
    })

/**
 * The demo's keys: project `demo`, write key `wk_demo`, and a random read key made once and
 * kept in `file` (so the printed URL keeps working across restarts).
 * @param {string} file
 * @returns {KeyEntry[]}
 */
export const demoKeys = (file) => {
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8'))
      if (Array.isArray(saved) && saved.length) {
        return saved
      }
    } catch {} // unreadable: make new keys
  }
  const keys = [{ project: 'demo', writeKey: 'wk_demo', readKey: `rk_demo_${randomBytes(12).toString('hex')}` }]
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 })
  return keys
}

/**
 * Keys from the environment: `LUMINA_KEYS_FILE` (a JSON list of entries), else `LUMINA_KEYS`,
 * else null (the caller picks a default).
 * @param {NodeJS.ProcessEnv} env
 * @returns {KeyEntry[] | null}
 */
export const keysFromEnv = (env) => {
  if (env.LUMINA_KEYS_FILE) {
    const parsed = JSON.parse(readFileSync(env.LUMINA_KEYS_FILE, 'utf8'))
    return Array.isArray(parsed) ? parsed : parsed.projects
  }
  if (env.LUMINA_KEYS) {
    return parseKeysEnv(env.LUMINA_KEYS)
  }
  // the old variable named write keys only: a project now needs a read key too
  if (env.LUMINA_WRITE_KEYS) {
    throw new Error('LUMINA_WRITE_KEYS is replaced by LUMINA_KEYS=project:writeKey:readKey,... (or LUMINA_KEYS_FILE)')
  }
  return null
}

/**
 * The read key of a request: `Authorization: Bearer`, `X-Read-Key`, or `?read_key=` (for
 * EventSource and links, which cannot set headers).
 * @param {import('node:http').IncomingMessage} req
 * @param {URL} url
 */
export const readKeyOf = (req, url) => {
  const auth = String(req.headers.authorization || '')
  if (/^bearer /i.test(auth)) {
    return auth.slice(7).trim()
  }
  if (req.headers['x-read-key']) {
    return String(req.headers['x-read-key'])
  }
  return url.searchParams.get('read_key')
}
