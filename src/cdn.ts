/**
 * The CDN bundle (IIFE): takes over the snippet's `window.lumina`, installs the real
 * methods on that same object (references the page took keep working) and replays, in
 * order, the calls queued before it arrived, settling each queued Promise with the result.
 */
import { createLumina } from './client'
import { postHogProvider } from './providers/posthog'
import { bindChatInputs, trackerFor } from './chat-input'
import type { LuminaConfig } from './types'

/** A queued call from the snippet: [method ('start'/'clear' for session's), args, resolve]. */
type QueueEntry = [string, unknown[], (value: unknown) => void]

const w = window as any
const target = w.lumina || (w.lumina = {})

// Loading the bundle twice (two snippets, or a snippet plus a manual tag) changes nothing.
if (!target._loaded) {
  const lumina = createLumina()
  const { init, session } = lumina
  /** `uiAnalytics: 'posthog'` or `{ provider: 'posthog', host, projectId }` means the page's window.posthog. */
  lumina.init = (config: LuminaConfig) => {
    const ui = config?.uiAnalytics as any
    init(ui == 'posthog' || ui?.provider == 'posthog' ? { ...config, uiAnalytics: postHogProvider(ui.provider ? ui : {}) } : config)
  }
  const queued: QueueEntry[] = target._q || []
  Object.assign(target, lumina, { ChatInputTracker: trackerFor(lumina), _loaded: true })
  target.session = Object.assign(target.session || {}, session)
  /** Runs one queued call; the methods are guarded, so this never throws. */
  const call = ([method, args, resolve]: QueueEntry) => resolve(((session as any)[method] || target[method])?.(...args))
  // Stubs the page kept a reference to push here: from now on, a push is a call.
  target._q = { push: call }
  queued.forEach(call)
  bindChatInputs(document, undefined, lumina)
}
