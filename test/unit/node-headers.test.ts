// @vitest-environment node
// Reading traceparent and baggage from a request, checked against OpenTelemetry's W3C
// propagators (the reference implementation) on valid, malformed and edge-case headers, in
// each container a server hands us: Node's IncomingHttpHeaders, a Fetch Headers, a plain object.
import { describe, expect, it } from 'vitest'
import { ROOT_CONTEXT, defaultTextMapGetter, propagation, trace, type TextMapGetter } from '@opentelemetry/api'
import { W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core'
import { continuedFrom, parseBaggage, parseTraceparent } from '../../src/node/headers'

const T = '4bf92f3577b34da6a3ce929d0e0e4736'
const S = '00f067aa0ba902b7'

const traceparents = [
  `00-${T}-${S}-01`,
  `00-${T}-${S}-00`,
  ` 00-${T}-${S}-01 `,
  `01-${T}-${S}-01-future-field`,
  `cc-${T}-${S}-09`,
  `00-${T}-${S}-01-extra`, // version 00 takes no extra field
  `ff-${T}-${S}-01`, // version ff is invalid
  `00-${'0'.repeat(32)}-${S}-01`,
  `00-${T}-${'0'.repeat(16)}-01`,
  `00-${T.toUpperCase()}-${S}-01`,
  `00-${T.slice(1)}-${S}-01`,
  `00-${T}-${S}-1`,
  `00_${T}_${S}_01`,
  '',
  'garbage',
  `00-${T}-${S}-01,00-${T}-${S}-01`,
]

const baggages = [
  'lumina.distinct_id=user_1,lumina.session_id=' + T + ',lumina.seq=3',
  'lumina.distinct_id=anon_%3Ax%2Cy%3Dz , other=1',
  'k=v;prop=1;flag,k2 = v2 ',
  '=novalue,nokey=,=,,;,k=v',
  'k=%E0%A4%A,ok=1', // a malformed escape spoils its own member only
  'a=1,a=2',
  '%6B%65%79=value',
  Array.from({ length: 200 }, (_, i) => `m${i}=${i}`).join(','),
  'big=' + 'x'.repeat(5000) + ',small=1',
  Array.from({ length: 3 }, (_, i) => `k${i}=` + 'y'.repeat(3000)).join(','),
  '',
]

/** A Fetch Headers getter for OpenTelemetry (its default getter reads plain objects). */
const headersGetter: TextMapGetter<Headers> = { get: (h, k) => h.get(k) ?? undefined, keys: (h) => [...h.keys()] }

const otelTrace = (carrier: any, getter: TextMapGetter<any> = defaultTextMapGetter) => {
  const span = trace.getSpanContext(new W3CTraceContextPropagator().extract(ROOT_CONTEXT, carrier, getter))
  return span ? { traceId: span.traceId, parentSpanId: span.spanId } : undefined
}
const otelBaggage = (carrier: any, getter: TextMapGetter<any> = defaultTextMapGetter) => {
  const baggage = propagation.getBaggage(new W3CBaggagePropagator().extract(ROOT_CONTEXT, carrier, getter))
  return Object.fromEntries((baggage?.getAllEntries() || []).map(([k, v]) => [k, v.value]))
}

describe('traceparent, as OpenTelemetry reads it', () => {
  it.each(traceparents)('%j', (value) => {
    const node = { traceparent: value }
    expect(parseTraceparent(node)).toEqual(otelTrace(node))
    const fetchHeaders = new Headers()
    try {
      fetchHeaders.set('traceparent', value)
    } catch {
      return // not a legal header value at all
    }
    expect(parseTraceparent(fetchHeaders)).toEqual(otelTrace(fetchHeaders, headersGetter))
  })

  it('takes the first of several traceparent headers, as OpenTelemetry does', () => {
    const node = { traceparent: [`00-${T}-${S}-01`, `00-${'1'.repeat(32)}-${S}-01`] }
    expect(parseTraceparent(node)).toEqual(otelTrace(node))
    expect(parseTraceparent(node)?.traceId).toBe(T)
  })

  it('finds the header whatever the case of a plain object key', () => {
    expect(parseTraceparent({ Traceparent: `00-${T}-${S}-01` })).toEqual({ traceId: T, parentSpanId: S })
    expect(parseTraceparent({ TRACEPARENT: `00-${T}-${S}-01` })).toEqual({ traceId: T, parentSpanId: S })
  })
})

describe('baggage, as OpenTelemetry reads it', () => {
  it.each(baggages.map((b) => [b.length > 60 ? b.slice(0, 60) + '…' : b, b]))('%j', (_, value) => {
    const node = { baggage: value }
    expect(parseBaggage(node)).toEqual(otelBaggage(node))
    const fetchHeaders = new Headers({ baggage: value })
    expect(parseBaggage(fetchHeaders)).toEqual(otelBaggage(fetchHeaders, headersGetter))
  })

  it('joins several baggage headers (Node gives an array), as OpenTelemetry does', () => {
    const node = { baggage: ['a=1,b=2', 'lumina.distinct_id=u%20x', 'c=3'] }
    expect(parseBaggage(node)).toEqual(otelBaggage(node))
    expect(parseBaggage(node)['lumina.distinct_id']).toBe('u x')
  })
})

describe('continuedFrom', () => {
  const baggage = `lumina.distinct_id=user_1,lumina.session_id=${T},lumina.seq=3`

  it('continues the trace, the distinct id and the seq of a browser turn', () => {
    for (const headers of [
      { traceparent: `00-${T}-${S}-01`, baggage },
      new Headers({ traceparent: `00-${T}-${S}-01`, baggage }),
      { Traceparent: `00-${T}-${S}-01`, Baggage: baggage },
    ]) {
      expect(continuedFrom(headers)).toEqual({ traceId: T, parentSpanId: S, distinctId: 'user_1', seq: 3 })
    }
  })

  it('a malformed or absent traceparent continues no trace; the distinct id still comes from valid baggage', () => {
    expect(continuedFrom({ traceparent: `00-${'0'.repeat(32)}-${S}-01`, baggage })).toEqual({ distinctId: 'user_1' })
    expect(continuedFrom({ baggage })).toEqual({ distinctId: 'user_1' })
    expect(continuedFrom({})).toEqual({})
    expect(continuedFrom(undefined)).toEqual({})
    expect(continuedFrom('traceparent' as any)).toEqual({})
  })

  it('ignores a seq of another trace, a seq that is not a positive integer, and an oversized distinct id', () => {
    const tp = `00-${T}-${S}-01`
    expect(continuedFrom({ traceparent: tp, baggage: `lumina.session_id=${'1'.repeat(32)},lumina.seq=3` }).seq).toBeUndefined()
    for (const seq of ['0', '-1', '1.5', 'x', '1e400']) {
      expect(continuedFrom({ traceparent: tp, baggage: `lumina.seq=${seq}` }).seq).toBeUndefined()
    }
    expect(continuedFrom({ traceparent: tp, baggage: 'lumina.distinct_id=' + 'u'.repeat(401) }).distinctId).toBeUndefined()
  })
})
