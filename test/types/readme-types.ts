// Type test (see readme-api.ts): the original README's "TypeScript Support" block — every
// public type imported with `import type`, CaptureTranscript among them as a type.
import type {
  LuminaConfig,
  SessionCtx,
  TurnCtx,
  ToolCall,
  RetrievalInfo,
  UIAnalyticsProvider,
  SystemAnalyticsProvider,
  CaptureTranscript,
} from 'luminasdk'
import { ChatInputTracker } from 'luminasdk'

export const mode: CaptureTranscript = 'masked'
export const config: LuminaConfig = { writeKey: 'gi_xxxxx', endpoint: 'https://ingest.example.com', captureTranscript: mode }
export const retrieval: RetrievalInfo = { source: 'docs', query: 'reset password', results: [{ id: 'doc_1', score: 0.9 }] }
export const describeTool = (call: ToolCall): string =>
  `${call.name} ${call.status} ${call.latency_ms ?? '-'} ms${call.error ? ': ' + call.error.message : ''}`
export const tracker = (ui: UIAnalyticsProvider, session: SessionCtx): ChatInputTracker => new ChatInputTracker(ui, session.sessionId)
export const turnIds = (turn: TurnCtx): string[] => [turn.turnId, turn.traceparent]
export const noTracing: Partial<SystemAnalyticsProvider> = {}
// @ts-expect-error CaptureTranscript as a type is the three modes only
export const wrong: CaptureTranscript = 'verbatim'
