// The inline loader: queues calls on window.lumina as Promises and loads the bundle.
// Every byte counts (budget 700 B minified): arrows, short queue names (`start`, `clear`
// for session.start/clear), no checks the bundle can do instead. build.mjs minifies it
// and fills in the URL and SRI hash.
;((w, d, src, sri) => {
  if (w.lumina) return // pasted twice, or the ESM build already here: harmless
  let P = Promise
  let failed
  // The turn a blocked bundle leaves: any method runs the function it is given (wrapLLM,
  // recordTool) or resolves (finish, annotate, …). A Proxy serves every name, present and
  // future, in fewer bytes than a list; `then` stays absent so the turn is not thenable.
  let turn = new Proxy({}, { get: (t, k) => k != 'then' && ((...a) => (a.find((f) => f?.call) || (() => P.resolve()))()) })
  // What a call gives when the bundle never comes: the host's chat must keep working.
  // m > 's' is m == 'start': no other queued name sorts after 's' (a byte-saving trick).
  let fallback = (m) => (m > 's' ? { turn: () => turn } : void 0)
  let stub = (m) => (...a) => new P((r) => (failed ? r(fallback(m)) : l._q.push([m, a, r])))
  let l = (w.lumina = { _q: [], session: { start: stub('start'), clear: stub('clear') } })
  'init identify reset getDistinctId isAnonymous flush feedback shutdown'.split(' ').map((m) => (l[m] = stub(m)))
  // A bundle that ran sets l._loaded before its load event; a surrogate script does not.
  let fail = () => l._loaded || ((failed = 1), l._q.splice(0).map((e) => e[2](fallback(e[0]))))
  let s = d.createElement('script')
  s.src = src
  // Under a CSP header getAttribute('nonce') is empty, and currentScript is null later.
  s.nonce = d.currentScript?.nonce || ''
  if (sri) (s.integrity = sri), (s.crossOrigin = '') // '' is anonymous
  s.onload = s.onerror = fail
  setTimeout(fail, 5e3) // a stalled CDN fires neither load nor error
  d.head.append(s) // injected scripts are async by default
})(window, document, __URL__, __SRI__)
