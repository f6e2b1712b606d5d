/**
 * The CDN bundle (IIFE): takes over the snippet's `window.lumina`, installs the real
 * methods on that same object (references the page took keep working) and replays, in
 * order, the calls queued before it arrived, settling each queued Promise with the result.
 * A bundle that arrives after the snippet gave up (its 5 s timer) finds the queue kept, with
 * the page's init first, so it still starts with the page's config.
 */
import { createLumina } from './client'
import { postHogProvider } from './providers/posthog'
import { bindChatInputs, trackerFor } from './chat-input'
import type { LuminaConfig } from './types'

/** A queued call from the snippet: [method ('start'/'clear' for session's), args, resolve]. */
type QueueEntry = [string, unknown[], (value: unknown) => void]

const w = window as any
const target = w.lumina || (w.lumina = {})

/**
 * `uiAnalytics: 'posthog'` or `{ provider: 'posthog', host, projectId }` means the page's
 * window.posthog. A config that throws when read (a getter, a Proxy) goes to init as it is:
 * init's own guard reports it and disables the SDK, so nothing throws into the page and
 * every held call settles.
 */
const withPostHog = (config: LuminaConfig): LuminaConfig => {
  try {
    const ui = config?.uiAnalytics as any
    return ui == 'posthog' || ui?.provider == 'posthog' ? { ...config, uiAnalytics: postHogProvider(ui.provider ? ui : {}) } : config
  } catch {
    return config
  }
}

// Loading the bundle twice (two snippets, or a snippet plus a manual tag) changes nothing.
if (!target._loaded) {
  const lumina = createLumina()
  const { init, session } = lumina
  lumina.init = (config: LuminaConfig) => init(withPostHog(config))
  const queued: QueueEntry[] = target._q || []
  Object.assign(target, lumina, { ChatInputTracker: trackerFor(lumina), _loaded: true })
  // The snippet's stand-in session was lumina.session until now; references the page took
  // to its methods are queued stubs, which still reach the real ones through _q.
  target.session = session
  /**
   * Runs one queued call on the real methods (not on `target`: the snippet's Proxy would
   * answer an unknown name with another stub). One that throws settles with undefined and
   * never stops the replay.
   */
  const call = ([method, args, resolve]: QueueEntry) => {
    let result
    try {
      result = ((session as any)[method] || (lumina as any)[method])?.(...args)
    } catch {}
    resolve(result)
  }
  // Stubs the page kept a reference to push here: from now on, a push is a call.
  target._q = { push: call }
  queued.forEach(call)
  bindChatInputs(document, undefined, lumina)
}
