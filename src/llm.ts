/** What an LLM call returned, as far as a turn reports it: token usage, and streams. */
import { toCount } from './lib/json-safe'
import { read, safely } from './lib/observe'
import type { Log } from './lib/log'

export interface Usage {
  input_tokens?: number
  output_tokens?: number
}

/**
 * Token usage of an OpenAI (`usage.prompt_tokens`/`completion_tokens`, or the Responses
 * API's `input_tokens`/`output_tokens`) or Anthropic (`usage.input_tokens`/`output_tokens`)
 * result or stream chunk; Anthropic's `message_start` nests it under `message`, OpenAI
 * Responses' `response.completed` under `response`. Merged into `into`, as counts (integers
 * ≥ 0; `'12'` is 12). Reads that throw (a getter, a revoked Proxy) count as absent.
 */
export const readUsage = (value: any, into: Usage): void => {
  try {
    const u = value?.usage || value?.message?.usage || value?.response?.usage
    const input = toCount(u?.input_tokens) ?? toCount(u?.prompt_tokens)
    const output = toCount(u?.output_tokens) ?? toCount(u?.completion_tokens)
    if (input !== undefined) {
      into.input_tokens = input
    }
    if (output !== undefined) {
      into.output_tokens = output
    }
  } catch {} // a getter that throws, a revoked Proxy: no usage
}

/** The text a stream chunk carries (OpenAI chat and Responses, Anthropic, plain strings); '' when reading it throws. */
export const textOf = (c: any): string => {
  try {
    const t = typeof c == 'string' ? c : (c?.choices?.[0]?.delta?.content ?? c?.delta?.text ?? c?.delta)
    return typeof t == 'string' ? t : ''
  } catch {
    return ''
  }
}

const isAbort = (e: unknown) => read(e, 'name') == 'AbortError'

/**
 * Observes an async-iterable LLM stream without consuming or altering it: the caller keeps
 * the same object (with its own methods, e.g. OpenAI's `controller`, `tee`), reads the same
 * chunks, and gets the same errors. `onChunk` sees each chunk; `onEnd` once, with `aborted`
 * when the reader stopped early or the signal fired, and the error if the stream threw.
 * Returns false when `value` is not a stream or cannot be observed (a frozen object).
 */
export const observeStream = (
  value: any,
  onChunk: (chunk: unknown) => void,
  onEnd: (aborted: boolean, error?: unknown) => void,
  signal?: AbortSignal,
  log?: Log,
): boolean => {
  const iterate = read(value, Symbol.asyncIterator)
  let ended = false
  const end = (aborted: boolean, error?: unknown) => {
    if (ended) {
      return
    }
    ended = true
    safely(() => onEnd(aborted, error), log)
  }
  if (typeof iterate != 'function') {
    return false
  }
  try {
    value[Symbol.asyncIterator] = function (this: unknown) {
      const it: AsyncIterator<unknown> = iterate.call(this)
      return {
        async next(...args: [] | [unknown]) {
          let r: IteratorResult<unknown>
          try {
            r = await it.next(...args)
          } catch (e) {
            const aborted = isAbort(e)
            end(aborted, aborted ? undefined : e)
            throw e
          }
          if (r.done) {
            end(false)
          } else if (!ended) {
            safely(() => onChunk(r.value), log)
          }
          return r
        },
        // The reader stopped early (break, or the user pressed stop).
        return(v?: unknown) {
          end(true)
          return it.return ? it.return(v) : Promise.resolve({ done: true as const, value: v })
        },
        throw: (e?: unknown) => (it.throw ? it.throw(e) : Promise.reject(e)),
        [Symbol.asyncIterator]() {
          return this
        },
      }
    }
  } catch {
    return false
  }
  try {
    signal?.addEventListener('abort', () => end(true))
  } catch {} // not an AbortSignal after all
  return true
}
