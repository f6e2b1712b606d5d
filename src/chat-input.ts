import type { ChatSink, UIProvider } from './types'
import { hashSync } from './lib/hash'
import { randomHex, traceIdOf, uuid } from './lib/ids'
import { onLifecycle } from './lib/lifecycle'
import { webStore } from './lib/storage'
import { TRACEPARENT_KEY } from './session'

/**
 * The hash salt lives as long as the session: the same text hashes alike within a session,
 * across reloads, and a new session gets a new salt. It is kept in sessionStorage beside the
 * session as `<traceId>:<salt>` (memory where storage is blocked) and never leaves the browser.
 */
const SALT_KEY = 'lumina_salt'
const salts: Record<string, string> = {}
const tabStore = webStore(() => window.sessionStorage) // read inside the store's try: no window (SSR) is no storage
const saltOf = (sessionId: string): string => {
  // a tracker given no session id salts by the tab's open session
  const trace = sessionId || traceIdOf(tabStore.get(TRACEPARENT_KEY)) || ''
  if (!salts[trace]) {
    const [owner, stored] = (tabStore.get(SALT_KEY) || '').split(':')
    const salt = owner == trace && /^[\da-f]{32}$/.test(stored) ? stored : randomHex(16)
    if (salt != stored) {
      tabStore.set(SALT_KEY, trace + ':' + salt)
    }
    salts[trace] = salt
  }
  return salts[trace]
}

/** Visible time: performance.now() less the time the tab was hidden, so typing time ignores it. */
let hiddenMs = 0
let hiddenAt = 0
let watching = false
const visibleNow = () => {
  const d = typeof document == 'object' ? document : undefined
  const hidden = () => d?.visibilityState == 'hidden'
  if (!watching && d) {
    watching = true
    d.addEventListener('visibilitychange', () => {
      if (hidden()) {
        hiddenAt = performance.now()
      } else {
        hiddenMs += performance.now() - hiddenAt
      }
    })
  }
  return (hidden() ? hiddenAt : performance.now()) - hiddenMs
}

/** Signals from one chat input; see `ChatInputTracker`. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the constructor returns an object with exactly these members
export interface ChatInputTracker {
  /** The user started typing a message (call on the first keystroke). */
  onInputStart(): void
  /** The message was sent: its id, and its text (only hashed and counted). */
  onMessageSubmit(messageId: string, value: string): void
  /** The user left a typed message unsent (blur, page hide). `now`: the page is going away. */
  onInputAbandoned(value: string, now?: boolean): void
  /** For bindChatInputs: whether a message is being typed. */
  _typing(): boolean
  /** For bindChatInputs: hashes the text so far ahead of time, for the page-hide path. */
  _prehash(value: string): void
  /** For bindChatInputs: the text last counted, so Enter then the form's submit count once. */
  _sent?: string
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
// A class (arrows and minified functions cannot be called with `new`) whose constructor
// returns a closure-based object: the interface above merges into its instance type.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface
export class ChatInputTracker {
  constructor(ui?: UIProvider, sessionId = '', sink?: ChatSink) {
    /** Visible time of the first keystroke of the message being typed (set: typing is under way). */
    let start: number | undefined
    /** The latest text hashed ahead, and its SHA-256 (see `_prehash`). */
    let ahead: [text?: string, sha256?: string] = []
    const salt = () => saltOf(sessionId)
    /** To the sink only: it queues the signal for our ingest and hands it to `ui` (else its own UI provider). */
    const send = (name: string, fields: Record<string, unknown>) => {
      if (sessionId) {
        fields.session_id = sessionId
      }
      sink?._track(name, fields, ui)
    }
    /**
     * Sends a signal about typed text: only its length and salted hash. `now` (page hide)
     * cannot wait for SubtleCrypto, which is asynchronous: it takes the hash computed ahead
     * as the user typed, or, if that is not ready, the synchronous fallback.
     */
    const sendText = (name: string, fields: Record<string, unknown>, value: string, hashKey: string, now?: boolean) => {
      fields.typing_duration_ms = start === undefined ? 0 : Math.round(visibleNow() - start)
      fields.character_count = value.length
      start = undefined
      const salted = salt() + value
      const done = (h: string) => send(name, { ...fields, [hashKey]: h })
      if (!now) {
        sink?._hash(salted).then(done)
      } else {
        done(ahead[0] == value ? ahead[1]! : hashSync(salted))
      }
    }
    return {
      onInputStart() {
        if (start !== undefined) {
          return
        }
        start = visibleNow()
        send('chat_input_started', {})
      },
      onMessageSubmit: (messageId, value) => sendText('chat_message_submitted', { message_id: '' + messageId }, '' + value, 'content_hash'),
      onInputAbandoned(value, now) {
        if (value) {
          sendText('chat_input_abandoned', {}, '' + value, 'partial_content_hash', now)
        } else {
          start = undefined
        }
      },
      _typing: () => start !== undefined,
      _prehash: (value) => sink?._hash(salt() + value).then((h) => (ahead = [value, h])),
    } as ChatInputTracker
  }
}

/** `ChatInputTracker` reporting to `sink` unless given another: what the ESM and CDN entries export. */
export const trackerFor = (sink: ChatSink) =>
  class extends ChatInputTracker {
    constructor(ui?: UIProvider, sessionId?: string, other: ChatSink = sink) {
      super(ui, sessionId, other)
    }
  }

export const CHAT_INPUT = '[data-lumina-chat-input]'
const SUBMIT = '[data-lumina-chat-submit]'

type ChatElement = HTMLElement & { value?: string }

const textOf = (el: ChatElement) => (el.isContentEditable ? el.innerText : el.value || '').trim()
const TYPES = ['input', 'keydown', 'submit', 'click', 'focusout']

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
  const trackerOf = (el: Element) => {
    let tracker = trackers.get(el)
    if (!tracker) {
      tracker = new ChatInputTracker(ui, undefined, sink)
      trackers.set(el, tracker)
    }
    return tracker
  }
  const inputIn = (scope?: Element | null) => scope?.querySelector<ChatElement>(CHAT_INPUT)

  /** A message sent, or abandoned (`now`: the page is going away). Empty text is neither; one message counts once. */
  const end = (el: ChatElement | null | undefined, submitted: boolean, now?: boolean) => {
    const t = el && trackerOf(el)
    const text = el && textOf(el)
    if (!t || !text || (!t._typing() && (!submitted || t._sent == text))) {
      return
    }
    live.delete(el)
    if (submitted) {
      t._sent = text
      t.onMessageSubmit(uuid(), text)
    } else {
      t.onInputAbandoned(text, now)
    }
  }
  const handle = (e: any) => {
    const el: ChatElement | null = e.target?.closest?.(CHAT_INPUT)
    const type = e.type
    if (type == 'input') {
      const text = el && textOf(el)
      if (text) {
        const t = trackerOf(el!)
        if (!t._typing()) {
          live.add(el!)
          t.onInputStart()
        }
        t._prehash(text)
      }
    } else if (type == 'keydown') {
      // Enter sends; Shift+Enter is a newline; during IME composition Enter picks a candidate.
      if (e.key == 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode != 229) {
        end(el, true)
      }
    } else if (type == 'submit') {
      end(inputIn(e.target), true)
    } else if (type == 'click') {
      const button = e.target?.closest?.(SUBMIT)
      if (button) {
        end(inputIn(button.closest('form,[data-lumina-chat]')), true)
      }
    } else if (el && !e.relatedTarget?.closest?.(SUBMIT)) {
      // focusout. Focus moving to the send button is not abandonment; a click elsewhere may
      // still be one (Safari does not focus buttons): wait a moment for the submit, or the user coming back.
      setTimeout(() => {
        if (el.isConnected && el != document.activeElement) {
          end(el, false)
        }
      }, 300)
    }
  }
  TYPES.forEach((type) => root.addEventListener(type, handle, true))
  const offLifecycle = onLifecycle(
    window,
    document,
    () => live.forEach((el) => end(el, false, true)),
    () => {},
  )
  return () => {
    TYPES.forEach((type) => root.removeEventListener(type, handle, true))
    offLifecycle()
  }
}
