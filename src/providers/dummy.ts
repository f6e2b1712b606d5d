import type { UIAnalyticsProvider } from '../types'

const nothing = () => {}

/**
 * A UI provider that does nothing, for pages without a UI analytics tool (the original
 * README's `createDummyProvider()`): every method there, so its calls type-check.
 *
 * @example Lumina.init({ writeKey, endpoint, uiAnalytics: createDummyProvider() })
 */
export const createDummyProvider = (): UIAnalyticsProvider => ({
  name: 'none',
  init: nothing,
  getSessionId: () => '',
  getReplayUrl: () => '',
  tagTurn: nothing,
  untagTurn: nothing,
  startReplay: nothing,
  stopReplay: nothing,
  captureEvent: nothing,
  shutdown: nothing,
})
