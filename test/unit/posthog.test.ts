import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createDummyProvider, postHogProvider, type PostHogLike } from '../../src/providers/posthog'
import { fakeBrowser } from '../helpers'

/** A posthog-js double that records every call and keeps super properties like the real one. */
const recorder = () => {
  const calls: [string, ...unknown[]][] = []
  const props: Record<string, unknown> = {}
  const ph: PostHogLike & { calls: typeof calls; props: typeof props } = {
    calls,
    props,
    __loaded: true,
    register: (p) => {
      calls.push(['register', p])
      return Object.assign(props, p)
    },
    unregister: (k) => {
      calls.push(['unregister', k])
      return delete props[k]
    },
    get_session_id: () => 'ph_session_1',
    get_session_replay_url: () => 'https://eu.posthog.com/replay/ph_session_1?t=3',
    capture: (e, p) => calls.push(['capture', e, p]),
    identify: (id, p) => calls.push(['identify', id, p]),
    reset: () => calls.push(['reset']),
    startSessionRecording: () => calls.push(['start']),
    stopSessionRecording: () => calls.push(['stop']),
  }
  return ph
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
  delete (window as any).posthog
})

describe('postHogProvider', () => {
  it('tags super properties while a turn is open and removes them on finish', async () => {
    const ph = recorder()
    const b = fakeBrowser()
    const lumina = b.sdk({ uiAnalytics: postHogProvider({ instance: ph }) })
    const s = await lumina.session.start()
    const turn = s.turn()
    expect(ph.props).toEqual({
      lumina_session_id: s.sessionId,
      lumina_turn_id: turn.turnId,
      lumina_turn_seq: 1,
      lumina_turn_start_ts: expect.stringMatching(/Z$/),
    })
    turn.finish()
    expect(ph.props).toEqual({})
  })

  it('overlapping turns: finishing the older one does not untag the newer', async () => {
    const ph = recorder()
    const b = fakeBrowser()
    const s = await b.sdk({ uiAnalytics: postHogProvider({ instance: ph }) }).session.start()
    const older = s.turn()
    const newer = s.turn()
    older.finish()
    expect(ph.props.lumina_turn_id).toBe(newer.turnId)
    newer.finish()
    expect(ph.props).toEqual({})
  })

  it('a finished turn carries ui_session_id and ui_replay_url from PostHog', async () => {
    const ph = recorder()
    const b = fakeBrowser()
    const lumina = b.sdk({ uiAnalytics: postHogProvider({ instance: ph }) })
    const turn = (await lumina.session.start()).turn()
    turn.finish()
    await lumina.flush()
    expect(b.net.events()[0]).toMatchObject({ ui_session_id: 'ph_session_1', ui_replay_url: 'https://eu.posthog.com/replay/ph_session_1?t=3' })
  })

  it('builds the replay link from host and projectId when posthog-js cannot', () => {
    const ph = { get_session_id: () => 'abc' }
    expect(postHogProvider({ instance: ph, host: 'https://eu.posthog.com/', projectId: 42 }).getReplayUrl!()).toBe(
      'https://eu.posthog.com/project/42/replay/abc',
    )
    expect(postHogProvider({ instance: ph }).getReplayUrl!()).toBeUndefined()
  })

  it('identify and reset are mirrored; replay start/stop and captureEvent pass through', async () => {
    const ph = recorder()
    const b = fakeBrowser()
    const ui = postHogProvider({ instance: ph })
    const lumina = b.sdk({ uiAnalytics: ui })
    await lumina.identify('alice', { plan: 'pro' })
    lumina.reset()
    ui.startReplay!()
    ui.stopReplay!()
    ui.captureEvent!('chat_input_started', { a: 1 })
    expect(ph.calls.filter((c) => c[0] != 'register' && c[0] != 'unregister')).toEqual([
      ['identify', 'alice', { plan: 'pro' }],
      ['reset'],
      ['start'],
      ['stop'],
      ['capture', 'chat_input_started', { a: 1 }],
    ])
  })

  it('uses window.posthog when no instance is given, looked up at each call', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ uiAnalytics: postHogProvider() })
    const s = await lumina.session.start()
    const early = s.turn() // no posthog yet: nothing breaks
    const ph = recorder()
    ;(window as any).posthog = ph
    early.finish()
    const turn = s.turn()
    expect(ph.props.lumina_turn_id).toBe(turn.turnId)
  })

  it('initialises posthog-js with apiKey and host when the page has not', () => {
    const init = vi.fn()
    postHogProvider({ instance: { __loaded: false, init }, apiKey: 'phc_1', host: 'https://eu.i.posthog.com' }).init!()
    expect(init).toHaveBeenCalledWith('phc_1', { api_host: 'https://eu.i.posthog.com' })
    const loaded = vi.fn()
    postHogProvider({ instance: { __loaded: true, init: loaded }, apiKey: 'phc_1' }).init!()
    expect(loaded).not.toHaveBeenCalled()
  })

  it('a missing or throwing posthog never breaks a turn', async () => {
    const broken: PostHogLike = new Proxy(
      {},
      {
        get: () => () => {
          throw new Error('posthog exploded')
        },
      },
    )
    for (const instance of [undefined, broken]) {
      const b = fakeBrowser()
      const lumina = b.sdk({ uiAnalytics: postHogProvider({ instance }), enableToolWrapping: true })
      await lumina.identify('bob')
      const turn = (await lumina.session.start()).turn()
      expect(await turn.wrapLLM(() => Promise.resolve('ok'))).toBe('ok')
      turn.finish()
      await lumina.flush()
      expect(b.net.events().map((e) => e.name)).toEqual(['identify', 'turn'])
    }
  })

  it('createDummyProvider is a harmless no-op', async () => {
    const b = fakeBrowser()
    const lumina = b.sdk({ uiAnalytics: createDummyProvider() })
    const turn = (await lumina.session.start()).turn()
    turn.finish()
    await lumina.flush()
    expect(b.net.events()[0]).not.toHaveProperty('ui_session_id')
  })
})
