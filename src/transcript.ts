import type { CaptureMode, MaskFn } from './types'
import { jsonSafe } from './lib/json-safe'

/** Default mask: e-mail addresses and runs of 7+ digits (phones, cards, account numbers). */
export const defaultMask: MaskFn = (text) =>
  text.replace(/[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+/g, '[email]').replace(/\+?\d[\d ().-]{5,}\d/g, '[number]')

/**
 * The transcript as sent under a capture mode: full (made JSON-safe), masked (every string
 * but roles and types rewritten by `maskFn`; a throw or a non-string gives `[redacted]`), or none.
 */
export const captureMessages = (messages: unknown, { captureTranscript: mode, maskFn = defaultMask }: { captureTranscript: CaptureMode; maskFn?: MaskFn }): unknown =>
  mode == 'none'
    ? undefined
    : jsonSafe(
        messages,
        undefined,
        mode == 'masked'
          ? (s, key) => {
              // roles and types describe the structure, not the user's words
              if (key == 'role' || key == 'type') return s
              try {
                const out = maskFn(s)
                return typeof out == 'string' ? out : '[redacted]'
              } catch {
                return '[redacted]'
              }
            }
          : undefined,
      )
