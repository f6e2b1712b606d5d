/**
 * What both entries (the browser's `index.ts` and Node's `node/index.ts`) export beside their
 * own `Lumina` instance: written once, so the two can never drift apart.
 */
export { noopTurn } from './noop'
export type { Lumina as LuminaInstance } from './client'
export { toOtlpSpans, toPostHogGeneration, toPostHogFeedback, providerOf, GEN_AI_SEMCONV_VERSION } from './mappings'
export { CaptureTranscript } from './types'
export type {
  CaptureMode,
  ChatSink,
  Feedback,
  IdentifyOptions,
  LLMOptions,
  LuminaConfig,
  MaskFn,
  Message,
  Platform,
  PostHogByName,
  RetrievalInfo,
  SessionCtx,
  SessionOptions,
  StartedSpan,
  SystemAnalyticsProvider,
  SystemProvider,
  ToolCall,
  ToolOptions,
  ToolSpanContext,
  TurnCtx,
  TurnSpanContext,
  TurnStatus,
  TurnTag,
  UIAnalyticsProvider,
  UIProvider,
} from './types'
export { defaultMask } from './transcript'
export { createDummyProvider } from './providers/dummy'
