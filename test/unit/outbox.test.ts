import { describe, expect, it } from 'vitest'
import { fakeBrowser, oneTurn, tick } from '../helpers'

describe('outbox faults', () => {
  it.each(['-5', '2.5', '1e400', 'abc', '0x10', ' 7'])('a poisoned lumina_dropped (%s) is discarded, never reported', async (stored) => {
    const b = fakeBrowser()
    b.local.setItem('lumina_dropped', stored)
    const lumina = b.sdk()
    await oneTurn(lumina)
    await lumina.flush()
    expect(b.net.events().map((e) => e.name)).toEqual(['turn'])
  })

  it('a valid stored drop count is reported once', async () => {
    const b = fakeBrowser()
    b.local.setItem('lumina_dropped', '7')
    const lumina = b.sdk()
    await oneTurn(lumina)
    await lumina.flush()
    await tick(0)
    expect(
      b.net
        .events()
        .filter((e) => e.name == 'dropped')
        .map((e) => e.dropped),
    ).toEqual([7])
  })
})
