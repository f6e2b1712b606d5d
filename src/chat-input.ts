import type { UIProvider } from './types'
import { hash, hashSync, newSalt } from './lib/hash'
import { safeCall } from './lib/guard'
import { uuid } from './lib/ids'

/** Where tracker events go: an SDK instance's `_track` (our ingest, sampled by `sampling.uiEvent`). */
export interface ChatSink {
  /** `ownUi`: the tracker reports to its own UI provider, so the sink must not also. */
  _track(name: string, fields: Record<string, unknown>, ownUi?: boolean): void
}

/** The instance trackers report to when none is given (set by the ESM and CDN entries). */
let defaultSink: ChatSink | undefined
export const setChatSink = (sink: ChatSink) => {
  defaultSink = sink
}

/** Salts by session id: the same text hashes alike within a session, and the salt never leaves the browser. */
const salts = new Map<string, string>()
const saltFor = (sessionId: string) => salts.get(sessionId) || (salts.set(sessionId, newSalt()), salts.get(sessionId)!)

/** Visible time: performance.now() less the time the tab was hidden, so typing time ignores it. */
let hiddenMs = 0
let hiddenSince = -1
let watching = false
const visibleNow = () => {
  if (!watching && typeof document != 'undefined') {
    watching = true
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState == 'hidden') hiddenSince = performance.now()
      else if (hiddenSince >= 0) (hiddenMs += performance.now() - hiddenSince), (hiddenSince = -1)
    })
  }
  return (hiddenSince >= 0 ? hiddenSince : performance.now()) - hiddenMs
}

/**
 * Signals from one chat input — typing time, submission, abandonment — without ever sending
 * the text: only its length and a salted hash. `bindChatInputs` drives one per input.
 *
 * @example
 * const tracker = new ChatInputTracker(postHogProvider(), session.sessionId)
 * input.addEventListener('input', () => tracker.onInputStart())
 * form.addEventListener('submit', () => tracker.onMessageSubmit(crypto.randomUUID(), input.value))
 */
export class ChatInputTracker {
  /** Visible time of the first keystroke of the message being typed. */
  private _start?: number
  /** Last hash computed ahead (text and hash), so page hide can report without waiting. */
  _ready?: [string, string]

  constructor(
    private _ui?: UIProvider,
    private _sessionId?: string,
    private _sink?: ChatSink,
  ) {}

  private _emit(name: string, fields: Record<string, unknown>) {
    const sink = this._sink || defaultSink
    const all = this._sessionId ? { session_id: this._sessionId, ...fields } : fields
    safeCall(sink, '_track', name, all, !!this._ui)
    safeCall(this._ui, 'captureEvent', name, all)
  }

  private _duration() {
    return this._start === undefined ? 0 : Math.round(visibleNow() - this._start)
  }

  private _hashed(name: string, key: string, value: string, fields: Record<string, unknown>) {
    const salted = saltFor(this._sessionId || '') + value
    const ready = this._ready
    const send = (h: string) => this._emit(name, { ...fields, character_count: value.length, [key]: h })
    if (ready && ready[0] == value) send(ready[1])
    else hash(salted).then(send)
  }

  /** Hashes the current text ahead of time (the bound inputs call it as the user types). */
  _prehash(value: string) {
    const salted = saltFor(this._sessionId || '') + value
    hash(salted).then((h) => (this._ready = [value, h]))
  }

  /** Page hide cannot wait for SubtleCrypto: the hash computed ahead, else the sync fallback. */
  _hashNow(value: string) {
    const ready = this._ready
    if (!(ready && ready[0] == value)) this._ready = [value, hashSync(saltFor(this._sessionId || '') + value)]
  }

  /** The user started typing a message (call on the first keystroke). */
  onInputStart() {
    if (this._start !== undefined) return
    this._start = visibleNow()
    this._emit('chat_input_started', {})
  }

  /** The message was sent: its id, and its text (only hashed and counted). */
  onMessageSubmit(messageId: string, value: string) {
    const typing_duration_ms = this._duration()
    this._start = undefined
    this._hashed('chat_message_submitted', 'content_hash', String(value), { message_id: String(messageId), typing_duration_ms })
  }

  /** The user left a typed message unsent (blur, page hide). */
  onInputAbandoned(value: string) {
    const typing_duration_ms = this._duration()
    this._start = undefined
    if (value) this._hashed('chat_input_abandoned', 'partial_content_hash', String(value), { typing_duration_ms })
  }
}

export const CHAT_INPUT = '[data-lumina-chat-input]'
const SUBMIT = '[data-lumina-chat-submit]'

type ChatElement = HTMLElement & { value?: string }
interface InputState {
  tracker: ChatInputTracker
  /** Typing since the last submission or abandonment. */
  active: boolean
  /** What was last submitted: a second trigger for the same message (Enter, then form submit) does not count again. */
  sent?: string
  blurTimer?: ReturnType<typeof setTimeout>
}

const textOf = (el: ChatElement) => (el.isContentEditable ? el.innerText : el.value || '').trim()

/**
 * Binds every `[data-lumina-chat-input]` under `root`, now and added later (one listener per
 * event type on `root` that walks up to the tagged element, so a removed input is simply
 * forgotten). Returns a function that unbinds.
 *
 * @example const unbind = bindChatInputs()
 */
export const bindChatInputs = (root: Document | HTMLElement = document, ui?: UIProvider, sink?: ChatSink): (() => void) => {
  const states = new WeakMap<Element, InputState>()
  /** Inputs with typing in progress, for page hide (a WeakMap cannot be walked). */
  const live = new Set<ChatElement>()
  const stateOf = (el: Element) => {
    let s = states.get(el)
    if (!s) states.set(el, (s = { tracker: new ChatInputTracker(ui, undefined, sink), active: false }))
    return s
  }
  const inputOf = (t: EventTarget | null) => (t instanceof Element ? (t.closest(CHAT_INPUT) as ChatElement | null) : null)
  const inputIn = (scope: Element | null) => scope?.querySelector(CHAT_INPUT) as ChatElement | null

  const submit = (el: ChatElement | null) => {
    if (!el) return
    const s = stateOf(el)
    const text = textOf(el)
    if (!text || (!s.active && s.sent == text)) return // empty, or already counted
    clearTimeout(s.blurTimer)
    s.active = false
    s.sent = text
    live.delete(el)
    s.tracker.onMessageSubmit(uuid(), text)
  }
  const abandon = (el: ChatElement, now?: boolean) => {
    const s = stateOf(el)
    const text = textOf(el)
    if (!s.active || !text) return
    s.active = false
    live.delete(el)
    if (now) s.tracker._hashNow(text)
    s.tracker.onInputAbandoned(text)
  }

  const listeners: [string, (e: any) => void][] = [
    [
      'input',
      (e: Event) => {
        const el = inputOf(e.target)
        if (!el) return
        const s = stateOf(el)
        const text = textOf(el)
        if (!text) return
        if (!s.active) (s.active = true), live.add(el), s.tracker.onInputStart()
        s.tracker._prehash(text)
      },
    ],
    [
      'keydown',
      (e: KeyboardEvent) => {
        // Enter sends; Shift+Enter is a newline; during IME composition Enter picks a candidate.
        if (e.key == 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode != 229) submit(inputOf(e.target))
      },
    ],
    ['submit', (e: SubmitEvent) => submit(inputIn(e.target as Element))],
    [
      'click',
      (e: MouseEvent) => {
        const button = (e.target as Element)?.closest?.(SUBMIT)
        if (button) submit(inputIn(button.closest('form,[data-lumina-chat]')))
      },
    ],
    [
      'focusout',
      (e: FocusEvent) => {
        const el = inputOf(e.target)
        // Focus moving to the send button is not abandonment; a click elsewhere may still be one
        // (Safari does not focus buttons): wait a moment for the submit before calling it so.
        if (el && !(e.relatedTarget as Element | null)?.closest?.(SUBMIT)) stateOf(el).blurTimer = setTimeout(() => el.isConnected && abandon(el), 300)
      },
    ],
    ['focusin', (e: FocusEvent) => inputOf(e.target) && clearTimeout(stateOf(inputOf(e.target)!).blurTimer)],
  ]
  const onHide = () => live.forEach((el) => abandon(el, true))
  listeners.push(['visibilitychange', () => document.visibilityState == 'hidden' && onHide()])
  for (const [type, fn] of listeners) root.addEventListener(type, fn, true) // capture: the page cannot stop them
  addEventListener('pagehide', onHide)
  return () => {
    for (const [type, fn] of listeners) root.removeEventListener(type, fn, true)
    removeEventListener('pagehide', onHide)
  }
}
