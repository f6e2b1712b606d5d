import type { SystemProvider, UIProvider } from './types'
import { newSpanId, traceparentOf } from './lib/ids'
import { jsonSafe } from './lib/json-safe'
import { safeCall } from './lib/guard'
import { debug } from './lib/log'
import { captureMessages } from './transcript'
import { observeStream, readUsage, type Usage } from './llm'
import { errorInfo, iso, observe, type ErrorInfo } from './lib/observe'
import type { ResolvedConfig } from './config'

export interface TurnDeps {
  config: ResolvedConfig
  ui?: UIProvider
  system?: SystemProvider
  now: () => number
  perfNow: () => number
  /** Queues a `turn` event; `rate` is the sampling rate it passed (undefined: not kept). */
  emit: (fields: Record<string, unknown>, rate: number | undefined) => void
  /** The sampling rate a session keeps for a kind, or undefined when it drops it. */
  sampled: (kind: 'turn' | 'span', traceId: string) => number | undefined
  /** Turns still open in this page: sent as `incomplete` if the page is hidden first. */
  open: Set<OpenTurn>
  /** Sends a `feedback` event for a turn. */
  feedback: (turnId: string, feedback: Feedback) => void
}

export interface LLMOptions {
  model?: string
  prompt_id?: string
  /** e.g. 'openai', 'anthropic' (OpenTelemetry's gen_ai.provider.name values). */
  provider?: string
  /** The AbortSignal of a streamed call: if it fires, the turn ends as `aborted`. */
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
  wrapLLM<T>(fn: () => T, options?: LLMOptions): T
  recordTool<T>(name: string, fn: () => T, options?: ToolOptions): T
  addRetrieval(info: unknown): void
  annotate(obj: Record<string, unknown>): void
  setMessages(messages: unknown[]): void
  finish(): Promise<void>
  /** The user's rating of this turn; works after finish() too. */
  feedback(feedback: Feedback): void
  /** Headers that make the page's own request to its backend join this turn's trace. */
  headers(): { traceparent: string }
}

/** An open turn as the page-hide path sees it. */
export interface OpenTurn {
  _provisional(): void
}

/** Page hide: every open turn is sent once as `incomplete`; a later finish() sends the final one. */
export const sendOpenTurns = (open: Set<OpenTurn>) => open.forEach((t) => t._provisional())

/** One AI chat turn: a child span of the session's trace. */
export const createTurn = (deps: TurnDeps, sessionId: string, seq: number): TurnCtx => {
  const { config, now, perfNow } = deps
  const turnId = newSpanId()
  const traceparent = traceparentOf(sessionId, turnId)
  const startedMs = now()
  const startedPerf = perfNow()
  const started_at = iso(startedMs)
  const rate = deps.sampled('turn', sessionId)
  const spanRate = deps.sampled('span', sessionId)
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
  let provisionalSent = false

  const event = (final: boolean) => {
    const ended = now()
    return {
      turn_id: turnId,
      seq,
      traceparent,
      session_id: sessionId,
      started_at,
      ended_at: iso(ended),
      latency_ms: llmMs ?? Math.round(perfNow() - startedPerf),
      time_to_first_token_ms: ttftMs,
      output_characters: outputChars,
      model,
      provider,
      prompt_id,
      // annotate({ usage }) overrides what the result reported
      usage: (annotations.usage as Usage) || (Object.keys(usage).length ? usage : undefined),
      status: final ? status : 'incomplete',
      error,
      messages,
      tool_calls: spanRate && tool_calls.length ? tool_calls : undefined,
      retrievals: retrievals.length ? retrievals : undefined,
      annotations: Object.keys(annotations).length ? annotations : undefined,
      ui_session_id: safeCall<string>(deps.ui, 'getSessionId'),
      ui_replay_url: safeCall<string>(deps.ui, 'getReplayUrl'),
    }
  }

  const self = {
    turnId,
    seq,
    traceparent,
    wrapLLM<T>(fn: () => T, options: LLMOptions = {}): T {
      model = options.model ?? model
      prompt_id = options.prompt_id ?? prompt_id
      provider = options.provider ?? provider
      const start = perfNow()
      const before = llmMs || 0
      const ended = (failed: boolean, e?: unknown) => {
        llmMs = Math.round(before + perfNow() - start)
        if (failed) {
          error = errorInfo(e)
          status = error.type == 'AbortError' ? 'aborted' : 'error'
        }
        debug('llm call', status, llmMs, 'ms')
      }
      return observe(fn, (failed, v) => {
        if (failed) return ended(true, v)
        readUsage(v, usage)
        // A stream: time to first token as the user saw it, and its end (or the user stopping it).
        const streaming = observeStream(
          v,
          {
            first: () => (ttftMs = Math.round(perfNow() - start)),
            chunk: (chars, chunk) => ((outputChars = (outputChars || 0) + chars), readUsage(chunk, usage)),
            end: (aborted, e) => {
              ended(!!e, e)
              if (aborted) (status = 'aborted'), self.finish()
            },
          },
          options.signal,
        )
        if (!streaming) ended(false)
      })
    },
    recordTool<T>(name: string, fn: () => T, options: ToolOptions = {}): T {
      if (!config.enableToolWrapping) return fn()
      const span: Record<string, unknown> = {
        span_id: newSpanId(),
        name: String(name),
        type: options.type,
        target: options.target,
        version: options.version,
        started_at: iso(now()),
        status: 'incomplete',
      }
      const hookInfo = { turnId, spanId: span.span_id as string, name: span.name as string }
      tool_calls.push(span)
      safeCall(deps.system, 'startSpan', hookInfo)
      const start = perfNow()
      return observe(fn, (failed, e) => {
        span.latency_ms = Math.round(perfNow() - start)
        span.status = failed ? 'error' : 'ok'
        if (failed) span.error = errorInfo(e)
        safeCall(deps.system, 'endSpan', { ...hookInfo, status: span.status, latency_ms: span.latency_ms })
      })
    },
    addRetrieval(info: unknown) {
      retrievals.push(jsonSafe(info))
    },
    annotate(obj: Record<string, unknown>) {
      const safe = jsonSafe(obj)
      // only a plain object merges (a string would spread into indexed characters)
      if (safe && typeof safe == 'object' && !Array.isArray(safe)) Object.assign(annotations, safe)
      else debug('annotate needs an object, got', typeof obj)
    },
    setMessages(list: unknown[]) {
      messages = captureMessages(list, config.captureTranscript, config.maskFn)
    },
    finish(): Promise<void> {
      if (!finished) {
        deps.open.delete(tracked)
        const e = event(true)
        if (rate) deps.emit(e, rate)
        safeCall(deps.ui, 'untagTurn', turnId)
        safeCall(deps.system, 'endTurn', { turnId }, e)
        debug('turn finished', seq, e.status)
        finished = Promise.resolve()
      }
      return finished
    },
    feedback(feedback: Feedback) {
      deps.feedback(turnId, feedback)
    },
    headers: () => ({ traceparent }),
  }
  const tracked: OpenTurn = {
    _provisional() {
      if (!provisionalSent && rate) deps.emit(event(false), rate)
      provisionalSent = true
    },
  }
  deps.open.add(tracked)
  safeCall(deps.ui, 'tagTurn', { sessionId, turnId, seq, startedAt: started_at })
  safeCall(deps.system, 'startTurn', { sessionId, turnId, seq, traceparent })
  debug('turn started', seq, turnId)
  return self
}
