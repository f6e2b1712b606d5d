import type { SessionCtx, TurnCtx } from './types'

const done = () => Promise.resolve()

/** A turn that does nothing but run the functions it wraps (no config, or SDK disabled). */
export const noopTurn = (): TurnCtx => ({
  turnId: '',
  seq: 0,
  traceparent: '',
  wrapLLM: (fn) => fn(),
  recordTool: (_name, fn) => fn(),
  addRetrieval: done,
  annotate: done,
  setMessages: done,
  finish: done,
  feedback: done,
  headers: () => ({ traceparent: '', baggage: '' }),
})

export const noopSession = (): SessionCtx => ({ sessionId: '', traceparent: '', turn: noopTurn })
