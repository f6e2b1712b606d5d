/**
 * luminasdk — ESM entry. `Lumina` is the page's one instance; `createLumina` makes more (tests).
 *
 * @example
 * import { Lumina } from 'luminasdk'
 * Lumina.init({ writeKey: 'wk_…', endpoint: 'https://ingest.example.com' })
 * const session = await Lumina.session.start()
 * const turn = session.turn()
 * const reply = await turn.wrapLLM(() => callModel(prompt), { model: 'gpt-4o' })
 * turn.finish()
 */
import { createLumina } from './client'
import { setChatSink } from './chat-input'

export const Lumina = createLumina()
export default Lumina
setChatSink(Lumina)
export { ChatInputTracker, bindChatInputs } from './chat-input'
export { createLumina } from './client'
export { noopTurn } from './noop'
export type { Lumina as LuminaInstance, SessionCtx, IdentifyOptions } from './client'
export type { TurnCtx, LLMOptions, ToolOptions, Feedback } from './turn'
export { toOtlpSpans, toPostHogGeneration, toPostHogFeedback, providerOf, GEN_AI_SEMCONV_VERSION } from './mappings'
export { CaptureTranscript } from './types'
export type { CaptureMode, LuminaConfig, MaskFn, Message, Platform, SystemProvider, UIProvider } from './types'
export { defaultMask } from './transcript'
