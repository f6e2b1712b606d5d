import { describe, expect, it, vi } from 'vitest'
import Ajv2020 from 'ajv/dist/2020'
import schema from '../../schema/event.schema.json'
import { fakeBrowser, oneTurn } from '../helpers'

/** The schema's complaints about one line: none when it is valid. */
const checkSchema = new Ajv2020({ strict: false }).compile(schema)
const schemaErrors = (event: unknown) => (checkSchema(event) ? [] : checkSchema.errors)

const ANON = /^anon_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('identity storage', () => {
  it('anon_<uuid> on first use, written to cookie and localStorage', () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const id = lumina.getDistinctId()
    expect(id).toMatch(ANON)
    expect(lumina.isAnonymous()).toBe(true)
    expect(b.local.getItem('lumina_id')).toBe(id)
    expect(b.doc.jar.get('lumina_id')).toBe(encodeURIComponent(id))
  })

  it('cookie: 1 year, SameSite=Lax, Path=/, Secure on https, Domain when cookieDomain is set', () => {
    const b = fakeBrowser()
    b.sdk({ cookieDomain: '.example.com' }).getDistinctId() // written at first use, not at init
    const write = b.doc.cookieWrites.at(-1)!
    expect(write).toContain('Max-Age=31536000')
    expect(write).toContain('SameSite=Lax')
    expect(write).toContain('Path=/')
    expect(write).toContain('Secure')
    expect(write).toContain('Domain=.example.com')
  })

  it('no Secure attribute on plain http', () => {
    const b = fakeBrowser()
    ;(b.win as any).location.protocol = 'http:'
    b.sdk().getDistinctId()
    expect(b.doc.cookieWrites.at(-1)).not.toContain('Secure')
  })

  it('each store restores the other when one is wiped', () => {
    const b = fakeBrowser()
    const id = b.sdk().getDistinctId()
    b.local.clear()
    b.reload()
    expect(b.sdk().getDistinctId()).toBe(id)
    expect(b.local.getItem('lumina_id')).toBe(id)
    b.doc.jar.clear()
    b.reload()
    expect(b.sdk().getDistinctId()).toBe(id)
    expect(b.doc.jar.get('lumina_id')).toBe(id)
  })

  it('cookies disabled and storage throwing: falls back to memory, never throws', async () => {
    const b = fakeBrowser()
    b.doc.cookiesDisabled = true
    b.local.broken = true
    b.session.broken = true
    const lumina = b.sdk()
    const id = lumina.getDistinctId()
    expect(id).toMatch(ANON)
    expect(lumina.getDistinctId()).toBe(id)
    await lumina.identify('user_1')
    expect(lumina.getDistinctId()).toBe('user_1')
    await oneTurn(lumina)
    await lumina.flush()
    expect(b.net.events().map((e) => e.name)).toEqual(['identify', 'turn'])
  })
})

describe('identify and reset', () => {
  it('identify emits previous_id, flushes at once, keeps the session from anonymous', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ flushIntervalMs: 600_000 })
    const anon = lumina.getDistinctId()
    const s1 = await lumina.session.start()
    await lumina.identify('user_1', { plan: 'pro', fn: () => 1 })
    expect(b.net.events()).toHaveLength(1)
    expect(b.net.events()[0]).toMatchObject({
      name: 'identify',
      user_id: 'user_1',
      previous_id: anon,
      distinct_id: 'user_1',
      properties: { plan: 'pro' },
    })
    expect(lumina.isAnonymous()).toBe(false)
    expect((await lumina.session.start()).sessionId).toBe(s1.sessionId)
  })

  it('identify switching users clears the session', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    await lumina.identify('alice')
    const s1 = await lumina.session.start()
    await lumina.identify('bob')
    const s2 = await lumina.session.start()
    expect(s2.sessionId).not.toBe(s1.sessionId)
    expect(s2.turn().seq).toBe(1)
  })

  it('newSession overrides the default either way', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const s1 = await lumina.session.start()
    await lumina.identify('alice', {}, { newSession: true })
    const s2 = await lumina.session.start()
    expect(s2.sessionId).not.toBe(s1.sessionId)
    await lumina.identify('bob', {}, { newSession: false })
    expect((await lumina.session.start()).sessionId).toBe(s2.sessionId)
  })

  it('identify mirrors to the UI provider; reset gives a new anonymous id and session', async () => {
    const b = fakeBrowser()
    const ui = { identify: vi.fn(), reset: vi.fn() }
    const lumina = b.sdk({ uiAnalytics: ui })
    await lumina.identify('alice', { a: 1 })
    expect(ui.identify).toHaveBeenCalledWith('alice', { a: 1 })
    const s1 = await lumina.session.start()
    lumina.reset()
    expect(ui.reset).toHaveBeenCalled()
    expect(lumina.getDistinctId()).toMatch(ANON)
    expect((await lumina.session.start()).sessionId).not.toBe(s1.sessionId)
  })

  it('a bad user id is ignored', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const id = lumina.getDistinctId()
    await lumina.identify('' as string)
    await lumina.identify(undefined as unknown as string)
    expect(lumina.getDistinctId()).toBe(id)
  })
})

describe('identity faults', () => {
  it('a host-only lumina_id cookie left from before cookieDomain does not bring the previous user back', async () => {
    const b = fakeBrowser()
    b.doc.jar.set('lumina_id', 'alice') // host-only, written before the site set cookieDomain
    b.local.setItem('lumina_id', 'alice')
    const lumina = b.sdk({ cookieDomain: '.example.com' })
    expect(lumina.getDistinctId()).toBe('alice')
    lumina.reset()
    await lumina.identify('bob')
    b.hide()
    b.show() // the stores are read again on show
    expect(lumina.getDistinctId()).toBe('bob')
    b.reload()
    expect(b.sdk({ cookieDomain: '.example.com' }).getDistinctId()).toBe('bob')
    expect(b.doc.cookie).toBe('lumina_id=bob') // one cookie left, the domain one
  })

  it('of two lumina_id cookies, the newest (listed last) is read', () => {
    const b = fakeBrowser()
    b.doc.jar.set('lumina_id', 'alice')
    b.doc.jar.set('lumina_id|.example.com', 'bob')
    expect(b.sdk().getDistinctId()).toBe('bob')
  })

  it('an id that cannot be a cookie (a lone surrogate) still sticks: the old cookie does not win', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    await lumina.identify('alice')
    lumina.reset()
    const bob = 'bob\ud800'
    await lumina.identify(bob)
    b.hide()
    b.show()
    expect(lumina.getDistinctId()).toBe(bob)
    b.reload()
    expect(b.sdk().getDistinctId()).toBe(bob) // from localStorage
    expect(b.doc.jar.has('lumina_id')).toBe(false)
  })

  it('storage blocked everywhere: an identified id still sticks for the page (memory)', async () => {
    const b = fakeBrowser()
    b.doc.cookiesDisabled = true
    b.local.broken = true
    const lumina = b.sdk()
    await lumina.identify('alice')
    b.hide()
    b.show()
    expect(lumina.getDistinctId()).toBe('alice')
  })

  it('a poisoned lumina_id (500 characters) in storage is discarded, never sent', async () => {
    const b = fakeBrowser()
    b.doc.jar.set('lumina_id', 'x'.repeat(500))
    b.local.setItem('lumina_id', 'y'.repeat(500))
    const lumina = b.sdk()
    expect(lumina.getDistinctId()).toMatch(ANON)
    await oneTurn(lumina)
    await lumina.flush()
    const [turn] = b.net.events()
    expect(turn.distinct_id).toMatch(ANON)
    expect(schemaErrors(turn)).toEqual([])
  })

  it('identify with a 401-character id builds lines the schema accepts', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    await lumina.identify('u'.repeat(401))
    await oneTurn(lumina)
    await lumina.flush()
    const events = b.net.events()
    expect(events.map((e) => e.name)).toEqual(['identify', 'turn'])
    for (const e of events) {
      expect(schemaErrors(e)).toEqual([])
    }
    expect(lumina.getDistinctId()).toBe('u'.repeat(400))
  })

  it('a cut id never ends in half a surrogate pair', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    await lumina.identify('u'.repeat(399) + '😀')
    expect(lumina.getDistinctId()).toBe('u'.repeat(399))
  })
})
