import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ChatInputTracker, bindChatInputs } from '../../src/chat-input'
import { createHash } from 'node:crypto'
import { hash, hashSync } from '../../src/lib/hash'
import { fakeBrowser } from '../helpers'

/** SHA-256 hex as SubtleCrypto gives it, but answered at once: the SDK's hash comes in through Platform, so these tests run on fake time. */
const sha256 = (text: string) => Promise.resolve(createHash('sha256').update(text).digest('hex'))
const SECRET = 'my card is 4111 and my secret plan'
let unbind: (() => void) | undefined

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
  document.body.innerHTML = ''
})
afterEach(() => {
  unbind?.()
  unbind = undefined
  vi.useRealTimers()
  setVisibility('visible')
})

const setVisibility = (state: DocumentVisibilityState) => {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true })
  document.dispatchEvent(new Event('visibilitychange'))
}

/** An SDK instance and a UI provider double, with everything each received. */
const setup = (config = {}) => {
  const b = fakeBrowser()
  const captured: [string, Record<string, any>][] = []
  const ui = { captureEvent: (name: string, props: Record<string, any>) => captured.push([name, props]) }
  const lumina = b.sdk(config, { hash: sha256 })
  /** What reached the ingest once the pending hashes settled (`atLeast`: how many the test expects). */
  const sent = async (atLeast = 0) => {
    const chat = () => b.net.events().filter((e) => e.name.startsWith('chat_'))
    await vi.advanceTimersByTimeAsync(0)
    await lumina.flush()
    expect(chat().length).toBeGreaterThanOrEqual(atLeast)
    return chat()
  }
  const everything = () => b.net.sent.map((r) => r.body).join('\n') + JSON.stringify(captured)
  return { b, ui, lumina, captured, sent, everything }
}

const type = (el: HTMLElement, text: string) => {
  for (const ch of text) {
    el.dispatchEvent(new KeyboardEvent('keydown', { key: ch, bubbles: true }))
    if (el.isContentEditable) {
      el.textContent += ch
    } else {
      ;(el as HTMLInputElement).value += ch
    }
    el.dispatchEvent(new InputEvent('input', { bubbles: true, data: ch }))
    vi.advanceTimersByTime(50)
  }
}
const enter = (el: HTMLElement, init: KeyboardEventInit = {}) =>
  el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true, ...init }))

describe('ChatInputTracker', () => {
  it('emits started once, then submitted with duration, count and a salted hash, to ingest and the UI provider', async () => {
    const { ui, lumina, captured, sent, everything } = setup()
    const s = await lumina.session.start()
    const t = new ChatInputTracker(ui, s.sessionId, lumina)
    t.onInputStart()
    vi.advanceTimersByTime(1500)
    t.onInputStart()
    t.onMessageSubmit('m1', SECRET)
    const events = await sent(2)
    expect(events.map((e) => e.name)).toEqual(['chat_input_started', 'chat_message_submitted'])
    expect(events[1]).toMatchObject({ message_id: 'm1', typing_duration_ms: 1500, character_count: SECRET.length, session_id: s.sessionId })
    expect(events[1].content_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(captured.map((c) => c[0])).toEqual(['chat_input_started', 'chat_message_submitted'])
    expect(everything()).not.toContain(SECRET)
    expect(everything()).not.toContain('secret plan')
  })

  it('hashes match within a session, differ across sessions, and are not the plain SHA-256', async () => {
    const { lumina, sent } = setup()
    const t1 = new ChatInputTracker(undefined, 'a'.repeat(32), lumina)
    t1.onMessageSubmit('1', 'hello')
    t1.onMessageSubmit('2', 'hello')
    const t2 = new ChatInputTracker(undefined, 'b'.repeat(32), lumina)
    t2.onMessageSubmit('3', 'hello')
    // hashes finish in any order: match them by message id
    const byId = Object.fromEntries((await sent(3)).map((e) => [e.message_id, e.content_hash]))
    const [h1, h2, h3] = [byId['1'], byId['2'], byId['3']]
    expect(h1).toBeTruthy()
    expect(h1).toBe(h2)
    expect(h3).not.toBe(h1)
    const plain = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('hello'))).toString('hex')
    expect(h1).not.toBe(plain)
  })

  it('the chat-input salt lasts the session, not the page: same hash after a reload, a new session gets a new salt, never sent', async () => {
    window.sessionStorage.clear()
    const { lumina, sent, everything } = setup()
    const A = 'a1'.repeat(16)
    new ChatInputTracker(undefined, A, lumina).onMessageSubmit('before', 'hello')
    await sent(1)
    // a reload: the module's memory is gone, the tab's sessionStorage stays
    vi.resetModules()
    const reloaded = (await import('../../src/chat-input')).ChatInputTracker
    new reloaded(undefined, A, lumina).onMessageSubmit('after', 'hello')
    new reloaded(undefined, 'b2'.repeat(16), lumina).onMessageSubmit('other', 'hello')
    const byId = Object.fromEntries((await sent(3)).map((e) => [e.message_id, e.content_hash]))
    expect(byId.before).toMatch(/^[0-9a-f]{64}$/)
    expect(byId.after).toBe(byId.before)
    expect(byId.other).not.toBe(byId.before)
    const [owner, salt] = window.sessionStorage.getItem('lumina_salt')!.split(':')
    expect(owner).toBe('b2'.repeat(16))
    expect(salt).toMatch(/^[0-9a-f]{32}$/)
    expect(everything()).not.toContain(salt)
  })

  it('falls back to a compact hash without SubtleCrypto (plain-http pages)', async () => {
    const spy = vi.spyOn(crypto.subtle, 'digest').mockRejectedValue(new Error('not a secure context'))
    expect(await hash('hi there')).toMatch(/^f[0-9a-f]{16}$/) // the platform's default hash
    spy.mockRestore()
    expect(await hash('hi there')).toBe(await sha256('hi there'))
    expect(hashSync('x')).not.toBe(hashSync('y'))
  })

  it('abandoned: partial hash, count and duration; empty text is not abandonment', async () => {
    const { lumina, sent, everything } = setup()
    const t = new ChatInputTracker(undefined, 'd'.repeat(32), lumina)
    t.onInputStart()
    vi.advanceTimersByTime(800)
    t.onInputAbandoned(SECRET)
    t.onInputAbandoned('')
    const events = await sent(2)
    expect(events.map((e) => e.name)).toEqual(['chat_input_started', 'chat_input_abandoned'])
    expect(events[1]).toMatchObject({ typing_duration_ms: 800, character_count: SECRET.length })
    expect(events[1].partial_content_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(everything()).not.toContain(SECRET)
  })

  it('typing time ignores time the tab was hidden', async () => {
    const { lumina, sent } = setup()
    const t = new ChatInputTracker(undefined, 'e'.repeat(32), lumina)
    t.onInputStart()
    vi.advanceTimersByTime(1000)
    setVisibility('hidden')
    vi.advanceTimersByTime(60_000)
    setVisibility('visible')
    vi.advanceTimersByTime(500)
    t.onMessageSubmit('m', 'x')
    const events = await sent(2)
    expect(events.find((e) => e.name == 'chat_message_submitted')!.typing_duration_ms).toBe(1500)
  })

  it('sampling.uiEvent 0: nothing to ingest, the UI provider still gets the events', async () => {
    const { ui, lumina, captured, sent } = setup({ sampling: { uiEvent: 0 } })
    const t = new ChatInputTracker(ui, 'f'.repeat(32), lumina)
    t.onInputStart()
    t.onMessageSubmit('m', 'x')
    await vi.advanceTimersByTimeAsync(0)
    expect(captured).toHaveLength(2)
    expect(await sent()).toHaveLength(0)
  })
})

describe('bindChatInputs', () => {
  const mount = (html: string) => {
    document.body.innerHTML = html
    return document.querySelector('[data-lumina-chat-input]') as HTMLElement
  }

  it('form submit counts one message; raw text never appears in any payload', async () => {
    const { ui, lumina, sent, everything } = setup()
    const input = mount('<form><input data-lumina-chat-input><button data-lumina-chat-submit>Send</button></form>')
    unbind = bindChatInputs(document, ui, lumina)
    type(input, SECRET)
    input.closest('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
    const events = await sent(2)
    expect(events.map((e) => e.name)).toEqual(['chat_input_started', 'chat_message_submitted'])
    expect(events[1].typing_duration_ms).toBe(50 * (SECRET.length - 1) + 50)
    expect(everything()).not.toContain(SECRET)
  })

  it('Enter, a button click and a form submit for the same message count once', async () => {
    const { lumina, sent } = setup()
    // type=button: jsdom does not implement the implicit form submission of a submit button
    const input = mount('<form><input data-lumina-chat-input><button type="button" data-lumina-chat-submit>Send</button></form>')
    unbind = bindChatInputs(document, undefined, lumina)
    type(input, 'hello')
    enter(input)
    ;(document.querySelector('button') as HTMLElement).click()
    input.closest('form')!.dispatchEvent(new Event('submit', { bubbles: true }))
    expect((await sent(2)).filter((e) => e.name == 'chat_message_submitted')).toHaveLength(1)
    ;(input as HTMLInputElement).value = ''
    type(input, 'hello') // the same text again, typed anew: a new message
    enter(input)
    expect((await sent(4)).filter((e) => e.name == 'chat_message_submitted')).toHaveLength(2)
  })

  it('Enter in a textarea outside a form submits; Shift+Enter and IME composition do not', async () => {
    const { lumina, sent } = setup()
    const area = mount('<div data-lumina-chat><textarea data-lumina-chat-input></textarea></div>')
    unbind = bindChatInputs(document, undefined, lumina)
    type(area, 'line one')
    enter(area, { shiftKey: true })
    enter(area, { isComposing: true })
    expect((await sent()).filter((e) => e.name == 'chat_message_submitted')).toHaveLength(0)
    enter(area)
    expect((await sent(2)).filter((e) => e.name == 'chat_message_submitted')).toHaveLength(1)
  })

  it('an empty input does not submit', async () => {
    const { lumina, sent } = setup()
    const input = mount('<input data-lumina-chat-input>')
    unbind = bindChatInputs(document, undefined, lumina)
    enter(input)
    expect(await sent()).toHaveLength(0)
  })

  it('a data-lumina-chat-submit button in a [data-lumina-chat] container submits', async () => {
    const { lumina, sent } = setup()
    const input = mount(
      '<div data-lumina-chat><div contenteditable="true" data-lumina-chat-input></div><span data-lumina-chat-submit><b>go</b></span></div>',
    )
    Object.defineProperty(input, 'isContentEditable', { value: true })
    Object.defineProperty(input, 'innerText', { get: () => input.textContent })
    unbind = bindChatInputs(document, undefined, lumina)
    type(input, 'from a div')
    ;(document.querySelector('b') as HTMLElement).click()
    const submitted = (await sent(2)).find((e) => e.name == 'chat_message_submitted')!
    expect(submitted.character_count).toBe('from a div'.length)
  })

  it('blur with unsent text is abandonment; blur towards the send button is not', async () => {
    const { lumina, sent } = setup()
    const input = mount('<form><input data-lumina-chat-input><button data-lumina-chat-submit>Send</button></form>')
    unbind = bindChatInputs(document, undefined, lumina)
    type(input, 'draft')
    input.dispatchEvent(new FocusEvent('focusout', { bubbles: true, relatedTarget: document.querySelector('button') }))
    vi.advanceTimersByTime(400)
    expect((await sent()).filter((e) => e.name == 'chat_input_abandoned')).toHaveLength(0)
    input.dispatchEvent(new FocusEvent('focusout', { bubbles: true }))
    vi.advanceTimersByTime(400)
    const abandoned = (await sent(2)).filter((e) => e.name == 'chat_input_abandoned')
    expect(abandoned).toHaveLength(1)
    expect(abandoned[0].character_count).toBe(5)
  })

  it('inputs added later are bound; removed ones are forgotten', async () => {
    const { lumina, sent } = setup()
    unbind = bindChatInputs(document, undefined, lumina)
    const later = document.createElement('textarea')
    later.setAttribute('data-lumina-chat-input', '')
    document.body.append(later)
    type(later, 'added later')
    enter(later)
    later.remove()
    expect((await sent(2)).map((e) => e.name)).toEqual(['chat_input_started', 'chat_message_submitted'])
  })

  it('page hide with unsent text: abandoned, sent at once on the page-hide path, hashed like a submission', async () => {
    const { b, lumina, sent } = setup()
    const input = mount('<input data-lumina-chat-input>')
    unbind = bindChatInputs(document, undefined, lumina)
    type(input, 'half a thought')
    await vi.advanceTimersByTimeAsync(0) // the hash computed ahead as the user typed
    b.hide() // the SDK's own page-hide path
    setVisibility('hidden')
    const keepalive = b.net.sent.filter((r) => r.keepalive).flatMap((r) => r.events)
    const abandoned = keepalive.find((e) => e.name == 'chat_input_abandoned')!
    expect(b.net.sent.map((r) => r.body).join('')).not.toContain('half a thought')
    // the same SHA-256 the same text gets when submitted in this session (not the synchronous fallback)
    setVisibility('visible')
    new ChatInputTracker(undefined, '', lumina).onMessageSubmit('m', 'half a thought')
    const submitted = (await sent(1)).find((e) => e.name == 'chat_message_submitted')!
    expect(abandoned.partial_content_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(abandoned.partial_content_hash).toBe(submitted.content_hash)
  })

  it('unbind stops tracking', async () => {
    const { lumina, sent } = setup()
    const input = mount('<input data-lumina-chat-input>')
    bindChatInputs(document, undefined, lumina)()
    type(input, 'ignored')
    enter(input)
    expect(await sent()).toHaveLength(0)
  })
})
