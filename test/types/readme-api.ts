// Type test: every API form the original README of this SDK shows (the code its users have),
// written as a user would against `luminasdk`, type-checked under --strict in `npm test`:
// by `tsc --noEmit` against src/ (tsconfig.json maps the package name), and by
// test/unit/package.test.ts against the packed tarball under every moduleResolution.
// Nothing here runs. A public name or signature that regresses fails the build; the
// expected errors at the end fail it too if the types ever go `any`.
import { Lumina, CaptureTranscript, ChatInputTracker, createDummyProvider } from 'luminasdk'
import type { SessionCtx, SystemAnalyticsProvider, TurnCtx, UIAnalyticsProvider } from 'luminasdk'
import { postHogProvider, createDummyProvider as dummyFromSubpath } from 'luminasdk/providers/posthog'
import { trace, context, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api'

// --- stand-ins for the user's own world (an OpenAI-like client, a vector store, env) ---
interface Completion {
  choices: { message: { content: string | null } }[]
}
interface Chunk {
  choices: { delta?: { content?: string } }[]
}
interface ChatClient {
  chat: {
    completions: {
      create(body: { model: string; messages: { role: string; content: string }[]; stream: true }): Promise<AsyncIterable<Chunk>>
      create(body: { model: string; messages: { role: string; content: string }[]; stream?: false }): Promise<Completion>
    }
  }
}
declare const openai: ChatClient
declare const vectorDB: { search(query: string, options?: { limit: number }): Promise<{ id: string; score: number; text: string }[]> }
declare const env: Record<string, string | undefined>
declare function callModel(text: string): Promise<string>
declare function showChunk(text: string): void

// --- Quick Start: init with every documented option ---
Lumina.init({
  endpoint: 'https://ingest.example.com',
  writeKey: 'gi_xxxxx',
  captureTranscript: CaptureTranscript.Full,
  maskFn: (text) => text,
  enableToolWrapping: true,
  flushIntervalMs: 5000,
  maxBatchBytes: 100_000,
  uiAnalytics: createDummyProvider(),
  sampling: { turn: 1.0, uiEvent: 0.1, span: 0.5 },
  debug: true,
})

export async function quickStart(): Promise<string> {
  const session = await Lumina.session.start()
  const turn = session.turn()
  const response = await turn.wrapLLM(
    async () => await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello!' }] }),
    { model: 'gpt-4o', prompt_id: 'greeting_v1' },
  )
  const reply: string = response.choices[0].message.content || ''
  turn.setMessages([
    { role: 'user', content: 'Hello!' },
    { role: 'assistant', content: reply },
  ])
  await turn.finish()
  return reply
}

// --- Turn methods: recordTool, addRetrieval, annotate, finish in try/finally ---
export async function ragTurn(session: SessionCtx, question: string): Promise<void> {
  const turn: TurnCtx = session.turn()
  try {
    const hits = await turn.recordTool('vector_search', async () => await vectorDB.search(question, { limit: 5 }), {
      type: 'vector_search',
      target: 'pinecone',
      version: 'v1',
    })
    turn.addRetrieval({
      source: 'documentation',
      query: question,
      results: hits.map((hit) => ({ id: hit.id, score: hit.score, content: hit.text.substring(0, 200) })),
    })
    turn.addRetrieval({
      source: 'docs',
      query: question,
      results: [
        { id: 'doc_123', score: 0.95, content: '…' },
        { id: 'doc_456', score: 0.87 },
      ],
    })
    const context = hits.map((hit) => hit.text).join('\n\n')
    const answer = await turn.wrapLLM(() => callModel(`${context}\n${question}`), { model: 'gpt-4o', prompt_id: 'rag_v1' })
    turn.setMessages([
      { role: 'user', content: question },
      { role: 'assistant', content: answer },
    ])
    turn.annotate({ contextLength: context.length, documentsRetrieved: hits.length, custom_tag: 'high_priority' })
  } finally {
    await turn.finish()
  }
}

// --- Streaming: wrapLLM hands the stream back as it is ---
export async function streamed(session: SessionCtx, userMessage: string): Promise<void> {
  const turn = session.turn()
  const startedAt = Date.now()
  try {
    const stream = await turn.wrapLLM(
      async () => await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: userMessage }], stream: true }),
      { model: 'gpt-4o', prompt_id: 'chat_v1' },
    )
    let full = ''
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta?.content || ''
      full += piece
      showChunk(piece)
    }
    turn.setMessages([
      { role: 'user', content: userMessage },
      { role: 'assistant', content: full },
    ])
    turn.annotate({ streaming: true, totalLatencyMs: Date.now() - startedAt })
  } finally {
    await turn.finish()
  }
}

// --- Error handling & retries: several wrapLLM attempts on one turn, finished once ---
export async function withRetries(userMessage: string, maxRetries = 3): Promise<Completion | undefined> {
  const session = await Lumina.session.start()
  const turn = session.turn()
  for (let attempt = 0; attempt < maxRetries; attempt++) {
    try {
      const response = await turn.wrapLLM(
        async () => await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: userMessage }] }),
        {
          model: 'gpt-4o',
          prompt_id: 'chat_v1',
        },
      )
      turn.annotate({ success: true, attemptNumber: attempt + 1 })
      await turn.finish()
      return response
    } catch (error) {
      const e = error as Error
      turn.annotate({ error: { message: e.message, type: e.constructor.name, attempt: attempt + 1 } })
      if (attempt === maxRetries - 1) {
        await turn.finish()
        throw error
      }
      await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 1000))
    }
  }
  return undefined
}

// --- Identity ---
export async function identity(): Promise<boolean> {
  await Lumina.identify('user_123', { email: 'john@example.com', name: 'John Doe' })
  await Lumina.identify('user_456', undefined, { newSession: true })
  await Lumina.identify('user_789')
  const id: string = Lumina.getDistinctId()
  const anonymous: boolean = Lumina.isAnonymous()
  Lumina.reset()
  await Lumina.flush()
  console.log('Lumina initialized:', Lumina._isInitialized, id)
  return anonymous
}

// --- PostHog: the provider has every method, so its calls type-check under --strict ---
export async function withPostHog(): Promise<void> {
  const uiProvider = postHogProvider({ apiKey: 'phc_xxxxx', host: 'https://us.posthog.com', projectId: '12345' })
  Lumina.init({ writeKey: 'gi_xxxxx', endpoint: 'https://ingest.example.com', uiAnalytics: uiProvider })
  Lumina.init({ writeKey: 'gi_xxxxx', endpoint: 'https://ingest.example.com', uiAnalytics: 'posthog' })
  Lumina.init({
    writeKey: 'gi_xxxxx',
    endpoint: 'https://ingest.example.com',
    uiAnalytics: { provider: 'posthog', host: 'https://eu.posthog.com', projectId: 12345 },
  })
  const session = await Lumina.session.start()
  const turn = session.turn()
  turn.annotate({ ui_session_id: uiProvider.getSessionId(), ui_replay_url: uiProvider.getReplayUrl() })
  await turn.finish()
  uiProvider.startReplay()
  uiProvider.stopReplay()
  uiProvider.captureEvent('checkout', { plan: 'pro' })
  await uiProvider.shutdown()

  // Chat input tracking with the same provider
  const tracker = new ChatInputTracker(uiProvider, session.sessionId)
  tracker.onInputStart()
  tracker.onMessageSubmit('msg_1', 'What is the weather?')
  tracker.onInputAbandoned('half a thought')
}

// --- The README's dummy provider, written by hand; and ours, from both entries ---
function handMadeDummy() {
  return {
    name: 'none',
    init: () => {},
    getSessionId: () => '',
    getReplayUrl: () => '',
    tagTurn: () => {},
    untagTurn: () => {},
    startReplay: () => {},
    stopReplay: () => {},
    captureEvent: () => {},
    shutdown: () => {},
  }
}
export const providers: UIAnalyticsProvider[] = [handMadeDummy(), createDummyProvider(), dummyFromSubpath(), postHogProvider()]
Lumina.init({ writeKey: 'gi_xxxxx', endpoint: 'https://ingest.example.com', uiAnalytics: handMadeDummy() })
// a provider of your own may leave methods out
Lumina.init({ writeKey: 'gi_xxxxx', endpoint: 'https://ingest.example.com', uiAnalytics: { name: 'replays', getSessionId: () => 'abc' } })

// --- Custom system analytics provider (OpenTelemetry), the README's shape ---
export function openTelemetryProvider(tracer: Tracer, flush: () => Promise<void>): SystemAnalyticsProvider {
  const spans = new Map<string, Span>()
  const turns = new Map<string, Span>()
  const end = (spanId: string, status: string) => {
    const span = spans.get(spanId)
    span?.setStatus({ code: status === 'ok' ? SpanStatusCode.OK : SpanStatusCode.ERROR })
    span?.end()
    spans.delete(spanId)
  }
  return {
    name: 'opentelemetry',
    startTurn: (ctx) => {
      const span = tracer.startSpan('turn', { attributes: ctx })
      spans.set(span.spanContext().spanId, span)
      turns.set(ctx.turn_id, span)
      return { span_id: span.spanContext().spanId }
    },
    endTurn: (spanId, status, meta) => {
      spans.get(spanId)?.setAttribute('lumina.model', String(meta.model))
      end(spanId, status)
    },
    startSpan: (ctx) => {
      const parent = turns.get(ctx.turn_id)
      const span = tracer.startSpan(ctx.name, { attributes: ctx }, parent ? trace.setSpan(context.active(), parent) : undefined)
      spans.set(span.spanContext().spanId, span)
      return { span_id: span.spanContext().spanId }
    },
    endSpan: (spanId, status, meta) => {
      spans.get(spanId)?.setAttribute('tool.latency_ms', meta.latency_ms ?? 0)
      end(spanId, status)
    },
    shutdown: () => flush(),
  }
}
Lumina.init({
  writeKey: 'gi_xxxxx',
  endpoint: 'https://ingest.example.com',
  systemAnalytics: openTelemetryProvider(trace.getTracer('app'), async () => {}),
})
// one whose startSpan returns nothing (the README's `startSpan: (ctx) => { /* ... */ }`)
export const sparse: SystemAnalyticsProvider = {
  name: 'log',
  startTurn: () => {},
  endTurn: () => {},
  startSpan: (ctx) => {
    console.log(ctx.name, ctx.type, ctx.target)
  },
  endSpan: () => {},
  shutdown: () => {},
}
Lumina.init({
  writeKey: 'gi_xxxxx',
  endpoint: 'https://ingest.example.com',
  systemAnalytics: { name: 'ends-only', endTurn: (spanId) => console.log(spanId) },
})

// --- PII masking ---
Lumina.init({
  writeKey: 'gi_xxxxx',
  endpoint: 'https://ingest.example.com',
  captureTranscript: CaptureTranscript.Masked,
  maskFn: (text) => text.replace(/\b[\w.-]+@[\w.-]+\.\w{2,}\b/g, '[EMAIL]').replace(/\b\d{3}[-.]?\d{3}[-.]?\d{4}\b/g, '[PHONE]'),
})

// --- Frameworks: a React-style context, a Next.js route, Express middleware ---
export function reactStyle(setSession: (s: SessionCtx | null) => void): void {
  Lumina.init({
    endpoint: env.NEXT_PUBLIC_LUMINA_ENDPOINT!,
    writeKey: env.NEXT_PUBLIC_LUMINA_KEY!,
    captureTranscript: CaptureTranscript.Full,
    uiAnalytics: createDummyProvider(),
  })
  Lumina.session.start().then(setSession)
}
export async function nextRoute(message: string): Promise<{ message: string; sessionId: string } | { error: string }> {
  const session = await Lumina.session.start()
  const turn = session.turn()
  try {
    const response = await turn.wrapLLM(
      async () => await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: message }] }),
      {
        model: 'gpt-4o',
        prompt_id: 'api_chat',
      },
    )
    const assistantMessage = response.choices[0].message.content || ''
    turn.setMessages([
      { role: 'user', content: message },
      { role: 'assistant', content: assistantMessage },
    ])
    await turn.finish()
    return { message: assistantMessage, sessionId: session.sessionId }
  } catch (error) {
    await turn.finish()
    return { error: (error as Error).message }
  }
}
interface Req {
  luminaSession?: SessionCtx
  user?: { id: string; email: string; name: string }
  body: { message: string }
}
export async function luminaMiddleware(req: Req, next: () => void): Promise<void> {
  req.luminaSession = await Lumina.session.start()
  if (req.user) {
    await Lumina.identify(req.user.id, { email: req.user.email, name: req.user.name })
  }
  next()
}
export async function chatRoute(req: Req): Promise<string> {
  const turn = req.luminaSession!.turn()
  try {
    const response = await turn.wrapLLM(async () => await callModel(req.body.message), { model: 'gpt-4o', prompt_id: 'chat' })
    turn.setMessages([
      { role: 'user', content: req.body.message },
      { role: 'assistant', content: response },
    ])
    return response
  } finally {
    await turn.finish()
  }
}

// --- Performance: finish in the background; graceful degradation ---
export async function background(session: SessionCtx, text: string): Promise<{ message: string }> {
  const turn = session.turn()
  const response = await turn.wrapLLM(async () => await callModel(text), { model: 'gpt-4o', prompt_id: 'chat' })
  turn.finish().catch((err) => console.error('Lumina flush failed:', err))
  turn.finish() // not awaited
  try {
    await Lumina.identify('user_1')
  } catch (err) {
    console.error('Lumina identify failed:', err)
  }
  return { message: response }
}

// --- Test setup ---
Lumina.init({
  endpoint: env.TEST_LUMINA_ENDPOINT || 'http://localhost:8080',
  writeKey: env.TEST_LUMINA_KEY || 'test_key',
  captureTranscript: CaptureTranscript.None,
  flushIntervalMs: 100,
})

// --- what must not type-check (if these compile, the types went `any` or too loose) ---
export async function mistakes(turn: TurnCtx): Promise<void> {
  // @ts-expect-error wrapLLM returns what fn returns: a string here, not a number
  const n: number = await turn.wrapLLM(async () => 'text', { model: 'gpt-4o', prompt_id: 'p' })
  // @ts-expect-error a capture mode that does not exist
  Lumina.init({ writeKey: 'k', endpoint: 'https://x', captureTranscript: 'verbatim' })
  // @ts-expect-error a UI provider name we do not know
  Lumina.init({ writeKey: 'k', endpoint: 'https://x', uiAnalytics: 'amplitude' })
  // @ts-expect-error _isInitialized is read-only
  Lumina._isInitialized = true
  // @ts-expect-error startTurn's span_id is a string
  Lumina.init({ writeKey: 'k', endpoint: 'https://x', systemAnalytics: { startTurn: () => ({ span_id: 42 }) } })
  // @ts-expect-error the README's provider shape names every method
  const partial: UIAnalyticsProvider = { name: 'half', getSessionId: () => '' }
  console.log(n, partial)
}
