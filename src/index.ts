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
import type { ChatSink, UIProvider } from './types'
import { createLumina } from './client'
import { bindChatInputs as bindTo, trackerFor } from './chat-input'

export const Lumina = createLumina()
export default Lumina

/**
 * Chat input signals (typing time, submission, abandonment; never the text) to `Lumina`, or
 * to the instance passed as the third argument.
 * @example const tracker = new ChatInputTracker(postHogProvider(), session.sessionId)
 */
export class ChatInputTracker extends trackerFor(Lumina) {}

/**
 * Binds every `[data-lumina-chat-input]` under `root`, now and added later, reporting to
 * `Lumina` (or `sink`). Returns a function that unbinds.
 * @example const unbind = bindChatInputs()
 */
export const bindChatInputs = (root?: Document | HTMLElement, ui?: UIProvider, sink: ChatSink = Lumina): (() => void) => bindTo(root, ui, sink)

export { createLumina } from './client'
export * from './exports'
