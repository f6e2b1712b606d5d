import type { CaptureMode, MaskFn } from './types'
import { jsonSafe, type MapString } from './lib/json-safe'

/**
 * Default mask: e-mail addresses and runs of 7+ digits (phones, cards, account numbers).
 * Digits are any script's decimal digits (full-width `４１１１` too); separators are spaces,
 * `( ) . - _`, the ideographic space and the full-width hyphen. The e-mail parts are bounded
 * (a local part has at most 64 characters) so a long word cannot make the scan quadratic;
 * punctuation around an address (`,;'"`) is not part of it.
 */
const EMAIL = /[^\s@<>()\uff20,;"']{1,64}[@\uff20][^\s@<>()\uff20,;"']{1,253}\.[^\s@<>()\uff20,;"']{1,63}/g
const NUMBER = /\+?\p{Nd}[\p{Nd} ().\-_\u3000\uff0d]{5,}\p{Nd}/gu
export const defaultMask: MaskFn = (text) => {
  // the tests first: most strings have no '@' and no digit, and skip both scans
  const mailed = /[@\uff20]/.test(text) ? text.replace(EMAIL, '[email]') : text
  return /\p{Nd}/u.test(mailed) ? mailed.replace(NUMBER, '[number]') : mailed
}

type CaptureConfig = { captureTranscript: CaptureMode; maskFn?: MaskFn }

/**
 * The string rewriter of a capture mode: under `masked`, every string but roles and types
 * goes through `maskFn` (a throw or a non-string gives `[redacted]`); otherwise none.
 * The turn applies it to the transcript, error messages, annotations and retrievals.
 */
export const maskerOf = ({ captureTranscript: mode, maskFn = defaultMask }: CaptureConfig): MapString | undefined =>
  mode == 'masked'
    ? (s, key) => {
        // roles and types describe the structure, not the user's words
        if (key == 'role' || key == 'type') {
          return s
        }
        try {
          const out = maskFn(s)
          return typeof out == 'string' ? out : '[redacted]'
        } catch {
          return '[redacted]'
        }
      }
    : undefined

/**
 * The transcript as sent under a capture mode: full (made JSON-safe), masked (see
 * `maskerOf`), or none. `mask` is the mode's masker, when the caller has it already.
 */
export const captureMessages = (messages: unknown, config: CaptureConfig, mask = maskerOf(config)): unknown =>
  config.captureTranscript == 'none' ? undefined : jsonSafe(messages, undefined, mask)
