import type { UIProvider } from './types'
import { hash, hashSync, newSalt } from './lib/hash'
import { safeCall } from './lib/guard'
import { uuid } from './lib/ids'
import { onLifecycle } from './lib/lifecycle'

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
    onLifecycle(
      window,
      document,
      () => hiddenSince < 0 && (hiddenSince = performance.now()), // visibilitychange and pagehide may both fire
      () => hiddenSince >= 0 && ((hiddenMs += performance.now() - hiddenSince), (hiddenSince = -1)),
    )
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
  /** Visible time of the first keystroke of the message being typed (set: typing is under way). */
  _start?: number
  /** For bindChatInputs: the text last counted, so Enter then the form's submit count once. */
  _sent?: string
  /** For bindChatInputs: the pending abandonment after a blur. */
  _blur?: ReturnType<typeof setTimeout>

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

const textOf = (el: ChatElement) => (el.isContentEditable ? el.innerText : el.value || '').trim()
const TYPES = ['input', 'keydown', 'submit', 'click', 'focusout', 'focusin']

/**
 * Binds every `[data-lumina-chat-input]` under `root`, now and added later: one capturing
 * listener on `root` (the page cannot stop it) walks up to the tagged element, so a removed
 * input is simply forgotten. Returns a function that unbinds.
 *
 * @example const unbind = bindChatInputs()
 */
export const bindChatInputs = (root: Document | HTMLElement = document, ui?: UIProvider, sink?: ChatSink): (() => void) => {
  const trackers = new WeakMap<Element, ChatInputTracker>()
  /** Inputs with typing under way, for page hide (a WeakMap cannot be walked). */
  const live = new Set<ChatElement>()
  const trackerOf = (el: Element) => trackers.get(el) || (trackers.set(el, new ChatInputTracker(ui, undefined, sink)), trackers.get(el)!)
  const inputIn = (scope?: Element | null) => scope?.querySelector<ChatElement>(CHAT_INPUT)

  /** A message sent, or abandoned (`now`: the page is going away). Empty text is neither; one message counts once. */
  const end = (el: ChatElement | null | undefined, submitted: boolean, now?: boolean) => {
    const t = el && trackerOf(el)
    const text = el && textOf(el)
    if (!t || !text || (t._start === undefined && (!submitted || t._sent == text))) return
    clearTimeout(t._blur)
    live.delete(el)
    if (submitted) (t._sent = text), t.onMessageSubmit(uuid(), text)
    else t.onInputAbandoned(text, now)
  }
  const onHide = () => live.forEach((el) => end(el, false, true))
  const handle = (e: any) => {
    const el: ChatElement | null = e.target?.closest?.(CHAT_INPUT)
    const type = e.type
    if (type == 'input') {
      if (el && textOf(el) && trackerOf(el)._start === undefined) live.add(el), trackerOf(el).onInputStart()
    } else if (type == 'keydown') {
      // Enter sends; Shift+Enter is a newline; during IME composition Enter picks a candidate.
      if (e.key == 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode != 229) end(el, true)
    } else if (type == 'submit') end(inputIn(e.target), true)
    else if (type == 'click') {
      const button = e.target?.closest?.(SUBMIT)
      if (button) end(inputIn(button.closest('form,[data-lumina-chat]')), true)
    } else if (type == 'focusout') {
      // Focus moving to the send button is not abandonment; a click elsewhere may still be one
      // (Safari does not focus buttons): wait a moment for the submit before calling it so.
      if (el && !e.relatedTarget?.closest?.(SUBMIT)) trackerOf(el)._blur = setTimeout(() => el.isConnected && end(el, false), 300)
    } else el && clearTimeout(trackerOf(el)._blur) // focusin
  }
  for (const type of TYPES) root.addEventListener(type, handle, true)
  const offLifecycle = onLifecycle(window, document, onHide, () => {})
  return () => {
    for (const type of TYPES) root.removeEventListener(type, handle, true)
    offLifecycle()
  }
}
