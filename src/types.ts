/** How much of a turn's transcript is sent. Plain strings work too: `'masked'`. */
export const CaptureTranscript = { Full: 'full', Masked: 'masked', None: 'none' } as const
export type CaptureMode = (typeof CaptureTranscript)[keyof typeof CaptureTranscript]
/** The capture mode as a type too (`captureTranscript: CaptureTranscript`), like an enum. */
export type CaptureTranscript = CaptureMode

export interface Message {
  role?: string
  content?: unknown
  [key: string]: unknown
}

/** Rewrites one string of a transcript under `captureTranscript: 'masked'`. */
export type MaskFn = (text: string) => string

/** What a UI provider is told when a turn opens (PostHog registers it as super properties). */
export interface TurnTag {
  sessionId: string
  turnId: string
  seq: number
  startedAt: string
}

/**
 * A UI analytics (session replay) provider: what `postHogProvider()` and `createDummyProvider()`
 * return, every method there. One you write may leave methods out (`UIProvider`): the SDK never
 * calls a missing one.
 *
 * @example
 * const uiProvider = postHogProvider({ host: 'https://eu.posthog.com', projectId: '12345' })
 * turn.annotate({ ui_session_id: uiProvider.getSessionId(), ui_replay_url: uiProvider.getReplayUrl() })
 */
export interface UIAnalyticsProvider {
  /** e.g. `'posthog'`, `'none'`. */
  name: string
  init(): void
  getSessionId(): string | undefined
  getReplayUrl(): string | undefined
  tagTurn(turn: TurnTag): void
  untagTurn(turnId: string): void
  startReplay(): void
  stopReplay(): void
  captureEvent(name: string, properties: Record<string, unknown>): void
  shutdown(): void | Promise<unknown>
  identify?(userId: string, properties?: Record<string, unknown>): void
  reset?(): void
}

/** A UI provider as `uiAnalytics` takes it: any of `UIAnalyticsProvider`'s members. */
export type UIProvider = Partial<UIAnalyticsProvider>

/** A turn's status: `incomplete` only on the line sent when the page hid before finish(). */
export type TurnStatus = 'ok' | 'error' | 'aborted' | 'incomplete'

/** A tool call as a turn records it: an element of the turn's `tool_calls`, and the `meta` of `endSpan`. */
export type ToolCall = {
  /** Our 16-hex child span of the turn. */
  span_id: string
  name: string
  type?: string
  target?: string
  version?: string
  started_at: string
  status: 'ok' | 'error' | 'incomplete'
  latency_ms?: number
  error?: { type: string; message: string }
}

/** What `turn.addRetrieval()` takes (RAG): where the context came from and what it was. Any other field is kept. */
export interface RetrievalInfo {
  source?: string
  query?: string
  results?: { id?: string; score?: number; content?: string; [key: string]: unknown }[]
  [key: string]: unknown
}

/**
 * What `startTurn` gets: flat primitive attributes (OpenTelemetry span attributes as they are).
 * A type, not an interface, so it is assignable to OpenTelemetry's `Attributes`.
 */
export type TurnSpanContext = {
  session_id: string
  turn_id: string
  seq: number
  traceparent: string
}

/** What `startSpan` gets for a tool call: flat primitives; options not given are `undefined` (OpenTelemetry skips those). */
export type ToolSpanContext = Pick<ToolCall, 'span_id' | 'name' | 'type' | 'target' | 'version' | 'started_at'> & {
  /** The turn the tool call belongs to. */
  turn_id: string
}

/** What `startTurn`/`startSpan` may return: the provider's own span id, handed back to `endTurn`/`endSpan`. */
export type StartedSpan = { span_id?: string } | void

/**
 * Your tracing (OpenTelemetry, Datadog, …), called around turns and tool calls. `endTurn` and
 * `endSpan` get the `span_id` their start returned (ours when it returned none). One you write
 * may leave methods out (`SystemProvider`): the SDK never calls a missing one.
 *
 * @example
 * const spans = new Map<string, Span>()
 * const system: SystemAnalyticsProvider = {
 *   name: 'opentelemetry',
 *   startTurn: (ctx) => {
 *     const span = tracer.startSpan('turn', { attributes: ctx })
 *     spans.set(span.spanContext().spanId, span)
 *     return { span_id: span.spanContext().spanId }
 *   },
 *   endTurn: (spanId, status) => {
 *     spans.get(spanId)?.setStatus({ code: status == 'ok' ? SpanStatusCode.OK : SpanStatusCode.ERROR })
 *     spans.get(spanId)?.end()
 *     spans.delete(spanId)
 *   },
 *   // startSpan / endSpan alike, for tool calls
 *   shutdown: () => tracerProvider.shutdown(),
 * }
 */
export interface SystemAnalyticsProvider {
  name: string
  startTurn(ctx: TurnSpanContext): StartedSpan
  /** `meta` is the turn event as sent. */
  endTurn(spanId: string, status: TurnStatus, meta: Record<string, unknown>): void
  startSpan(ctx: ToolSpanContext): StartedSpan
  /** `meta` is the tool call record as sent. */
  endSpan(spanId: string, status: ToolCall['status'], meta: ToolCall): void
  shutdown(): void | Promise<unknown>
}

/** A system provider as `systemAnalytics` takes it: any of `SystemAnalyticsProvider`'s members. */
export type SystemProvider = Partial<SystemAnalyticsProvider>

/** `uiAnalytics: { provider: 'posthog', host, projectId }`: the page's `window.posthog`, with replay links. */
export interface PostHogByName {
  provider: 'posthog'
  host?: string
  projectId?: string | number
}

export interface LuminaConfig {
  /** Your project's write key, sent as `X-Api-Key`. Required. */
  writeKey: string
  /** Ingest origin, e.g. `https://ingest.example.com`. Required. */
  endpoint: string
  /** `'full'` (default), `'masked'` or `'none'`. */
  captureTranscript?: CaptureMode
  /** Under `'masked'`, rewrites each free-text string of a turn (transcript, error messages, annotations, retrievals; see the README's Privacy); a throw sends `[redacted]`. */
  maskFn?: MaskFn
  /** Record `recordTool` calls as spans (default false: `recordTool` just runs `fn`). */
  enableToolWrapping?: boolean
  /** How often queued events are sent, in ms (default 5000). */
  flushIntervalMs?: number
  /** A batch is sent as soon as the queue passes this many UTF-8 bytes (default 100000). */
  maxBatchBytes?: number
  /** UI analytics provider (`postHogProvider()`), or `'posthog'` / `{ provider: 'posthog', host, projectId }` for the page's `window.posthog`. */
  uiAnalytics?: UIProvider | 'posthog' | PostHogByName
  /** Your tracing, called around turns and tool calls. */
  systemAnalytics?: SystemProvider
  /** Fractions kept, decided once per session (default 1 each). */
  sampling?: { turn?: number; uiEvent?: number; span?: number }
  /** Domain for the `lumina_id` cookie, e.g. `.example.com` to share it across subdomains. */
  cookieDomain?: string
  /** Log every SDK operation to the console with a `[lumina]` prefix. */
  debug?: boolean
}

/**
 * What the SDK takes from the browser; tests pass fakes. Every member is optional in
 * `createLumina(platform)` and defaults to the real browser's.
 */
export interface Platform {
  fetch?: typeof fetch
  sendBeacon?: (url: string, body: string) => boolean
  localStorage: () => Storage | null | undefined
  sessionStorage: () => Storage | null | undefined
  window?: Window
  document?: Document
  now: () => number
  perfNow: () => number
  random: () => number
  /** `keepAlive`: Node only, the timer holds the process (someone awaits what it bounds); other timers never do. */
  setTimeout: (fn: () => void, ms: number, keepAlive?: boolean) => unknown
  clearTimeout: (id: unknown) => void
  isOnline: () => boolean
  /** SHA-256 hex of a text (the chat input's salted hashes); never rejects. */
  hash: (text: string) => Promise<string>
  /** gzip of a request body (`CompressionStream`); absent where there is none: batches then go plain. */
  gzip?: (text: string) => Promise<ArrayBuffer>
  /**
   * How soon `finish()` sends, in ms: the browser waits a moment so that what ends together
   * (a turn, its chat input event) shares a request; Node sends in the same tick.
   */
  sendDelayMs?: number
}

/** An event line on the wire, before serialisation. */
export type WireEvent = Record<string, unknown> & { id: string; name: string }

export interface SessionCtx {
  /** The session's 32-hex W3C trace id. */
  sessionId: string
  /** The session's traceparent (`00-<trace>-<span>-01`). */
  traceparent: string
  /** Opens the next turn of this session. */
  turn(): TurnCtx
}

/** Options of `session.start()`. */
export interface SessionOptions {
  /**
   * Server side: the incoming request's headers (Node's `req.headers`, a Fetch `Headers`, or
   * a plain object). A browser turn's `traceparent` and `baggage` (`turn.headers()`) make
   * this session continue its trace: the same session id and distinct id, and each turn a
   * child of the browser turn. Ignored in the browser.
   */
  headers?: unknown
}

export interface IdentifyOptions {
  /** Start a new session: default true when switching between two identified users. */
  newSession?: boolean
}

export interface LLMOptions {
  model?: string
  prompt_id?: string
  /** e.g. 'openai', 'anthropic' (OpenTelemetry's gen_ai.provider.name values). */
  provider?: string
  /** The AbortSignal of a streamed call: if it fires, the turn is marked `aborted` (it stays open for what the host sets next, until finish()). */
  signal?: AbortSignal
}

export interface Feedback {
  /** e.g. 1 / -1 for thumbs, or a 1–5 rating. */
  score: number
  comment?: string
}

export interface ToolOptions {
  type?: string
  target?: string
  version?: string
}

export interface TurnCtx {
  turnId: string
  seq: number
  traceparent: string
  /**
   * Runs one LLM call (an attempt: call it again on the same turn to retry; the turn reports
   * the last attempt's status, error and latency, `attempts` and the earlier `attempt_errors`).
   * Returns what `fn` returns and rethrows what it throws; a Promise comes back as is, any
   * other thenable (a lazy query builder) is evaluated once and comes back as a Promise of its result.
   */
  wrapLLM<T>(fn: () => T, options?: LLMOptions): T
  recordTool<T>(name: string, fn: () => T, options?: ToolOptions): T
  addRetrieval(info: RetrievalInfo): void
  annotate(obj: Record<string, unknown>): void
  setMessages(messages: unknown[]): void
  finish(): Promise<void>
  /** The user's rating of this turn; works after finish() too. */
  feedback(feedback: Feedback): void
  /**
   * Headers for the page's own request to its backend: W3C `traceparent` (this turn's span)
   * and `baggage` (`lumina.distinct_id`, `lumina.session_id`, `lumina.seq`). On the server,
   * `session.start({ headers: req.headers })` continues from them.
   */
  headers(): { traceparent: string; baggage: string }
}

/** Where chat input signals go: an SDK instance (`createLumina()`). */
export interface ChatSink {
  /**
   * Queues a UI event for our ingest (sampled by `sampling.uiEvent`) and hands it to `ui`,
   * or to the instance's UI provider when the tracker has none of its own.
   */
  _track(name: string, fields: Record<string, unknown>, ui?: UIProvider): void
  /** SHA-256 hex of a text, with the instance's platform. */
  _hash(text: string): Promise<string>
}
