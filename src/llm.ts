/** What an LLM call returned, as far as a turn reports it: token usage, and streams. */

export interface Usage {
  input_tokens?: number
  output_tokens?: number
}

const num = (v: unknown) => (Number.isFinite(v) ? (v as number) : undefined)

/**
 * Token usage of an OpenAI (`usage.prompt_tokens`/`completion_tokens`, or the Responses
 * API's `input_tokens`/`output_tokens`) or Anthropic (`usage.input_tokens`/`output_tokens`)
 * result or stream chunk; Anthropic's `message_start` nests it under `message`, OpenAI
 * Responses' `response.completed` under `response`. Merged into `into`.
 */
export const readUsage = (value: any, into: Usage): void => {
  const u = value?.usage || value?.message?.usage || value?.response?.usage
  const input = num(u?.input_tokens) ?? num(u?.prompt_tokens)
  const output = num(u?.output_tokens) ?? num(u?.completion_tokens)
  if (input !== undefined) into.input_tokens = input
  if (output !== undefined) into.output_tokens = output
}

/** The text a stream chunk carries (OpenAI chat and Responses, Anthropic, plain strings). */
export const textOf = (c: any): string => {
  const t = typeof c == 'string' ? c : c?.choices?.[0]?.delta?.content ?? c?.delta?.text ?? c?.delta
  return typeof t == 'string' ? t : ''
}

const isAbort = (e: unknown) => (e as Error)?.name == 'AbortError'

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
): boolean => {
  const iterate = value?.[Symbol.asyncIterator]
  let ended = false
  const end = (aborted: boolean, error?: unknown) => {
    if (ended) return
    ended = true
    onEnd(aborted, error)
  }
  if (typeof iterate != 'function') return false
  try {
    value[Symbol.asyncIterator] = function (this: unknown) {
      const it: AsyncIterator<unknown> = iterate.call(this)
      return {
        async next(...args: [] | [unknown]) {
          let r: IteratorResult<unknown>
          try {
            r = await it.next(...args)
          } catch (e) {
            end(isAbort(e), isAbort(e) ? undefined : e)
            throw e
          }
          if (r.done) end(false)
          else if (!ended) onChunk(r.value)
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
  signal?.addEventListener('abort', () => end(true))
  return true
}
