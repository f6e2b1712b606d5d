// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import * as semconv from '@opentelemetry/semantic-conventions/incubating'
import { GEN_AI_SEMCONV_VERSION, providerOf, toOtlpSpans, toPostHogFeedback, toPostHogGeneration } from '../../src/mappings'

const turn = {
  id: '7b0c2c44-3a51-4d0c-9d1e-0c1c7a0e6f10',
  name: 'turn',
  session_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  turn_id: '00f067aa0ba902b7',
  seq: 2,
  started_at: '2026-11-24T10:00:00.000Z',
  ended_at: '2026-11-24T10:00:02.500Z',
  latency_ms: 2300,
  time_to_first_token_ms: 450,
  model: 'gpt-4o-mini',
  status: 'error',
  error: { type: 'RateLimitError', message: 'slow down' },
  usage: { input_tokens: 120, output_tokens: 48 },
  tool_calls: [
    { span_id: '1111222233334444', name: 'search', type: 'function', started_at: '2026-11-24T10:00:00.100Z', status: 'ok', latency_ms: 250 },
  ],
  ui_session_id: 'ph-session-9',
}

/** Every `ATTR_*` value and enum value the published semantic conventions define. */
const published = new Set<unknown>(Object.values(semconv).filter((v) => typeof v == 'string'))

/** Every `$ai_*` name in the published PostHog packages (@posthog/ai, posthog-js). */
const postHogNames = (() => {
  const names = new Set<string>()
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f)
      if (statSync(p).isDirectory()) {
        walk(p)
      } else if (/\.m?js$/.test(f)) {
        for (const m of readFileSync(p, 'utf8').matchAll(/\$ai_[a-z_]+/g)) {
          names.add(m[0])
        }
      }
    }
  }
  walk(resolve(__dirname, '../../node_modules/@posthog/ai/dist'))
  for (const f of ['module.js', 'array.js']) {
    for (const m of readFileSync(resolve(__dirname, '../../node_modules/posthog-js/dist', f), 'utf8').matchAll(/\$ai_[a-z_]+/g)) {
      names.add(m[0])
    }
  }
  return names
})()

describe('OpenTelemetry GenAI mapping', () => {
  const request = toOtlpSpans(turn)
  const [chat, tool] = request.resourceSpans[0].scopeSpans[0].spans as any[]
  const attrs = (span: any) => Object.fromEntries(span.attributes.map((a: any) => [a.key, Object.values(a.value)[0]]))

  it('pins semantic conventions v1.41.0, the version of the package we check against', () => {
    expect(GEN_AI_SEMCONV_VERSION).toBe('1.41.0')
    expect(
      JSON.parse(readFileSync(resolve(__dirname, '../../node_modules/@opentelemetry/semantic-conventions/package.json'), 'utf8')).version,
    ).toMatch(/^1\.41\./)
    expect(request.resourceSpans[0].scopeSpans[0].schemaUrl).toBe('https://opentelemetry.io/schemas/1.41.0')
  })

  it('every attribute name is in the published conventions', () => {
    for (const span of [chat, tool]) {
      for (const { key } of span.attributes) {
        expect(published, key).toContain(key)
      }
    }
    for (const { key } of request.resourceSpans[0].resource.attributes) {
      expect(published, key).toContain(key)
    }
  })

  it('the chat span: ids, times, model, provider, usage, time to first chunk in seconds, error status', () => {
    expect(chat).toMatchObject({
      traceId: turn.session_id,
      spanId: turn.turn_id,
      name: 'chat gpt-4o-mini',
      kind: 3,
      startTimeUnixNano: '1795514400000000000',
      endTimeUnixNano: '1795514402500000000',
    })
    const a = attrs(chat)
    expect(a[semconv.ATTR_GEN_AI_OPERATION_NAME]).toBe(semconv.GEN_AI_OPERATION_NAME_VALUE_CHAT)
    expect(a[semconv.ATTR_GEN_AI_REQUEST_MODEL]).toBe('gpt-4o-mini')
    expect(a[semconv.ATTR_GEN_AI_PROVIDER_NAME]).toBe(semconv.GEN_AI_PROVIDER_NAME_VALUE_OPENAI)
    expect(a[semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toBe('120')
    expect(a[semconv.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).toBe('48')
    expect(a[semconv.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]).toBe(0.45)
    expect(a[semconv.ATTR_GEN_AI_CONVERSATION_ID]).toBe(turn.session_id)
    expect(a[semconv.ATTR_ERROR_TYPE]).toBe('RateLimitError')
    expect(chat.status.code).toBe(2)
  })

  it('tool calls are child execute_tool spans from their span_id and started_at', () => {
    expect(tool).toMatchObject({ traceId: turn.session_id, spanId: '1111222233334444', parentSpanId: turn.turn_id, name: 'execute_tool search' })
    expect(BigInt(tool.endTimeUnixNano) - BigInt(tool.startTimeUnixNano)).toBe(250_000_000n)
    expect(attrs(tool)[semconv.ATTR_GEN_AI_OPERATION_NAME]).toBe(semconv.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL)
    expect(attrs(tool)[semconv.ATTR_GEN_AI_TOOL_NAME]).toBe('search')
  })

  it('provider names come from the published enum', () => {
    for (const model of ['gpt-4o', 'o3-mini', 'claude-sonnet-4', 'gemini-2.5-pro', 'mistral-large', 'grok-4', 'deepseek-r1']) {
      expect(published, model).toContain(providerOf({ model }))
    }
    expect(providerOf({ model: 'x', provider: 'groq' })).toBe('groq')
    expect(providerOf({ model: 'my-own-model' })).toBeUndefined()
  })
})

describe('PostHog mapping', () => {
  it('$ai_generation: every property name is one PostHog publishes; seconds for latency and TTFT', () => {
    const { event, properties } = toPostHogGeneration(turn)
    expect(event).toBe('$ai_generation')
    expect(postHogNames).toContain(event)
    for (const key of Object.keys(properties)) {
      if (key != '$session_id') {
        expect(postHogNames, key).toContain(key)
      }
    }
    expect(properties).toMatchObject({
      $ai_model: 'gpt-4o-mini',
      $ai_provider: 'openai',
      $ai_latency: 2.3,
      $ai_time_to_first_token: 0.45,
      $ai_input_tokens: 120,
      $ai_output_tokens: 48,
      $ai_trace_id: turn.session_id,
      $ai_span_id: turn.turn_id,
      $ai_is_error: true,
      $session_id: 'ph-session-9',
    })
    expect(toPostHogGeneration(turn, { sessionId: 'other' }).properties.$session_id).toBe('other')
  })

  it('feedback as $ai_feedback on the trace', () => {
    const { event, properties } = toPostHogFeedback({
      name: 'feedback',
      session_id: turn.session_id,
      turn_id: turn.turn_id,
      score: 1,
      comment: 'nice',
    })
    expect(event).toBe('$ai_feedback')
    for (const key of [event, '$ai_trace_id', '$ai_span_id', '$ai_feedback_text']) {
      expect(postHogNames, key).toContain(key)
    }
    expect(properties).toMatchObject({ $ai_trace_id: turn.session_id, $ai_feedback_text: 'nice', score: 1 })
  })
})
