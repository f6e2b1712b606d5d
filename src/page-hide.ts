import type { Platform } from './types'
import type { Log } from './lib/log'
import { bodyOf, BEACONED, KEEPALIVE, SENDING, WAITING, type Entry, type Outbox } from './outbox'
import { isHopeless, isOk, type Transport } from './transport'

/** Fetch Standard: 64 KiB of keepalive bodies per page, shared with every other script on it. */
const KEEPALIVE_CHUNK = 32 * 1024
const KEEPALIVE_BUDGET = 48 * 1024

/**
 * The page-hide path, synchronous: run the reports open turns registered, persist the outbox,
 * then send what fits in the keepalive budget as text/plain (no preflight), line-aligned
 * chunks of at most 32 KiB; sendBeacon where keepalive fetch is refused. Timers may never
 * fire in a hidden page: what is queued while hidden goes out the same way at once.
 */
export const createPageHide = (platform: Platform, outbox: Outbox, transport: Transport, debug: Log) => {
  const p = platform
  const hideUrl = transport._hideUrl
  /** Reports that open turns registered: each sends its turn once as `incomplete`. */
  const reports = new Set<() => void>()
  /** Between page hide and show. */
  let hidden = false
  /** Our own keepalive bytes in flight. */
  let keepaliveBytes = 0

  /** Hands entries to sendBeacon; a `false` means over quota: they wait for the next chance. */
  const beacon = (batch: Entry[]) => {
    let queued = false
    try {
      queued = !!p.sendBeacon?.(hideUrl, bodyOf(batch))
    } catch {}
    // `true` only means queued, never delivered: keep them in the outbox for the next load.
    for (const e of batch) {
      if (e._state == KEEPALIVE) {
        e._state = queued ? BEACONED : WAITING
      }
    }
    debug('beacon', queued, batch.length)
    if (!queued) {
      transport._wake() // a page that lives on sends them normally
    }
  }

  /** One keepalive request; rejected (over quota, offline, blocked): the beacon. */
  const keepalive = (batch: Entry[], bytes: number) => {
    if (!p.fetch) {
      beacon(batch)
      return
    }
    keepaliveBytes += bytes
    transport._post(batch, true).then(([status]) => {
      keepaliveBytes -= bytes
      if (isOk(status) || isHopeless(status)) {
        outbox._confirm(batch)
      } else if (!status) {
        beacon(batch)
      } else {
        outbox._release(batch, KEEPALIVE) // a page that lives on sends them normally
        transport._wake()
      }
    })
  }

  /** Persists everything unconfirmed first, then sends what fits in the keepalive budget. */
  const send = () => {
    outbox._persist()
    if (transport._refused()) {
      return
    }
    let batch: Entry[] = []
    let bytes = 0
    /** Sends the chunk gathered so far if it fits the budget. */
    const sendChunk = () => {
      if (!batch[0] || keepaliveBytes + bytes > KEEPALIVE_BUDGET) {
        return false
      }
      for (const e of batch) {
        e._state = KEEPALIVE
      }
      keepalive(batch, bytes)
      batch = []
      bytes = 0
      return true
    }
    for (const e of outbox._entries()) {
      if (e._state == WAITING || e._state == SENDING) {
        if (bytes + e._bytes > KEEPALIVE_CHUNK && !sendChunk()) {
          return
        }
        batch.push(e)
        bytes += e._bytes
      }
    }
    sendChunk()
  }

  return {
    /** Registers a report to run at the next page hide; returns the function that unregisters it. */
    _register(report: () => void): () => void {
      reports.add(report)
      return () => {
        reports.delete(report)
      }
    },
    /** The page is hidden: run the reports, then send. */
    _hide() {
      hidden = true
      reports.forEach((report) => report())
      send()
    },
    _show() {
      hidden = false
    },
    /** After an event was queued: while hidden, it goes out at once. */
    _queued() {
      if (hidden) {
        send()
      }
    },
  }
}

export type PageHide = ReturnType<typeof createPageHide>
