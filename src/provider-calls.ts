/**
 * How the SDK calls the user's providers beyond a plain safeCall: the system provider's spans
 * (start with flat attributes, end by the id start returned) and both providers' shutdown.
 */
import type { StartedSpan, SystemProvider, UIProvider } from './types'
import type { SafeCall } from './lib/guard'
import { read } from './lib/observe'

/** Ends a system span: `status` and `meta` go to endTurn/endSpan with the span's id. */
export type EndSpan = (status: string, meta: Record<string, unknown>) => void

/**
 * Starts the system provider's span for a turn (`startTurn`) or a tool call (`startSpan`), its
 * flat attributes `ctx` (a `TurnSpanContext` or `ToolSpanContext`), and returns how it ends:
 * `endTurn`/`endSpan` get the `span_id` start returned, or `ourId` when it returned none. A
 * missing provider or method is never called; a throwing one is logged by `safeCall`.
 */
export const startSystemSpan = (
  safeCall: SafeCall,
  system: SystemProvider | undefined,
  kind: 'Turn' | 'Span',
  ctx: Record<string, unknown>,
  ourId: string,
): EndSpan => {
  const spanId: string = read(safeCall<StartedSpan>(system, 'start' + kind, ctx), 'span_id') || ourId
  return (status, meta) => {
    safeCall(system, 'end' + kind, spanId, status, { ...meta }) // a copy: what the provider changes is not sent
  }
}

/**
 * Calls `shutdown()` on the UI and system providers (each once, missing ones skipped) and
 * resolves when both are done; never rejects (a provider whose shutdown never settles keeps
 * it pending: the caller bounds the wait). The hook for `Lumina.shutdown()`.
 */
export const shutdownProviders = (safeCall: SafeCall, ui: UIProvider | undefined, system: SystemProvider | undefined): Promise<void> => {
  const done = [ui, system].map((provider) => Promise.resolve(safeCall(provider, 'shutdown')).catch(() => {}))
  return Promise.all(done).then(() => {})
}
