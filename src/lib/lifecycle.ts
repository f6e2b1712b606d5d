/**
 * Page hide and show in one place. `visibilitychange` to hidden is the last event we can
 * count on (mobile browsers skip pagehide); `pagehide` covers navigation in the foreground.
 * No `unload`: it is deprecated and blocks the back/forward cache.
 */
export const onLifecycle = (
  win: Window | undefined,
  doc: Document | undefined,
  onHidden: () => void,
  onVisible: () => void,
): (() => void) => {
  const visibility = () => (doc!.visibilityState == 'hidden' ? onHidden() : onVisible())
  doc?.addEventListener('visibilitychange', visibility)
  win?.addEventListener('pagehide', onHidden)
  return () => {
    doc?.removeEventListener('visibilitychange', visibility)
    win?.removeEventListener('pagehide', onHidden)
  }
}
