/**
 * luminasdk on Node (≥ 20; the `node` export condition, ESM and CJS): the same API as the
 * browser's, with identity and session per request (AsyncLocalStorage), an in-memory outbox,
 * sends in the same tick as `finish()`, timers that never keep the process alive, and what is
 * still queued sent at `beforeExit`.
 *
 * @example
 * import { Lumina } from 'luminasdk'
 * Lumina.init({ writeKey: 'wk_…', endpoint: 'https://ingest.example.com' })
 * app.post('/api/chat', async (req, res) => {
 *   const session = await Lumina.session.start({ headers: req.headers })
 *   await Lumina.identify(req.user.id)
 *   const turn = session.turn()
 *   // … turn.wrapLLM(…), turn.setMessages(…)
 *   await turn.finish()
 * })
 */
import type { ChatSink, Platform, UIProvider } from '../types'
import { createLumina } from '../client'
import { bindChatInputs as bindTo, trackerFor } from '../chat-input'
import { nodePlatform, onExit } from './platform'
import { nodeScopes } from './scopes'

/** beforeExit rounds an instance spends sending (the second for what other beforeExit handlers queued): a process whose ingest is down still exits. */
const EXIT_ROUNDS = 2

/**
 * A Node SDK instance (tests and multi-tenant servers make several; `Lumina` is the
 * process's). What is still queued when the process would exit on its own is sent first.
 */
export const createNodeLumina = (overrides: Partial<Platform> = {}) => {
  const scopes = nodeScopes()
  const lumina = Object.assign(createLumina({ ...nodePlatform(), ...overrides }, scopes), {
    /**
     * Runs `fn` in a scope of its own — a new anonymous identity and no session, whatever the
     * ambient request's — and returns what it returns (a job, a queue consumer, a test).
     * @example await Lumina.withScope(async () => { await Lumina.identify(job.userId); … })
     */
    withScope: <R>(fn: () => R): R => scopes._run(fn),
  })
  const init = lumina.init
  let initialized = false
  let rounds = 0
  lumina.init = (config) => {
    initialized = true
    init(config)
  }
  onExit(() => {
    // before init, flush() would wait for it: nothing can be queued for sending then anyway
    if (initialized && rounds < EXIT_ROUNDS) {
      rounds++
      return lumina.flush()
    }
  })
  return lumina
}

export const Lumina = createNodeLumina()
export default Lumina

/** The browser's chat input tracker (here for the same exports; it needs a DOM). */
export class ChatInputTracker extends trackerFor(Lumina) {}
export const bindChatInputs = (root?: Document | HTMLElement, ui?: UIProvider, sink: ChatSink = Lumina): (() => void) => bindTo(root, ui, sink)

/** On Node, `createLumina` makes a Node instance (request scopes, unref'd timers), as `createNodeLumina`. */
export { createNodeLumina as createLumina }
export type NodeLumina = ReturnType<typeof createNodeLumina>
export { continuedFrom } from './headers'
export type { Continued, HeadersLike } from './headers'
export * from '../exports'
