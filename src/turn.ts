import type { Feedback, LLMOptions, Platform, ToolOptions, TurnCtx, UIProvider } from './types'
import { iso, randomHex, traceparentOf } from './lib/ids'
import { jsonSafe, toText } from './lib/json-safe'
import type { SafeCall } from './lib/guard'
import type { Log } from './lib/log'
import { captureMessages, maskerOf } from './transcript'
import { observeStream, readUsage, textOf, type Usage } from './llm'
import { errorInfo, observe, type ErrorInfo } from './lib/observe'
import type { ResolvedConfig } from './config'
import { startSystemSpan, type EndSpan } from './provider-calls'

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

/** Earlier attempts' errors kept on a turn, at most. */
const MAX_ATTEMPT_ERRORS = 10

/**
 * The usage the schema accepts (counts only): what `annotate({ usage })` says (a JSON-safe
 * copy, read like a result's usage) over what the results reported; undefined without counts.
 */
const usageOf = (annotated: unknown, reported: Usage): Usage | undefined => {
  const counts = { ...reported }
  readUsage({ usage: annotated }, counts)
  return counts.input_tokens === undefined && counts.output_tokens === undefined ? undefined : counts
}

/** One AI chat turn: a child span of the session's trace. */
export const createTurn = (host: TurnHost, sessionId: string, seq: number): TurnCtx => {
  const { config, platform: p, ui, debug, safeCall } = host
  const system = config.systemAnalytics
  /** Under masked capture, error messages, annotations and retrievals are masked like the transcript. */
  const mask = maskerOf(config)
  const turnId = randomHex(8)
  const traceparent = traceparentOf(sessionId, turnId)
  const started_at = iso(p.now())
  const startedPerf = p.perfNow()
  /** Whole milliseconds since `start` (a perfNow reading). */
  const since = (start: number) => Math.max(0, Math.round(p.perfNow() - start))
  const rate = host.sampled('turn', sessionId)
  const spanRate = host.sampled('span', sessionId)
  let model: string | undefined
  let prompt_id: string | undefined
  let provider: string | undefined
  // the last attempt's: latency, time to first token, characters streamed, status and error
  let llmMs: number | undefined
  let ttftMs: number | undefined
  let outputChars: number | undefined
  let status = 'ok'
  let error: ErrorInfo | undefined
  /** wrapLLM calls so far; the last one is the attempt the turn reports. */
  let attempts = 0
  let attemptErrors: ErrorInfo[] | undefined
  const usage: Usage = {}
  let messages: unknown
  // made when first used: most turns have no tools, retrievals or annotations
  let toolCalls: Record<string, unknown>[] | undefined
  let retrievals: unknown[] | undefined
  let annotations: Record<string, unknown> | undefined
  let finished: Promise<void> | undefined

  const event = (final?: boolean) => ({
    turn_id: turnId,
    seq,
    traceparent,
    parent_span_id: host._parentSpanId,
    session_id: sessionId,
    started_at,
    ended_at: iso(p.now()),
    latency_ms: llmMs ?? since(startedPerf),
    time_to_first_token_ms: ttftMs,
    output_characters: outputChars,
    model,
    provider,
    prompt_id,
    // annotate({ usage }) overrides what the result reported
    usage: usageOf(annotations?.usage, usage),
    status: final ? status : 'incomplete',
    error,
    attempts: attempts > 1 ? attempts : undefined,
    attempt_errors: attemptErrors,
    messages,
    tool_calls: spanRate ? toolCalls : undefined,
    retrievals,
    annotations,
    // '' is "none" (the original README's dummy provider answers '')
    ui_session_id: toText(safeCall(ui, 'getSessionId'), 1024) || undefined,
    ui_replay_url: toText(safeCall(ui, 'getReplayUrl'), 2048) || undefined,
  })

  /** Page hide: the open turn is sent once as `incomplete`; a later finish() sends the final one. */
  const sendIncomplete = () => {
    unregister()
    if (rate) {
      host.emit(event(), rate)
    }
  }
  const unregister = host.onHide(sendIncomplete)

  /** Keeps an earlier attempt's error (the latest MAX_ATTEMPT_ERRORS). */
  const addAttemptError = (info: ErrorInfo) => {
    attemptErrors = (attemptErrors || []).concat(info).slice(-MAX_ATTEMPT_ERRORS)
  }

  /** Starts an attempt: the one before it, if it failed, becomes an earlier attempt's error. Returns how the attempt's end is reported. */
  const startAttempt = (options: LLMOptions) => {
    // options that throw when read (a Proxy) end here, in wrapLLM's catch: the call still runs, unobserved
    const signal = options.signal
    const m = options.model
    const pid = options.prompt_id
    const prov = options.provider
    model = toText(m) ?? model
    prompt_id = toText(pid) ?? prompt_id
    provider = toText(prov) ?? provider
    const n = ++attempts
    if (error) {
      addAttemptError(error)
    }
    status = 'ok'
    error = undefined
    ttftMs = undefined
    outputChars = undefined
    const start = p.perfNow()
    /** The attempt ended: ok, stopped (`aborted`), or with an error. */
    const ended = (outcome: 'ok' | 'aborted' | 'error', e?: unknown) => {
      const info = outcome == 'error' ? errorInfo(e, mask) : undefined
      if (n != attempts) {
        // a retry started before this attempt ended: it only adds its error
        if (info) {
          addAttemptError(info)
        }
        return
      }
      llmMs = since(start)
      status = info?.type == 'AbortError' ? 'aborted' : outcome
      error = info
    }
    return (failed: boolean, v: unknown) => {
      if (failed) {
        return ended('error', v)
      }
      readUsage(v, usage)
      // A stream: time to first token as the user saw it, and its end (or the user stopping it:
      // the turn is marked aborted and stays open for the host's setMessages/annotate/finish).
      const streaming = observeStream(
        v,
        (chunk) => {
          readUsage(chunk, usage)
          if (n != attempts) {
            return
          }
          ttftMs ??= since(start)
          outputChars = (outputChars || 0) + textOf(chunk).length
        },
        (aborted, e) => ended(e ? 'error' : aborted ? 'aborted' : 'ok', e),
        signal,
        debug,
      )
      if (!streaming) {
        ended('ok')
      }
    }
  }

  const self: TurnCtx = {
    turnId,
    seq,
    traceparent,
    wrapLLM<T>(fn: () => T, options?: LLMOptions): T {
      let done: ((failed: boolean, v: unknown) => void) | undefined
      try {
        done = startAttempt(options || {})
      } catch (e) {
        debug('wrapLLM failed', e) // the host's call still runs
      }
      return observe(fn, (failed, v) => done?.(failed, v), debug)
    },
    recordTool<T>(name: string, fn: () => T, options?: ToolOptions): T {
      if (!config.enableToolWrapping) {
        return fn()
      }
      let span: Record<string, unknown> | undefined
      let endSystemSpan: EndSpan | undefined
      let start = 0
      try {
        const spanId = randomHex(8)
        const spanName = toText(name) ?? typeof name
        span = {
          span_id: spanId,
          name: spanName,
          type: toText(options?.type),
          target: toText(options?.target, 1024),
          version: toText(options?.version),
          started_at: iso(p.now()),
        }
        // the system provider's span attributes: the record so far, and its turn
        endSystemSpan = startSystemSpan(safeCall, system, 'Span', { turn_id: turnId, ...span }, spanId)
        span.status = 'incomplete'
        if (!toolCalls) {
          toolCalls = []
        }
        toolCalls.push(span)
        start = p.perfNow()
      } catch (e) {
        debug('recordTool failed', e) // the host's call still runs
      }
      return observe(
        fn,
        (failed, e) => {
          if (!span) {
            return
          }
          span.latency_ms = since(start)
          span.status = failed ? 'error' : 'ok'
          if (failed) {
            span.error = errorInfo(e, mask)
          }
          endSystemSpan?.(span.status as string, span)
        },
        debug,
      )
    },
    addRetrieval(info: unknown) {
      if (!retrievals) {
        retrievals = []
      }
      retrievals.push(jsonSafe(info, undefined, mask))
    },
    annotate(obj: Record<string, unknown>) {
      const safe = jsonSafe(obj, undefined, mask)
      // only an object merges (a string would spread into indexed characters, an array into indexes)
      if (safe && typeof safe == 'object' && !Array.isArray(safe)) {
        annotations = Object.assign(annotations || {}, safe)
      } else {
        debug('annotate needs an object, got', typeof obj)
      }
    },
    setMessages(list: unknown[]) {
      const captured = captureMessages(list, config, mask)
      // the schema's `messages` is an array: one message given alone is wrapped, null dropped
      messages = captured == null || Array.isArray(captured) ? (captured ?? undefined) : [captured]
    },
    finish(): Promise<void> {
      if (!finished) {
        unregister()
        const e = event(true)
        if (rate) {
          host.emit(e, rate)
        }
        safeCall(ui, 'untagTurn', turnId)
        endSystemTurn(e.status, e)
        finished = rate ? host._sent() : Promise.resolve()
      }
      return finished
    },
    feedback(f: Feedback) {
      try {
        host.feedback(turnId, f)
      } catch (e) {
        debug('feedback failed', e) // a hostile feedback object (a throwing getter)
      }
    },
    headers: () => ({
      traceparent,
      // W3C baggage: encodeURIComponent leaves only characters a baggage value may hold
      baggage: `lumina.distinct_id=${encodeURIComponent(host._distinctId())},lumina.session_id=${sessionId},lumina.seq=${seq}`,
    }),
  }
  safeCall(ui, 'tagTurn', { sessionId, turnId, seq, startedAt: started_at })
  const endSystemTurn = startSystemSpan(safeCall, system, 'Turn', { session_id: sessionId, turn_id: turnId, seq, traceparent }, turnId)
  debug('turn', seq, turnId)
  return self
}
