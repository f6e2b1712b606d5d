/**
 * Page hide and show in one place. A page restored from the back/forward cache (`pageshow`
 * with `persisted`) carries on with its timers and state: it is simply shown again. `visibilitychange` to hidden is the last event we can
 * count on (mobile browsers skip pagehide); `pagehide` covers navigation in the foreground.
 * No `unload`: it is deprecated and blocks the back/forward cache.
 */
export const onLifecycle = (win: Window | undefined, doc: Document | undefined, onHidden: () => void, onVisible: () => void): (() => void) => {
  const visibility = () => (doc!.visibilityState == 'hidden' ? onHidden() : onVisible())
  doc?.addEventListener('visibilitychange', visibility)
  win?.addEventListener('pagehide', onHidden)
  win?.addEventListener('pageshow', visibility)
  return () => {
    doc?.removeEventListener('visibilitychange', visibility)
    win?.removeEventListener('pagehide', onHidden)
    win?.removeEventListener('pageshow', visibility)
  }
}
