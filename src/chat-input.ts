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

  constructor(
    private _ui?: UIProvider,
    private _sessionId?: string,
    private _sink?: ChatSink,
  ) {}

  private _send(name: string, fields: Record<string, unknown>) {
    if (this._sessionId) fields.session_id = this._sessionId
    safeCall(this._sink || defaultSink, '_track', name, fields, !!this._ui)
    safeCall(this._ui, 'captureEvent', name, fields)
  }

  /**
   * Sends a signal about typed text: only its length and salted hash. `now` (page hide)
   * cannot wait for SubtleCrypto, which is asynchronous: it uses the synchronous hash.
   */
  private _sendText(name: string, fields: Record<string, unknown>, value: string, hashKey: string, now?: boolean) {
    fields.typing_duration_ms = this._start === undefined ? 0 : Math.round(visibleNow() - this._start)
    fields.character_count = value.length
    this._start = undefined
    const salted = saltFor(this._sessionId || '') + value
    const send = (h: string) => this._send(name, { ...fields, [hashKey]: h })
    now ? send(hashSync(salted)) : hash(salted).then(send)
  }

  /** The user started typing a message (call on the first keystroke). */
  onInputStart() {
    if (this._start === undefined) {
      this._start = visibleNow()
      this._send('chat_input_started', {})
    }
  }

  /** The message was sent: its id, and its text (only hashed and counted). */
  onMessageSubmit(messageId: string, value: string) {
    this._sendText('chat_message_submitted', { message_id: String(messageId) }, String(value), 'content_hash')
  }

  /** The user left a typed message unsent (blur, page hide). `now`: the page is going away. */
  onInputAbandoned(value: string, now?: boolean) {
    if (value) this._sendText('chat_input_abandoned', {}, String(value), 'partial_content_hash', now)
    else this._start = undefined
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
    s.tracker.onInputAbandoned(text, now)
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
