/**
 * Pure functions that map Lumina events to the standards other tools read: OpenTelemetry
 * GenAI spans (OTLP/JSON, semantic conventions v1.41.0) and PostHog's LLM analytics events.
 * ESM only (not in the CDN bundle): use them where you forward our events.
 */
import { SDK } from './event'

/** The semantic-conventions version these mappings follow. */
export const GEN_AI_SEMCONV_VERSION = '1.41.0'

type TurnEvent = Record<string, any>

/** gen_ai.provider.name from the turn's `provider`, else guessed from the model name. */
export const providerOf = (turn: TurnEvent): string | undefined => {
  if (turn.provider) {
    return turn.provider
  }
  const m = String(turn.model || '').toLowerCase()
  return /^(gpt|o\d|chatgpt|text-embedding|davinci)/.test(m)
    ? 'openai'
    : m.startsWith('claude')
      ? 'anthropic'
      : m.startsWith('gemini')
        ? 'gcp.gemini'
        : /^(mistral|mixtral|codestral)/.test(m)
          ? 'mistral_ai'
          : m.startsWith('grok')
            ? 'x_ai'
            : m.startsWith('deepseek')
              ? 'deepseek'
              : undefined
}

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean }
interface KeyValue {
  key: string
  value: AnyValue
}

/** OTLP/JSON attributes: int64 as a decimal string, as the protobuf JSON mapping says. */
const attributes = (o: Record<string, unknown>): KeyValue[] =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([key, v]) => ({
      key,
      value:
        typeof v == 'boolean'
          ? { boolValue: v }
          : typeof v == 'number'
            ? Number.isInteger(v)
              ? { intValue: String(v) }
              : { doubleValue: v }
            : { stringValue: String(v) },
    }))

const nanos = (iso: string, plusMs = 0) => (BigInt(Date.parse(iso) + Math.round(plusMs)) * 1_000_000n).toString()

/** OTLP span kind CLIENT and INTERNAL; status codes OK and ERROR. */
const KIND_CLIENT = 3
const KIND_INTERNAL = 1
const STATUS = (error?: { type: string; message: string }) => (error ? { code: 2, message: `${error.type}: ${error.message}` } : { code: 1 })

/**
 * A turn event as an OpenTelemetry GenAI `chat` span with its tool calls as child
 * `execute_tool` spans, in an OTLP/JSON `ExportTraceServiceRequest` (POST it to /v1/traces).
 *
 * @example await fetch(otlp + '/v1/traces', { method: 'POST', body: JSON.stringify(toOtlpSpans(turn)) })
 */
export const toOtlpSpans = (turn: TurnEvent, serviceName = 'browser') => {
  const model = turn.model
  const spans: Record<string, unknown>[] = [
    {
      traceId: turn.session_id,
      spanId: turn.turn_id,
      name: model ? `chat ${model}` : 'chat',
      kind: KIND_CLIENT,
      startTimeUnixNano: nanos(turn.started_at),
      endTimeUnixNano: nanos(turn.ended_at),
      attributes: attributes({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': model,
        'gen_ai.provider.name': providerOf(turn),
        'gen_ai.conversation.id': turn.session_id,
        'gen_ai.usage.input_tokens': turn.usage?.input_tokens,
        'gen_ai.usage.output_tokens': turn.usage?.output_tokens,
        // seconds, as the convention says
        'gen_ai.response.time_to_first_chunk': turn.time_to_first_token_ms != null ? turn.time_to_first_token_ms / 1000 : undefined,
        'error.type': turn.error?.type,
      }),
      status: STATUS(turn.error),
    },
  ]
  for (const tool of turn.tool_calls || []) {
    spans.push({
      traceId: turn.session_id,
      spanId: tool.span_id,
      parentSpanId: turn.turn_id,
      name: `execute_tool ${tool.name}`,
      kind: KIND_INTERNAL,
      startTimeUnixNano: nanos(tool.started_at),
      endTimeUnixNano: nanos(tool.started_at, tool.latency_ms || 0),
      attributes: attributes({
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': tool.name,
        'gen_ai.tool.type': tool.type,
        'gen_ai.conversation.id': turn.session_id,
        'error.type': tool.error?.type,
      }),
      status: STATUS(tool.error),
    })
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: attributes({ 'service.name': serviceName, 'telemetry.sdk.name': SDK.name, 'telemetry.sdk.version': SDK.version }) },
        scopeSpans: [
          { scope: { name: SDK.name, version: SDK.version }, schemaUrl: `https://opentelemetry.io/schemas/${GEN_AI_SEMCONV_VERSION}`, spans },
        ],
      },
    ],
  }
}

/**
 * A turn event as PostHog's `$ai_generation` (LLM analytics), linked to the session replay
 * by `$session_id` (the turn's `ui_session_id` unless given).
 *
 * @example posthog.capture(...Object.values(toPostHogGeneration(turn)))
 */
export const toPostHogGeneration = (turn: TurnEvent, options: { sessionId?: string } = {}) => ({
  event: '$ai_generation',
  properties: strip({
    $ai_model: turn.model,
    $ai_provider: providerOf(turn),
    $ai_latency: turn.latency_ms != null ? turn.latency_ms / 1000 : undefined,
    $ai_time_to_first_token: turn.time_to_first_token_ms != null ? turn.time_to_first_token_ms / 1000 : undefined,
    $ai_input_tokens: turn.usage?.input_tokens,
    $ai_output_tokens: turn.usage?.output_tokens,
    $ai_trace_id: turn.session_id,
    $ai_span_id: turn.turn_id,
    $ai_is_error: turn.status == 'error' || undefined,
    $ai_error: turn.error ? `${turn.error.type}: ${turn.error.message}` : undefined,
    $session_id: options.sessionId ?? turn.ui_session_id,
  }),
})

/** A `feedback` event as PostHog's `$ai_feedback` on the turn's trace. */
export const toPostHogFeedback = (feedback: TurnEvent) => ({
  event: '$ai_feedback',
  properties: strip({
    $ai_trace_id: feedback.session_id,
    $ai_span_id: feedback.turn_id,
    $ai_feedback_text: feedback.comment ?? String(feedback.score),
    score: feedback.score,
  }),
})

const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
