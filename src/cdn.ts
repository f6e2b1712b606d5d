/**
 * The CDN bundle (IIFE): takes over the snippet's `window.lumina`, installs the real
 * methods on that same object (references the page took keep working) and replays, in
 * order, the calls queued before it arrived, settling each queued Promise with the result.
 * A bundle that arrives after the snippet gave up (its 5 s timer) finds the queue kept, with
 * the page's init first, so it still starts with the page's config.
 */
import { createLumina } from './client'
import { bindChatInputs, trackerFor } from './chat-input'

/** A queued call from the snippet: [method ('start'/'clear' for session's), args, resolve]. */
type QueueEntry = [string, unknown[], (value: unknown) => void]

const w = window as any
const target = w.lumina || (w.lumina = {})

// Loading the bundle twice (two snippets, or a snippet plus a manual tag) changes nothing.
if (!target._loaded) {
  const lumina = createLumina()
  const { session } = lumina
  const queued: QueueEntry[] = target._q || []
  Object.assign(target, lumina, { ChatInputTracker: trackerFor(lumina), _loaded: true })
  // Object.assign copied the getter's value of the moment; the page reads it live
  Object.defineProperty(target, '_isInitialized', { get: () => lumina._isInitialized })
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
