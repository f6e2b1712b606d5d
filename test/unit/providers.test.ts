// The providers as the original README shows them: a system provider over a real OpenTelemetry
// tracer (`tracer.startSpan('turn', { attributes: ctx })`, ended later by the id it returned),
// the README's dummy UI provider with `name`, providers that leave methods out, and
// `uiAnalytics: 'posthog'` meaning the page's window.posthog (a real posthog-js) in this build too.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import posthog from 'posthog-js'
import * as entry from '../../src/index'
import * as posthogEntry from '../../src/providers/posthog'
import { shutdownProviders } from '../../src/provider-calls'
import { safeCaller } from '../../src/lib/guard'
import type { SystemAnalyticsProvider, SystemProvider, UIProvider } from '../../src/types'
import { afterSend, fakeBrowser, tick } from '../helpers'

/** The README's OpenTelemetry provider, written out: spans kept by the id startTurn/startSpan returned. */
const otelProvider = () => {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const tracer = tracerProvider.getTracer('lumina-test')
  const spans = new Map<string, Span>()
  /** Our turn id → the turn's span, so tool spans become its children. */
  const turns = new Map<string, Span>()
  const end = (spanId: string, status: string) => {
    const span = spans.get(spanId)!
    span.setStatus({ code: status == 'ok' ? SpanStatusCode.OK : SpanStatusCode.ERROR })
    span.end()
    spans.delete(spanId)
  }
  const ended: [kind: string, spanId: string, status: string, meta: Record<string, unknown>][] = []
  const provider: SystemAnalyticsProvider = {
    name: 'opentelemetry',
    startTurn: (ctx) => {
      const span = tracer.startSpan('turn', { attributes: ctx })
      spans.set(span.spanContext().spanId, span)
      turns.set(ctx.turn_id, span)
      return { span_id: span.spanContext().spanId }
    },
    endTurn: (spanId, status, meta) => {
      ended.push(['turn', spanId, status, meta])
      end(spanId, status)
    },
    startSpan: (ctx) => {
      const parent = trace.setSpan(context.active(), turns.get(ctx.turn_id)!)
      const span = tracer.startSpan(ctx.name, { attributes: ctx }, parent)
      spans.set(span.spanContext().spanId, span)
      return { span_id: span.spanContext().spanId }
    },
    endSpan: (spanId, status, meta) => {
      ended.push(['span', spanId, status, meta])
      end(spanId, status)
    },
    shutdown: () => tracerProvider.shutdown(),
  }
  return { provider, exporter, ended, open: spans }
}

// (unit tests run on fake time: test/setup/fake-timers.ts)
afterEach(() => {
  delete (window as any).posthog
})

describe('system provider: the original README shape, with a real OpenTelemetry tracer', () => {
  it('turn and tool spans end with the right status, ended by the span ids startTurn/startSpan returned', async () => {
    const otel = otelProvider()
    const b = fakeBrowser()
    const lumina = b.sdk({ systemAnalytics: otel.provider, enableToolWrapping: true })
    const session = await lumina.session.start()
    const turn = session.turn()
    await turn.recordTool('search_docs', async () => ['doc_1'], { type: 'vector_search', target: 'pinecone', version: 'v1' })
    await turn.recordTool('crm', () => Promise.reject(new Error('crm down')), { type: 'http', target: 'crm' }).catch(() => {})
    await turn.wrapLLM(async () => 'hello', { model: 'gpt-4o', prompt_id: 'p1' })
    await afterSend(turn.finish())
    const failing = session.turn()
    await failing.wrapLLM(() => Promise.reject(new Error('rate limited')), { model: 'gpt-4o' }).catch(() => {})
    await afterSend(failing.finish())

    const spans = otel.exporter.getFinishedSpans()
    const [turnSpan, failedTurnSpan] = spans.filter((s) => s.name == 'turn')
    expect(turnSpan.status.code).toBe(SpanStatusCode.OK)
    expect(failedTurnSpan.status.code).toBe(SpanStatusCode.ERROR)
    // ctx went in as the span's attributes, all of them kept (flat primitives)
    expect(turnSpan.attributes).toEqual({ session_id: session.sessionId, turn_id: turn.turnId, seq: 1, traceparent: turn.traceparent })
    expect(failedTurnSpan.attributes).toMatchObject({ turn_id: failing.turnId, seq: 2 })
    const search = spans.find((s) => s.name == 'search_docs')!
    const crm = spans.find((s) => s.name == 'crm')!
    expect(search.status.code).toBe(SpanStatusCode.OK)
    expect(crm.status.code).toBe(SpanStatusCode.ERROR)
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/)
    expect(search.attributes).toEqual({
      turn_id: turn.turnId,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
      name: 'search_docs',
      type: 'vector_search',
      target: 'pinecone',
      version: 'v1',
      started_at: iso,
    })
    expect(crm.attributes).toEqual({ turn_id: turn.turnId, span_id: expect.any(String), name: 'crm', type: 'http', target: 'crm', started_at: iso }) // OpenTelemetry skips `version: undefined`
    expect(search.parentSpanContext?.spanId).toBe(turnSpan.spanContext().spanId)
    expect(otel.open.size).toBe(0) // every span the provider started was ended by its own id

    // status is the turn's; meta the turn event as sent, or the tool call record as sent
    await lumina.flush()
    const turns = b.net.events().filter((e) => e.name == 'turn')
    const turnEnd = otel.ended.find(([kind, id]) => kind == 'turn' && id == turnSpan.spanContext().spanId)!
    expect(turnEnd[2]).toBe('ok')
    expect(turnEnd[3]).toMatchObject({ turn_id: turn.turnId, status: 'ok', model: 'gpt-4o' })
    expect(turnEnd[3].tool_calls).toEqual(turns[0].tool_calls)
    const crmEnd = otel.ended.find(([kind, , , meta]) => kind == 'span' && meta.name == 'crm')!
    expect(crmEnd[2]).toBe('error')
    expect(crmEnd[3]).toEqual(turns[0].tool_calls[1])
    expect(crmEnd[3]).toMatchObject({ status: 'error', error: { type: 'Error', message: 'crm down' } })
    expect(otel.ended.find(([kind, id]) => kind == 'turn' && id == failedTurnSpan.spanContext().spanId)![2]).toBe('error')
  })

  it('a provider whose start returns nothing gets our ids back: the turn id for endTurn, the tool span id for endSpan', async () => {
    const calls: unknown[][] = []
    const system: SystemProvider = {
      startTurn: (ctx) => void calls.push(['startTurn', ctx]),
      endTurn: (...args) => void calls.push(['endTurn', ...args]),
      startSpan: () => ({ span_id: '' }), // an empty id is none
      endSpan: (...args) => void calls.push(['endSpan', ...args]),
    }
    const lumina = fakeBrowser().sdk({ systemAnalytics: system, enableToolWrapping: true })
    const turn = (await lumina.session.start()).turn()
    turn.recordTool('t', () => 1)
    await afterSend(turn.finish())
    const toolSpanId = (calls.find((c) => c[0] == 'endSpan')![3] as any).span_id
    expect(calls.map((c) => c.slice(0, 3))).toEqual([
      ['startTurn', { session_id: expect.any(String), turn_id: turn.turnId, seq: 1, traceparent: turn.traceparent }],
      ['endSpan', toolSpanId, 'ok'],
      ['endTurn', turn.turnId, 'ok'],
    ])
    expect(toolSpanId).toMatch(/^[0-9a-f]{16}$/)
  })

  it('what the provider does to meta is not sent', async () => {
    const system: SystemProvider = {
      endSpan: (_id, _status, meta) => void Object.assign(meta, { name: 'changed' }),
      endTurn: (_id, _status, meta) => void Object.assign(meta, { model: 'changed' }),
    }
    const b = fakeBrowser()
    const lumina = b.sdk({ systemAnalytics: system, enableToolWrapping: true })
    const turn = (await lumina.session.start()).turn()
    turn.recordTool('tool', () => 1)
    await turn.wrapLLM(async () => 'x', { model: 'm' })
    await afterSend(turn.finish())
    await lumina.flush()
    expect(b.net.events()[0]).toMatchObject({ model: 'm', tool_calls: [{ name: 'tool' }] })
  })

  it('a provider that leaves methods out (or has `name` only) is called for the ones it has, and the turn is sent', async () => {
    const endTurn = vi.fn()
    const b = fakeBrowser()
    const lumina = b.sdk({ systemAnalytics: { name: 'ends-only', endTurn }, enableToolWrapping: true })
    const turn = (await lumina.session.start()).turn()
    expect(turn.recordTool('t', () => 'ran')).toBe('ran')
    await afterSend(turn.finish())
    expect(endTurn).toHaveBeenCalledWith(turn.turnId, 'ok', expect.objectContaining({ turn_id: turn.turnId }))
    const bare = b.sdk({ systemAnalytics: { name: 'bare' } })
    await afterSend((await bare.session.start()).turn().finish())
    await bare.flush()
    expect(b.net.events().filter((e) => e.name == 'turn')).toHaveLength(2) // finish() sends: both instances' turns arrive
  })
})

describe('UI provider: the original README shape', () => {
  it("the README's dummy provider (with `name`, every method a no-op) is taken as it is and called", async () => {
    const calls: string[] = []
    const dummy = {
      name: 'none',
      init: () => void calls.push('init'),
      getSessionId: () => '',
      getReplayUrl: () => '',
      tagTurn: () => void calls.push('tagTurn'),
      untagTurn: () => void calls.push('untagTurn'),
      startReplay: () => {},
      stopReplay: () => {},
      captureEvent: () => {},
      shutdown: () => {},
    }
    const b = fakeBrowser()
    const lumina = b.sdk({ uiAnalytics: dummy })
    expect(lumina._isInitialized).toBe(true)
    await afterSend((await lumina.session.start()).turn().finish())
    await lumina.flush()
    expect(calls).toEqual(['init', 'tagTurn', 'untagTurn'])
    expect(b.net.events()[0]).not.toHaveProperty('ui_session_id') // '' is none
  })

  it('a provider that leaves methods out works: the SDK never calls a missing one', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ uiAnalytics: { name: 'replays', getSessionId: () => 'sess_9' } })
    const turn = (await lumina.session.start()).turn()
    turn.feedback({ score: 1 })
    await lumina.identify('user_1')
    lumina.reset()
    await afterSend(turn.finish())
    await lumina.flush()
    expect(b.net.events().find((e) => e.name == 'turn')).toMatchObject({ ui_session_id: 'sess_9' })
  })

  it('createDummyProvider is exported by luminasdk and luminasdk/providers/posthog, with every method of the README', () => {
    expect(entry.createDummyProvider).toBe(posthogEntry.createDummyProvider)
    const dummy = entry.createDummyProvider()
    expect(dummy.name).toBe('none')
    for (const m of [
      'init',
      'getSessionId',
      'getReplayUrl',
      'tagTurn',
      'untagTurn',
      'startReplay',
      'stopReplay',
      'captureEvent',
      'shutdown',
    ] as const) {
      expect(typeof dummy[m], m).toBe('function')
    }
    expect(dummy.getSessionId()).toBe('')
  })

  it('postHogProvider() returns every method of the README shape, named posthog', () => {
    const ui = posthogEntry.postHogProvider()
    expect(ui.name).toBe('posthog')
    for (const m of [
      'init',
      'getSessionId',
      'getReplayUrl',
      'tagTurn',
      'untagTurn',
      'startReplay',
      'stopReplay',
      'captureEvent',
      'shutdown',
      'identify',
      'reset',
    ] as const) {
      expect(typeof ui[m], m).toBe('function')
    }
    expect(ui.getSessionId()).toBeUndefined() // no PostHog on the page: nothing, and no throw
  })
})

describe("uiAnalytics: 'posthog' in the ESM build is the page's window.posthog (a real posthog-js)", () => {
  /** What PostHog would have sent, since the test began (posthog-js is one instance, initialised once). */
  let captured: Record<string, any>[] = []
  const startPostHog = () => {
    captured = []
    ;(window as any).posthog = posthog
    if (posthog.__loaded) {
      return captured
    }
    posthog.init('phc_test', {
      api_host: 'http://127.0.0.1:9',
      persistence: 'memory',
      autocapture: false,
      capture_pageview: false,
      disable_session_recording: true,
      opt_out_useragent_filter: true,
      before_send: (e) => {
        captured.push(e!)
        return null // never on the network
      },
    })
    return captured
  }

  it("'posthog' turns the SDK on (it disabled it) and links turns to PostHog's session", async () => {
    const captured = startPostHog()
    const b = fakeBrowser()
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const lumina = b.sdk({ uiAnalytics: 'posthog' })
    expect(error).not.toHaveBeenCalled()
    error.mockRestore()
    expect(lumina._isInitialized).toBe(true)
    const turn = (await lumina.session.start()).turn()
    posthog.capture('clicked_send')
    await afterSend(turn.finish())
    posthog.capture('after_turn')
    await lumina.flush()
    expect(captured.find((e) => e.event == 'clicked_send')!.properties).toMatchObject({ lumina_turn_id: turn.turnId, lumina_turn_seq: 1 })
    expect(captured.find((e) => e.event == 'after_turn')!.properties).not.toHaveProperty('lumina_turn_id')
    expect(b.net.events().find((e) => e.name == 'turn')).toMatchObject({
      ui_session_id: posthog.get_session_id(),
      ui_replay_url: expect.stringContaining(posthog.get_session_id()),
    })
  })

  it("{ provider: 'posthog', host, projectId } is the page's PostHog too", async () => {
    startPostHog()
    const b = fakeBrowser()
    const lumina = b.sdk({ uiAnalytics: { provider: 'posthog', host: 'https://eu.posthog.com', projectId: 7 } })
    await afterSend((await lumina.session.start()).turn().finish())
    await lumina.flush()
    expect(b.net.events()[0].ui_session_id).toBe(posthog.get_session_id())
  })

  it('another provider name is a config error naming the option', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const lumina = fakeBrowser().sdk({ uiAnalytics: 'amplitude' as any })
    expect(lumina._isInitialized).toBe(false)
    expect(String(error.mock.calls[0])).toContain('"uiAnalytics"')
    error.mockRestore()
  })
})

describe('Lumina._isInitialized', () => {
  it('is false before init, false after a config that cannot work, true after a valid one', () => {
    const b = fakeBrowser()
    const lumina = entry.createLumina()
    expect(lumina._isInitialized).toBe(false)
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    lumina.init({ writeKey: '', endpoint: 'nowhere' })
    error.mockRestore()
    expect(lumina._isInitialized).toBe(false)
    expect(b.sdk()._isInitialized).toBe(true)
    expect(entry.Lumina._isInitialized).toBe(false) // the module's instance: nobody called init
  })
})

describe('shutdownProviders (the hook for Lumina.shutdown())', () => {
  it("calls both providers' shutdown and resolves when both are done, the tracer's spans exported", async () => {
    vi.useRealTimers()
    const otel = otelProvider()
    let uiDone = false
    const ui: UIProvider = { shutdown: () => new Promise<void>((r) => setTimeout(() => r(void (uiDone = true)), 20)) }
    const flushed = vi.spyOn(otel.exporter, 'shutdown')
    await shutdownProviders(
      safeCaller(() => {}),
      ui,
      otel.provider,
    )
    expect(uiDone).toBe(true)
    expect(flushed).toHaveBeenCalledOnce()
  })

  it('never rejects: a throwing or rejecting shutdown, or none at all', async () => {
    const log = vi.fn()
    const safeCall = safeCaller(log)
    await expect(
      shutdownProviders(
        safeCall,
        { shutdown: () => Promise.reject(new Error('ui')) },
        {
          shutdown: () => {
            throw new Error('system')
          },
        },
      ),
    ).resolves.toBeUndefined()
    await expect(shutdownProviders(safeCall, {}, undefined)).resolves.toBeUndefined()
    await tick()
    expect(log).toHaveBeenCalledTimes(2)
  })
})
