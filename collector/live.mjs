// The live feed (GET /collect/live, Server-Sent Events), per project. Each event goes out with
// `id: <segment>-<offset>`, its place in the store, so a reconnecting EventSource (which sends
// Last-Event-ID) resumes after the last event it saw instead of replaying the backlog.
// Back-pressure: a client may have at most `maxClientBytes` written but not yet taken by its
// socket (plus the events of one request); a reader slower than the feed is disconnected (it
// reconnects and resumes by id), so an idle client pins at most that much memory.
import { lineOf } from './ingest.mjs'

export const RECENT_EVENTS = 500
export const RECENT_BYTES = 4 << 20
export const MAX_CLIENT_BYTES = 1 << 20
const HEARTBEAT_MS = 25_000

/** Orders positions `<seq>-<offset>`; null when the text is not one. */
const parsePosition = (text) => {
  const m = /^(\d+)-(\d+)$/.exec(String(text || ''))
  return m ? [+m[1], +m[2]] : null
}
const after = (a, b) => a[0] > b[0] || (a[0] == b[0] && a[1] > b[1])

/**
 * @param {{ recentEvents?: number, recentBytes?: number, maxClientBytes?: number }} [limits]
 */
export const createLiveFeed = ({ recentEvents = RECENT_EVENTS, recentBytes = RECENT_BYTES, maxClientBytes = MAX_CLIENT_BYTES } = {}) => {
  /** project -> { items: { pos, frame }[], bytes } : the newest frames, for a late or returning client */
  const recent = new Map()
  /** project -> Set of clients */
  const clients = new Map()
  const stats = { disconnectedSlow: 0 }

  // the stored line as the ingest wrote it (no second JSON.stringify per event on the hot path)
  const frameOf = (position, event) => `id: ${position}\ndata: ${lineOf(event)}\n\n`
  const send = (client, frame) => {
    // a frame always goes to a client that has taken everything so far (one event can be
    // near 1 MiB itself): what one client holds is bounded by the limit plus one request's events
    const held = client.res.writableLength
    if (held > 0 && held + frame.length > maxClientBytes) {
      stats.disconnectedSlow++
      clients.get(client.project)?.delete(client)
      client.res.destroy() // a slow reader: it reconnects and resumes from its last id
      return
    }
    client.res.write(frame)
  }

  return {
    stats,
    /** @param {string} project @param {{ event: object, position: string }[]} stored */
    publish(project, stored) {
      let r = recent.get(project)
      if (!r) {
        r = { items: [], bytes: 0 }
        recent.set(project, r)
      }
      const frames = []
      for (const { event, position } of stored) {
        const frame = frameOf(position, event)
        frames.push(frame)
        r.items.push({ pos: parsePosition(position), frame })
        r.bytes += frame.length
      }
      while (r.items.length > recentEvents || (r.bytes > recentBytes && r.items.length > 1)) {
        r.bytes -= r.items.shift().frame.length
      }
      const set = clients.get(project)
      if (!set || !frames.length) {
        return
      }
      const data = frames.join('')
      for (const client of [...set]) {
        send(client, data)
      }
    },
    /**
     * Serves one client (the read key was checked by the caller).
     * @param {string} project
     * @param {import('node:http').IncomingMessage} req
     * @param {import('node:http').ServerResponse} res
     */
    serve(project, req, res) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' })
      const last = parsePosition(req.headers['last-event-id'] || new URL(req.url || '/', 'http://l').searchParams.get('last_event_id'))
      const items = recent.get(project)?.items || []
      // an id newer than anything here is from another store (a wiped data dir): send the backlog
      const known = last && items.length && !after(last, items[items.length - 1].pos)
      const backlog = items.filter((it) => !known || after(it.pos, last)).map((it) => it.frame)
      const client = { project, res }
      let set = clients.get(project)
      if (!set) {
        set = new Set()
        clients.set(project, set)
      }
      set.add(client)
      res.write('retry: 1000\n\n')
      // the backlog goes out under the same bound: a client that never reads gets cut, not buffered
      for (const frame of backlog) {
        if (!set.has(client)) {
          break
        }
        send(client, frame)
      }
      // a comment line now and then keeps proxies from closing an idle feed
      const heartbeat = setInterval(() => send(client, ': keepalive\n\n'), HEARTBEAT_MS)
      heartbeat.unref()
      req.on('close', () => {
        clearInterval(heartbeat)
        set.delete(client)
      })
    },
    clientCount: () => [...clients.values()].reduce((n, s) => n + s.size, 0),
    /** Bytes written to clients and not yet taken by their sockets, summed. */
    bufferedBytes: () => [...clients.values()].reduce((n, s) => n + [...s].reduce((m, c) => m + c.res.writableLength, 0), 0),
    close() {
      for (const set of clients.values()) {
        for (const c of set) {
          c.res.end()
        }
      }
      clients.clear()
    },
  }
}
