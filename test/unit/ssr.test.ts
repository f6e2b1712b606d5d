// @vitest-environment node
// Server-side rendering: importing the built ESM package in Node (no window, no document)
// touches nothing, and calls made there resolve harmlessly.
import { expect, it } from 'vitest'

it('the ESM build imports and runs without a browser', async () => {
  const built = '../../dist/esm/' // a variable path: the type checker need not see dist/
  const sdk = await import(built + 'index.js')
  expect(typeof sdk.Lumina.init).toBe('function')
  expect(sdk.CaptureTranscript.Masked).toBe('masked')
  const lumina = sdk.createLumina({ fetch: async () => new Response('{}') })
  lumina.init({ writeKey: 'wk', endpoint: 'https://ingest.test' })
  const s = await lumina.session.start()
  const turn = s.turn()
  expect(await turn.wrapLLM(() => Promise.resolve('ssr'))).toBe('ssr')
  turn.finish()
  expect(lumina.getDistinctId()).toMatch(/^anon_/)
  await expect(lumina.flush()).resolves.toBeUndefined()
  const ph = await import(built + 'providers/posthog.js')
  expect(typeof ph.postHogProvider().getSessionId).toBe('function')
  expect(ph.postHogProvider().getSessionId()).toBeUndefined()
})
