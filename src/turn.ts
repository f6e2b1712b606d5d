import type { Feedback, LLMOptions, Platform, ToolOptions, TurnCtx, UIProvider } from './types'
import { randomHex, traceparentOf } from './lib/ids'
import { jsonSafe } from './lib/json-safe'
import type { SafeCall } from './lib/guard'
import type { Log } from './lib/log'
import { captureMessages } from './transcript'
import { observeStream, readUsage, textOf, type Usage } from './llm'
import { errorInfo, iso, observe, type ErrorInfo } from './lib/observe'
import type { ResolvedConfig } from './config'

/** What a turn needs from its SDK instance. */
export interface TurnHost {
  config: ResolvedConfig
  platform: Platform
  ui?: UIProvider
  /** The instance's log (prints under its `debug`) and its guarded provider call. */
  debug: Log
  safeCall: SafeCall
  /** Queues a `turn` event; `rate` is the sampling rate it passed (undefined: not kept). */
  emit: (fields: Record<string, unknown>, rate: number | undefined) => void
  /** The sampling rate a session keeps for a kind, or undefined when it drops it. */
  sampled: (kind: 'turn' | 'span', traceId: string) => number | undefined
  /** Registers the turn's page-hide report (it sends the turn once as `incomplete`); returns the function that unregisters it. */
  onHide: (report: () => void) => () => void
  /** Sends a `feedback` event for a turn. */
  feedback: (turnId: string, feedback: Feedback) => void
  /** Sends soon what is queued; resolves once the ingest confirmed it, or (bounded) when it cannot be sent now. */
  _sent: () => Promise<void>
  /** The distinct id of the turn's scope, for its headers. */
  _distinctId: () => string
  /** The browser turn a server session continues: this turn's parent span. */
  _parentSpanId?: string
}

/** One AI chat turn: a child span of the session's trace. */
export const createTurn = (host: TurnHost, sessionId: string, seq: number): TurnCtx => {
  const { config, platform: p, ui, debug, safeCall } = host
  const system = config.systemAnalytics
  const turnId = randomHex(8)
  const traceparent = traceparentOf(sessionId, turnId)
  const started_at = iso(p.now())
  const startedPerf = p.perfNow()
  const rate = host.sampled('turn', sessionId)
  const spanRate = host.sampled('span', sessionId)
  let model: string | undefined
  let prompt_id: string | undefined
  let provider: string | undefined
  let llmMs: number | undefined
  let ttftMs: number | undefined
  let outputChars: number | undefined
  const usage: Usage = {}
  let status = 'ok'
  let error: ErrorInfo | undefined
  let messages: unknown
  const tool_calls: Record<string, unknown>[] = []
  const retrievals: unknown[] = []
  const annotations: Record<string, unknown> = {}
  let finished: Promise<void> | undefined
  /** An array or object if it has anything in it. */
  const some = <T extends object>(x: T) => (Object.keys(x).length ? x : undefined)

  const event = (final?: boolean) => ({
    turn_id: turnId,
    seq,
    traceparent,
    parent_span_id: host._parentSpanId,
    session_id: sessionId,
    started_at,
    ended_at: iso(p.now()),
    latency_ms: llmMs ?? Math.round(p.perfNow() - startedPerf),
    time_to_first_token_ms: ttftMs,
    output_characters: outputChars,
    model,
    provider,
    prompt_id,
    // annotate({ usage }) overrides what the result reported
    usage: (annotations.usage as Usage) || some(usage),
    status: final ? status : 'incomplete',
    error,
    messages,
    tool_calls: spanRate && some(tool_calls),
    retrievals: some(retrievals),
    annotations: some(annotations),
    ui_session_id: safeCall<string>(ui, 'getSessionId'),
    ui_replay_url: safeCall<string>(ui, 'getReplayUrl'),
  })

  /** Page hide: the open turn is sent once as `incomplete`; a later finish() sends the final one. */
  const sendIncomplete = () => {
    unregister()
    if (rate) host.emit(event(), rate)
  }
  const unregister = host.onHide(sendIncomplete)

  const self: TurnCtx = {
    turnId,
    seq,
    traceparent,
    wrapLLM<T>(fn: () => T, options: LLMOptions = {}): T {
      model = options.model ?? model
      prompt_id = options.prompt_id ?? prompt_id
      provider = options.provider ?? provider
      const start = p.perfNow()
      const before = llmMs || 0
      const ended = (failed: boolean, e?: unknown) => {
        llmMs = Math.round(before + p.perfNow() - start)
        if (failed) {
          error = errorInfo(e)
          status = error.type == 'AbortError' ? 'aborted' : 'error'
        }
      }
      return observe(fn, (failed, v) => {
        if (failed) return ended(true, v)
        readUsage(v, usage)
        // A stream: time to first token as the user saw it, and its end (or the user stopping it).
        const streaming = observeStream(
          v,
          (chunk) => {
            ttftMs ??= Math.round(p.perfNow() - start)
            outputChars = (outputChars || 0) + textOf(chunk).length
            readUsage(chunk, usage)
          },
          (aborted, e) => {
            ended(!!e, e)
            if (aborted) {
              status = 'aborted'
              self.finish()
            }
          },
          options.signal,
        )
        if (!streaming) ended(false)
      })
    },
    recordTool<T>(name: string, fn: () => T, options: ToolOptions = {}): T {
      if (!config.enableToolWrapping) return fn()
      const span: Record<string, unknown> = {
        span_id: randomHex(8),
        name: String(name),
        type: options.type,
        target: options.target,
        version: options.version,
        started_at: iso(p.now()),
        status: 'incomplete',
      }
      const hookInfo = { turnId, spanId: span.span_id as string, name: span.name as string }
      tool_calls.push(span)
      safeCall(system, 'startSpan', hookInfo)
      const start = p.perfNow()
      return observe(fn, (failed, e) => {
        span.latency_ms = Math.round(p.perfNow() - start)
        span.status = failed ? 'error' : 'ok'
        if (failed) span.error = errorInfo(e)
        safeCall(system, 'endSpan', { ...hookInfo, status: span.status, latency_ms: span.latency_ms })
      })
    },
    addRetrieval(info: unknown) {
      retrievals.push(jsonSafe(info))
    },
    annotate(obj: Record<string, unknown>) {
      const safe = jsonSafe(obj)
      // only a plain object merges (a string would spread into indexed characters)
      if (safe?.constructor == Object) Object.assign(annotations, safe)
      else debug('annotate needs an object, got', typeof obj)
    },
    setMessages(list: unknown[]) {
      messages = captureMessages(list, config)
    },
    finish(): Promise<void> {
      if (!finished) {
        unregister()
        const e = event(true)
        if (rate) host.emit(e, rate)
        safeCall(ui, 'untagTurn', turnId)
        safeCall(system, 'endTurn', { turnId }, e)
        finished = rate ? host._sent() : Promise.resolve()
      }
      return finished
    },
    feedback: (f: Feedback) => host.feedback(turnId, f),
    headers: () => ({
      traceparent,
      // W3C baggage: encodeURIComponent leaves only characters a baggage value may hold
      baggage: `lumina.distinct_id=${encodeURIComponent(host._distinctId())},lumina.session_id=${sessionId},lumina.seq=${seq}`,
    }),
  }
  safeCall(ui, 'tagTurn', { sessionId, turnId, seq, startedAt: started_at })
  safeCall(system, 'startTurn', { sessionId, turnId, seq, traceparent })
  debug('turn', seq, turnId)
  return self
}
