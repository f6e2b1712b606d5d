import { afterEach, beforeEach, expect, it, vi } from 'vitest'
// @ts-expect-error plain ESM module without types
import { validate } from '../../collector/collector.mjs'
import { ChatInputTracker } from '../../src/chat-input'
import { fakeBrowser } from '../helpers'

const realSetTimeout = globalThis.setTimeout
beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

it('every kind of event the SDK sends validates against schema/event.schema.json', async () => {
  const b = fakeBrowser()
  b.setOnline(false)
  const lumina = b.sdk({ enableToolWrapping: true, uiAnalytics: { getSessionId: () => 'ph1', getReplayUrl: () => 'https://ph/r/ph1' } })
  for (let i = 0; i < 1001; i++) {
    ;(await lumina.session.start()).turn().finish()
  } // overflow: a `dropped` report
  await lumina.identify('ada', { plan: 'pro' })
  const s = await lumina.session.start()
  const t = s.turn()
  await t.wrapLLM(() => Promise.resolve(1), { model: 'm', prompt_id: 'p' })
  await t.recordTool('tool', () => Promise.reject(new Error('x'))).catch(() => {})
  t.addRetrieval({ docs: [1] })
  t.annotate({ a: 1 })
  t.setMessages([{ role: 'user', content: 'hi' }])
  t.annotate({ usage: { input_tokens: 3, output_tokens: 4 } })
  t.finish()
  t.feedback({ score: 1, comment: 'thanks' })
  const streamed = s.turn()
  const stream = await streamed.wrapLLM(
    () =>
      Promise.resolve(
        (async function* () {
          yield { choices: [{ delta: { content: 'hey' } }] }
        })(),
      ),
    { provider: 'openai' },
  )
  for await (const _ of stream) {
    // drain it
  }
  streamed.finish()
  const failing = s.turn()
  await failing.wrapLLM(() => Promise.reject(new TypeError('bad'))).catch(() => {})
  failing.finish()
  s.turn() // left open: sent as incomplete on hide
  const tracker = new ChatInputTracker(undefined, s.sessionId, lumina)
  tracker.onInputStart()
  tracker.onMessageSubmit('m1', 'hello')
  tracker.onInputAbandoned('draft')
  await new Promise((r) => realSetTimeout(r, 300)) // SubtleCrypto answers in real time
  await vi.advanceTimersByTimeAsync(10)
  b.setOnline(true)
  b.hide()
  await vi.advanceTimersByTimeAsync(0)
  await lumina.flush()
  const events = b.net.sent.flatMap((r) => r.events)
  const names = new Set(events.map((e) => e.name))
  for (const n of ['identify', 'turn', 'chat_input_started', 'chat_message_submitted', 'chat_input_abandoned', 'dropped', 'feedback']) {
    expect(names).toContain(n)
  }
  expect(events.some((e) => e.status == 'incomplete')).toBe(true)
  expect(events.some((e) => e.status == 'error')).toBe(true)
  expect(events.some((e) => e.time_to_first_token_ms >= 0 && e.output_characters == 3)).toBe(true)
  const invalid = events.filter((e) => !validate(e)).map((e) => [e.name, validate(e), JSON.stringify(validate.errors)])
  expect(invalid).toEqual([])
})
