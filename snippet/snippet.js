/* global __URL__, __SRI__ */ // the build replaces them with the bundle's URL and SRI hash
// The inline loader: queues calls on window.lumina as Promises and loads the bundle.
// Every byte counts (budget 700 B minified, goal 600): arrows, two Proxies instead of name
// lists, short queue names (`start`, `clear` for session.start/clear), no checks the bundle
// can do instead. build.mjs minifies it and fills in the URL and SRI hash.
;((w, d, src, sri) => {
  if (w.lumina) {
    return
  } // pasted twice, or the ESM build already here: harmless
  let failed
  // Both Proxies serve every method name, present and future, as a queued call (`stub`);
  // `then` stays absent so neither is thenable (an async function returning lumina would hang).
  let H = { get: (t, k) => t[k] ?? (k != 'then' && stub(k)) }
  // The stand-in session and turn (one object: the session is `lumina.session` until the
  // bundle comes, and what session.start() gives if it never does). Values are values, never
  // functions (a function's source once went out as a traceparent header); wrapLLM and
  // recordTool run the function in their own argument slot, and nothing else found in the
  // arguments is ever called; every other method resolves.
  let turn = new Proxy(
    {
      sessionId: '',
      turnId: '',
      seq: 0,
      traceparent: '',
      wrapLLM: (f) => f(),
      recordTool: (n, f) => f(),
      headers: () => ({ traceparent: '' }),
      turn: () => turn,
    },
    H,
  )
  // What a call gives when the bundle never comes: the host's chat must keep working.
  let fallback = (m) => (m == 'start' ? turn : void 0)
  // Queued calls stay in _q after a failure, each already settled with its fallback: a
  // bundle that arrives late (after the 5 s timer) replays them, init first, and starts the
  // SDK with the page's config (settling a settled Promise again does nothing). After a
  // failure only init is still queued (the rest settle at once), so a blocked page's queue
  // stops growing; once a late bundle has run, its load event clears `failed`.
  let stub =
    (m) =>
    (...a) =>
      new Promise((r) => {
        if (!failed || m == 'init') {
          l._q.push([m, a, r])
        }
        if (failed) {
          r(fallback(m))
        }
      })
  let l = (w.lumina = new Proxy({ _q: [], _loaded: 0, session: turn }, H))
  // A bundle that ran sets l._loaded before its load event; a surrogate script does not.
  // The first failure tells the developer once, in the console.
  let fail = () => {
    if (l._loaded) {
      failed = 0
    } else if (!failed) {
      failed = 1
      console.warn('[lumina] did not load ' + src)
      l._q.map((e) => e[2](fallback(e[0])))
    }
  }
  let s = d.createElement('script')
  s.src = src
  // Under a CSP header getAttribute('nonce') is empty, and currentScript is null later.
  s.nonce = d.currentScript?.nonce
  if (sri) {
    s.integrity = sri
    s.crossOrigin = '' // '' is anonymous
  }
  s.onload = s.onerror = fail
  setTimeout(fail, 5e3) // a stalled CDN fires neither load nor error
  d.head.append(s) // injected scripts are async by default
})(window, document, __URL__, __SRI__)
