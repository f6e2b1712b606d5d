// The config check at init: a config that cannot work is named once, at init, not discovered
// later one rejected POST at a time (issue 12, item 8).
import { afterEach, describe, expect, it, vi } from 'vitest'
import { resolveConfig } from '../../src/config'
import { fakeBrowser, oneTurn } from '../helpers'

afterEach(() => {
  vi.restoreAllMocks()
})

const base = { writeKey: 'wk_test', endpoint: 'https://ingest.test' }

describe('config check (bad config fails early)', () => {
  it.each([
    ['sampling: { turn: "0.5" } (a string the collector rejects on every turn)', { sampling: { turn: '0.5' } }, '"sampling.turn"', 'got "0.5"'],
    ['sampling: { turn: null } (would silently turn turns off)', { sampling: { turn: null } }, '"sampling.turn"', 'got null'],
    ['sampling: { uiEvent: NaN }', { sampling: { uiEvent: NaN } }, '"sampling.uiEvent"', 'got number'],
    ['sampling: { span: true }', { sampling: { span: true } }, '"sampling.span"', 'got boolean'],
    ['a writeKey with Cyrillic letters', { writeKey: 'wk_\u043a\u043b\u044e\u0447' }, '"writeKey"', 'Latin-1'],
    ['a writeKey with an emoji', { writeKey: 'wk_\u{1f511}' }, '"writeKey"', 'Latin-1'],
    ['a writeKey with a line break', { writeKey: 'wk_a\nb' }, '"writeKey"', 'Latin-1'],
  ])('%s: named in one console error at init; nothing is ever sent', async (_what, bad, option, detail) => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const b = fakeBrowser()
    const lumina = b.sdk(bad as any) // init runs here
    expect(error).toHaveBeenCalledTimes(1) // early: at init, before any turn
    const message = String(error.mock.calls[0][1])
    expect(message).toContain(option)
    expect(message).toContain(detail)
    await oneTurn(lumina)
    await oneTurn(lumina)
    await lumina.flush()
    expect(error).toHaveBeenCalledTimes(1) // once, not per turn or per POST
    expect(b.net.sent).toHaveLength(0)
  })

  it('the rejected writeKeys are exactly those a request header cannot carry', () => {
    // The platform's own Headers (undici in Node, as in the browser): the reason for the check.
    for (const key of ['wk_\u043a\u043b\u044e\u0447', 'wk_\u{1f511}', 'wk_a\nb']) {
      expect(() => new Headers({ 'X-Api-Key': key })).toThrow()
      expect(typeof resolveConfig({ ...base, writeKey: key })).toBe('string')
    }
    for (const key of ['wk_live_0123abcd', 'wk_caf\u00e9']) {
      expect(() => new Headers({ 'X-Api-Key': key })).not.toThrow()
      expect(typeof resolveConfig({ ...base, writeKey: key })).toBe('object')
    }
  })

  it('valid rates (0, 0.5, 1, omitted) pass and are kept as numbers', () => {
    const r = resolveConfig({ ...base, sampling: { turn: 0, uiEvent: 0.5 } })
    expect(r).toMatchObject({ sampling: { turn: 0, uiEvent: 0.5, span: 1 } })
  })
})
