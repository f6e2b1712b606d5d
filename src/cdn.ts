/**
 * The CDN bundle (IIFE): takes over the snippet's `window.lumina`, installs the real
 * methods on that same object and replays the calls queued before it arrived.
 */
import { createLumina } from './client'
import { postHogProvider } from './providers/posthog'
import { ChatInputTracker, bindChatInputs, setChatSink } from './chat-input'
import type { LuminaConfig } from './types'

type QueueEntry = [method: string, args: unknown[], resolve: (value: unknown) => void]
interface Global {
  _q?: QueueEntry[] | { push(entry: QueueEntry): void }
  _loaded?: boolean
  session?: Record<string, unknown>
  [method: string]: unknown
}

const w = window as unknown as { lumina?: Global }
const target: Global = w.lumina || {}

// Loading the bundle twice (two snippets, or a snippet plus a manual tag) changes nothing.
if (!target._loaded) {
  const lumina = createLumina()
  /** `uiAnalytics: 'posthog'` or `{ provider: 'posthog', … }` means the page's own window.posthog. */
  const init = (config: LuminaConfig) => {
    const ui = config?.uiAnalytics as { provider?: string; host?: string; projectId?: string } | string | undefined
    const named = typeof ui == 'string' ? ui : ui?.provider
    if (named == 'posthog') config = { ...config, uiAnalytics: postHogProvider(typeof ui == 'object' ? ui : {}) }
    else if (named) console.error('[lumina] init: "uiAnalytics" names an unknown provider', named)
    lumina.init(config)
  }
  const { identify, reset, getDistinctId, isAnonymous, flush, CaptureTranscript, _track } = lumina
  const installed = { init, identify, reset, getDistinctId, isAnonymous, flush, CaptureTranscript, ChatInputTracker, _track, _loaded: true }
  const methods: Record<string, any> = {
    ...installed,
    start: lumina.session.start,
    clear: lumina.session.clear,
  }
  const call = ([method, args, resolve]: QueueEntry) => {
    try {
      resolve(methods[method] ? methods[method](...(args as never[])) : undefined)
    } catch {
      resolve(undefined) // the methods are guarded; this only covers a malformed entry
    }
  }
  const queued = Array.isArray(target._q) ? target._q : []
  Object.assign(target, installed)
  target.session = Object.assign(target.session || {}, lumina.session)
  // Stubs the page kept a reference to push here: from now on, a push is a call.
  target._q = { push: call }
  queued.splice(0).forEach(call)
  w.lumina = target
  setChatSink(lumina)
  bindChatInputs(document)
}
