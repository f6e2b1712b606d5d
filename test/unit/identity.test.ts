import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fakeBrowser, oneTurn, tick } from '../helpers'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

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
    b.sdk({ cookieDomain: '.example.com' })
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
    expect(b.net.events()[0]).toMatchObject({ name: 'identify', user_id: 'user_1', previous_id: anon, distinct_id: 'user_1', properties: { plan: 'pro' } })
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

describe('session storage', () => {
  it('reload mid-session: same session id, seq continues', async () => {
    const b = fakeBrowser()
    const s1 = await b.sdk().session.start()
    s1.turn()
    s1.turn()
    b.reload()
    const s2 = await b.sdk().session.start()
    expect(s2.sessionId).toBe(s1.sessionId)
    expect(s2.turn().seq).toBe(3)
    expect(b.session.getItem('traceparent')).toBe(s1.traceparent)
  })

  it('a duplicated tab (sessionStorage copied from a live tab) opens its own session', async () => {
    const a = fakeBrowser()
    const s1 = await a.sdk().session.start()
    s1.turn()
    a.hide() // the original tab is in the background, alive: no pagehide
    const dup = fakeBrowser(a.local)
    for (const [k, v] of a.session.map) dup.session.setItem(k, v)
    const s2 = await dup.sdk().session.start()
    expect(s2.sessionId).not.toBe(s1.sessionId)
    expect(s2.turn().seq).toBe(1)
    a.show()
    expect(s1.turn().seq).toBe(2) // the original carries on
    // and a reload of the duplicate keeps the duplicate's session
    dup.reload()
    const s3 = await dup.sdk().session.start()
    expect(s3.sessionId).toBe(s2.sessionId)
    expect(s3.turn().seq).toBe(2)
  })

  it('a page restored from the back/forward cache keeps its session, and a duplicate of it does not', async () => {
    const a = fakeBrowser()
    const lumina = a.sdk()
    const s1 = await lumina.session.start()
    a.pagehide() // into the bfcache
    a.win.dispatchEvent(new Event('pageshow')) // and back
    expect((await lumina.session.start()).sessionId).toBe(s1.sessionId)
    const dup = fakeBrowser(a.local)
    for (const [k, v] of a.session.map) dup.session.setItem(k, v)
    expect((await dup.sdk().session.start()).sessionId).not.toBe(s1.sessionId)
  })

  it('session.clear(): the next start opens a new trace and seq restarts', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk()
    const s1 = await lumina.session.start()
    s1.turn()
    lumina.session.clear()
    await tick(0)
    const s2 = await lumina.session.start()
    expect(s2.sessionId).not.toBe(s1.sessionId)
    expect(s2.turn().seq).toBe(1)
  })

  it('an invalid stored traceparent is replaced', async () => {
    const b = fakeBrowser()
    b.session.setItem('traceparent', '00-00000000000000000000000000000000-0000000000000000-01')
    const s = await b.sdk().session.start()
    expect(s.sessionId).toMatch(/^[0-9a-f]{32}$/)
    expect(s.sessionId).not.toMatch(/^0+$/)
  })
})
