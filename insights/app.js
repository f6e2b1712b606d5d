// The insights page: asks /api/insights for the numbers (computed in the collector, by the
// embedded store or by ClickHouse), draws the headline cards, the charts (uPlot) and the
// tables, and a session's timeline from /api/insights/session when a turn's session is chosen.
// The read key comes from the page's URL (?read_key=) and goes to the API as X-Read-Key.
/* global uPlot -- the chart library, loaded by its own <script> before this one */
;(() => {
  const $ = (id) => document.getElementById(id)
  const params = new URLSearchParams(location.search)
  const readKey = params.get('read_key') || ''
  const RANGES = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 }
  /** Models, prompts and users seen so far, for the filter choices (a filtered answer has fewer). */
  const seen = { model: new Set(), prompt_id: new Set(), user: new Set() }
  /** The charts, kept to resize and to destroy before the next draw. */
  let charts = []

  // --- formatting ---
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  const int = (v) => (v == null ? '—' : Math.round(v).toLocaleString('en-US'))
  const ms = (v) => (v == null ? '—' : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`)
  const plural = (n, one, many = one + 's') => `${int(n)} ${n == 1 ? one : many}`
  const pct = (v) => (v == null ? '—' : `${(v * 100).toFixed(1)} %`)
  const usd = (v) =>
    v == null ? '—' : v > 0 && v < 0.01 ? `$${v.toFixed(4)}` : `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
  const when = (t) => new Date(t).toLocaleString('en-GB', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })
  const clock = (t) => new Date(t).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' })
  const shortUser = (id) => (id.startsWith('anon_') ? id.slice(0, 13) + '…' : id)
  const safeUrl = (u) => (/^https?:\/\//i.test(u || '') ? u : '')
  const pill = (status) => `<span class="pill ${esc(status)}">${esc(status === 'aborted' ? 'stopped' : status || '?')}</span>`
  /** Thumbs as inline SVG: emoji need a colour-emoji font, which many Linux machines lack. */
  const thumb = (up) =>
    `<svg class="thumb${up ? '' : ' down'}" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path fill="currentColor" d="M1 7h3v8H1zM5 7.5 8.2 1.6c.3-.5.9-.7 1.4-.4.9.5 1.2 1.6.8 2.5L9.6 6H14c.9 0 1.6.9 1.4 1.8l-1.2 5.6c-.2.9-.9 1.6-1.8 1.6H5z"/></svg>`
  const feedbackCell = (count, positive) =>
    count
      ? `${positive ? `<span class="fb-up">${thumb(true)} ${positive}<span class="visually-hidden"> positive</span></span> ` : ''}${count - positive ? `<span class="fb-down">${thumb(false)} ${count - positive}<span class="visually-hidden"> negative</span></span>` : ''}`
      : '<span class="muted">—</span>'
  const costCell = (cost, unpriced, tokens) =>
    unpriced
      ? `<span class="muted" title="a model the price table does not know">unpriced</span>`
      : tokens || cost
        ? usd(cost)
        : '<span class="muted">—</span>'

  // --- the API ---
  const api = async (path, signal) => {
    const res = await fetch(path, { headers: readKey ? { 'X-Read-Key': readKey } : {}, cache: 'no-store', signal })
    if (res.status == 401 || res.status == 403) {
      throw new Error("This page needs the project's read key: open the insights URL that npm start prints (it ends in ?read_key=…).")
    }
    if (!res.ok) {
      throw new Error(`The insights API answered ${res.status}: ${(await res.text()).slice(0, 200)}`)
    }
    return res.json()
  }

  /** The filters from the page's URL, as the API's query. */
  const query = () => {
    const p = new URLSearchParams(location.search)
    const q = new URLSearchParams()
    const range = p.get('range') || '7d'
    const now = Date.now()
    if (RANGES[range]) {
      q.set('from', String(now - RANGES[range]))
      q.set('to', String(now))
    }
    for (const name of ['model', 'prompt_id', 'user']) {
      if (p.get(name)) {
        q.set(name, p.get(name))
      }
    }
    return q
  }

  const setStatus = (text, error = false) => {
    $('status').textContent = text
    $('status').className = error ? 'status error' : 'status'
  }

  // --- headline cards ---
  const card = (title, value, detail, tone = '') =>
    `<article class="card ${tone}"><h3>${esc(title)}</h3><p class="value">${value}</p>${detail ? `<p class="detail">${detail}</p>` : ''}</article>`
  const renderCards = (h) => {
    $('cards').innerHTML = [
      card('Turns', int(h.turns), plural(h.sessions, 'session')),
      card('Users', int(h.users), `${int(h.identified_users)} identified · ${int(h.anonymous_users)} anonymous`),
      card('Time to first token', `${ms(h.ttft_p50)} <small>p50</small>`, `p95 ${ms(h.ttft_p95)} · as the user saw it`),
      card('Turn latency', `${ms(h.latency_p50)} <small>p50</small>`, `p95 ${ms(h.latency_p95)}`),
      card('Errors', pct(h.error_rate), `${plural(h.errors, 'turn')} failed`, h.error_rate > 0.05 ? 'bad' : ''),
      card('Stopped by user', pct(h.stopped_rate), `${plural(h.stopped, 'stream')} stopped`, h.stopped_rate > 0.1 ? 'warn' : ''),
      card(
        'Inputs abandoned',
        pct(h.abandonment_rate),
        `${int(h.inputs_abandoned)} of ${int(h.inputs_started)} started`,
        h.abandonment_rate > 0.2 ? 'warn' : '',
      ),
      card('Feedback', int(h.feedback_count), h.feedback_count ? `${pct(h.feedback_positive_share)} positive` : 'none yet'),
      card(
        'Cost',
        usd(h.cost_usd),
        h.unpriced_turns ? `${plural(h.unpriced_turns, 'turn')} unpriced (model not in the price table)` : 'every turn with usage priced',
      ),
    ].join('')
  }

  // --- charts (uPlot) ---
  const chart = (el, t, values, { bars = false, color = '#3056d3', format = int } = {}) => {
    const width = Math.max(280, el.clientWidth || el.parentElement.clientWidth)
    const series = {
      label: el.getAttribute('aria-label'),
      stroke: color,
      width: bars ? 0 : 2,
      fill: bars ? color + 'cc' : color + '1f',
      spanGaps: !bars,
      // isolated points (a sparse range) are drawn as dots, since no line joins them
      points: { show: values.filter((v) => v != null).length <= 24, size: 6, fill: color },
      value: (_, v) => (v == null ? '—' : format(v)),
    }
    if (bars) {
      series.paths = uPlot.paths.bars({ size: [0.7, 40] })
    }
    const opts = {
      width,
      height: 170,
      padding: [8, 18, 0, 0],
      legend: { show: false },
      cursor: { y: false, points: { show: !bars } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: '#596074', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#e5e7ee' } },
        { stroke: '#596074', grid: { stroke: '#eef0f4' }, ticks: { show: false }, size: 56, values: (u, vals) => vals.map(format) },
      ],
      series: [{}, series],
    }
    return new uPlot(opts, [t.map((x) => x / 1000), values], el)
  }
  const renderCharts = (s, range) => {
    for (const c of charts) {
      c.destroy()
    }
    const compact = (v) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)}k` : String(Math.round(v * 100) / 100))
    charts = [
      chart($('c-turns'), s.t, s.turns, { bars: true, format: compact }),
      chart($('c-ttft'), s.t, s.ttft_p95, { color: '#7a3fd1', format: (v) => ms(v).replace(' ', '\u202f') }),
      chart($('c-errors'), s.t, s.errors, { bars: true, color: '#c5221f', format: compact }),
      chart($('c-cost'), s.t, s.cost_usd, { color: '#137333', format: (v) => `$${v < 1 ? v.toFixed(3) : compact(v)}` }),
    ]
    const bucket =
      range.bucket_ms >= 86400e3
        ? `${range.bucket_ms / 86400e3} day`
        : range.bucket_ms >= 3600e3
          ? `${range.bucket_ms / 3600e3} h`
          : `${range.bucket_ms / 60e3} min`
    $('bucket').textContent = `one point per ${bucket} · ${when(range.from_ms)} – ${when(range.to_ms)}`
  }
  addEventListener('resize', () => {
    for (const c of charts) {
      c.setSize({ width: Math.max(280, c.root.parentElement.clientWidth), height: 170 })
    }
  })

  // --- tables ---
  const table = (el, caption, head, rows, empty) => {
    const th = head.map(([label, num]) => `<th scope="col"${num ? ' class="num"' : ''}>${label}</th>`).join('')
    const body = rows.length ? rows.join('') : `<tr><td class="empty" colspan="${head.length}">${esc(empty)}</td></tr>`
    el.innerHTML = `<caption class="visually-hidden">${esc(caption)}</caption><thead><tr>${th}</tr></thead><tbody>${body}</tbody>`
  }
  const filterLink = (name, value, text) => {
    const p = new URLSearchParams(location.search)
    p.set(name, value)
    return `<a href="?${esc(p.toString())}" title="show only this ${esc(name.replace('_id', ''))}">${text}</a>`
  }
  const renderModels = (rows) =>
    table(
      $('t-models'),
      'Turns by model and prompt',
      [
        ['Model'],
        ['Prompt'],
        ['Turns', 1],
        ['Latency p50', 1],
        ['p95', 1],
        ['TTFT p50', 1],
        ['p95', 1],
        ['Tokens in', 1],
        ['out', 1],
        ['Cost', 1],
        ['Errors', 1],
        ['Stopped', 1],
        ['Positive feedback', 1],
      ],
      rows.map(
        (
          r,
        ) => `<tr><td>${filterLink('model', r.model, esc(r.model || '(none)'))}</td><td>${filterLink('prompt_id', r.prompt_id, esc(r.prompt_id || '(none)'))}</td>
          <td class="num">${int(r.turns)}</td><td class="num">${ms(r.latency_p50)}</td><td class="num">${ms(r.latency_p95)}</td>
          <td class="num">${ms(r.ttft_p50)}</td><td class="num">${ms(r.ttft_p95)}</td><td class="num">${int(r.input_tokens)}</td><td class="num">${int(r.output_tokens)}</td>
          <td class="num">${usd(r.cost_usd)}${r.unpriced_turns ? ` <span class="muted">(${int(r.unpriced_turns)} unpriced)</span>` : ''}</td>
          <td class="num">${pct(r.error_rate)}</td><td class="num">${pct(r.stopped_rate)}</td>
          <td class="num">${r.feedback_count ? `${pct(r.feedback_positive_share)} <span class="muted">of ${int(r.feedback_count)}</span>` : '—'}</td></tr>`,
      ),
      'No turns in this range.',
    )
  const sessionHref = (r) => `#session=${encodeURIComponent(r.session_id)}&around=${r.ts_ms}`
  const renderRecent = (rows) =>
    table(
      $('t-recent'),
      'Recent turns',
      [
        ['Time'],
        ['User'],
        ['Model'],
        ['Prompt'],
        ['TTFT', 1],
        ['Latency', 1],
        ['Tokens in / out', 1],
        ['Cost', 1],
        ['Status'],
        ['Feedback'],
        ['Links'],
      ],
      rows.map((r) => {
        const replay = safeUrl(r.ui_replay_url)
        return `<tr data-turn-id="${esc(r.turn_id)}"><td>${esc(when(r.ts_ms))}</td><td class="mono" title="${esc(r.distinct_id)}">${esc(shortUser(r.distinct_id))}</td>
          <td>${esc(r.model)}</td><td>${esc(r.prompt_id)}</td><td class="num">${ms(r.ttft_ms)}</td><td class="num">${ms(r.latency_ms)}</td>
          <td class="num">${r.input_tokens || r.output_tokens ? `${int(r.input_tokens)} / ${int(r.output_tokens)}` : '—'}${r.server_turns ? ' <span class="muted" title="includes the server-side turn">+server</span>' : ''}</td>
          <td class="num">${costCell(r.cost_usd, r.unpriced, r.input_tokens + r.output_tokens)}</td><td>${pill(r.status)}</td>
          <td>${feedbackCell(r.feedback_count, r.feedback_positive)}</td>
          <td><a href="${sessionHref(r)}" class="session-link">Timeline</a>${replay ? ` · <a href="${esc(replay)}" target="_blank" rel="noopener noreferrer">Replay<span class="visually-hidden"> (opens a new tab)</span> ↗</a>` : ''}</td></tr>`
      }),
      'No turns in this range.',
    )
  const renderUsers = (rows) =>
    table(
      $('t-users'),
      'Users',
      [['User'], ['Kind'], ['Turns', 1], ['Cost', 1], ['Feedback', 1], ['Last seen']],
      rows.map(
        (
          u,
        ) => `<tr><td class="mono">${filterLink('user', u.distinct_id, esc(u.distinct_id))}</td><td>${u.identified ? 'identified' : '<span class="muted">anonymous</span>'}</td>
          <td class="num">${int(u.turns)}</td><td class="num">${usd(u.cost_usd)}</td>
          <td class="num">${u.feedback_count ? `${int(u.feedback_count)} <span class="muted">(${pct(u.feedback_positive / u.feedback_count)} positive)</span>` : '—'}</td>
          <td>${esc(when(u.last_seen_ms))}</td></tr>`,
      ),
      'No users in this range.',
    )

  // --- the session timeline ---
  const messageText = (m) => (typeof m.content == 'string' ? m.content : JSON.stringify(m.content))
  const turnFacts = (t) =>
    [
      t.ttft_ms != null && `first token ${ms(t.ttft_ms)}`,
      t.latency_ms != null && `latency ${ms(t.latency_ms)}`,
      (t.input_tokens != null || t.output_tokens != null) && `${int(t.input_tokens)} in / ${int(t.output_tokens)} out tokens`,
      t.cost_usd != null && usd(t.cost_usd),
      t.output_characters != null &&
        (t.status == 'aborted' ? `${int(t.output_characters)} characters shown before the stop` : `${int(t.output_characters)} characters streamed`),
    ]
      .filter(Boolean)
      .join(' · ')
  const timelineItem = (i, seqOf) => {
    const at = `<span class="when">${esc(clock(i.kind == 'turn' ? i.started_ms : i.ts_ms))}</span>`
    if (i.kind == 'input_started') {
      return `<li class="started">${at}<span class="what">Started typing</span></li>`
    }
    if (i.kind == 'submitted') {
      return `<li class="submitted">${at}<span class="what">Sent a message</span> <span class="facts">typed for ${ms(i.typing_duration_ms)} · ${int(i.character_count)} characters</span></li>`
    }
    if (i.kind == 'abandoned') {
      return `<li class="abandoned">${at}<span class="what">Abandoned an input</span> <span class="facts">typed for ${ms(i.typing_duration_ms)} · ${int(i.character_count)} characters, never sent</span></li>`
    }
    if (i.kind == 'feedback') {
      return `<li class="feedback">${at}<span class="what">Feedback ${i.score > 0 ? `<span class="fb-up">${thumb(true)} positive</span>` : `<span class="fb-down">${thumb(false)} negative</span>`}</span> <span class="facts">on turn #${esc(seqOf(i.turn_id) ?? '?')}${i.comment ? ` · “${esc(i.comment)}”` : ''}</span></li>`
    }
    if (i.kind == 'identify') {
      return `<li class="identify">${at}<span class="what">Identified as ${esc(i.user_id)}</span></li>`
    }
    const tools = i.tool_calls.map((c) => `${esc(c.name)} (${esc(c.status)}, ${ms(c.latency_ms)})`).join(', ')
    const replay = safeUrl(i.ui_replay_url)
    const server = i.server_turns
      .map(
        (s) =>
          `<div class="server"><span class="what">Server turn</span> · ${esc(s.model)} ${pill(s.status)} <span class="facts">${turnFacts(s)}${s.tool_calls.length ? ` · tools: ${s.tool_calls.map((c) => esc(c.name)).join(', ')}` : ''}</span></div>`,
      )
      .join('')
    const transcript = i.messages
      ? `<div class="transcript">${i.messages.map((m) => `<b>${esc(m.role)}:</b> ${esc(messageText(m).slice(0, 400))}`).join('\n')}</div>`
      : ''
    return `<li class="turn" data-turn-id="${esc(i.turn_id)}">${at}<span class="what">${i.parent_span_id ? 'Server turn' : `Turn #${esc(i.seq)}`} · ${esc(i.model)}${i.prompt_id ? ` · ${esc(i.prompt_id)}` : ''}</span> ${pill(i.status)}
      <div class="facts">${turnFacts(i) || 'no timing'}${tools ? ` · tools: ${tools}` : ''}${i.error ? ` · ${esc(i.error.type)}: ${esc(i.error.message)}` : ''}${replay ? ` · <a href="${esc(replay)}" target="_blank" rel="noopener noreferrer">replay ↗</a>` : ''}</div>
      ${server}${transcript}</li>`
  }
  const showSession = async () => {
    const h = new URLSearchParams(location.hash.slice(1))
    const id = h.get('session')
    if (!id) {
      $('session-panel').hidden = true
      return
    }
    $('session-panel').hidden = false
    $('session').innerHTML = '<p class="muted">Loading the session…</p>'
    try {
      const q = new URLSearchParams({ id })
      if (h.get('around')) {
        q.set('around', h.get('around'))
      }
      const s = await api('/api/insights/session?' + q)
      const seqs = new Map(s.items.filter((i) => i.kind == 'turn').map((i) => [i.turn_id, i.seq]))
      const replay = safeUrl(s.ui_replay_url)
      $('session').innerHTML =
        `<p class="session-meta"><span>Session <span class="mono">${esc(s.session_id)}</span></span><span>User <span class="mono">${esc(s.distinct_id)}</span></span><span>${int(s.turns)} turns</span>` +
        (replay ? `<a href="${esc(replay)}" target="_blank" rel="noopener noreferrer">Session replay ↗</a>` : '<span>no replay linked</span>') +
        `</p><ol class="timeline">${s.items.map((i) => timelineItem(i, (t) => seqs.get(t))).join('')}</ol>`
      $('session-panel').scrollIntoView({ block: 'start' })
    } catch (e) {
      $('session').innerHTML = `<p class="status error">${esc(e.message)}</p>`
    }
  }
  $('session-close').onclick = (e) => {
    e.preventDefault()
    history.replaceState(null, '', location.pathname + location.search)
    showSession()
  }
  addEventListener('hashchange', showSession)

  // --- filters ---
  const fillSelect = (el, values, current, all) => {
    if (current) {
      values.add(current)
    }
    el.innerHTML =
      `<option value="">${all}</option>` +
      [...values]
        .sort()
        .map((v) => `<option${v == current ? ' selected' : ''}>${esc(v)}</option>`)
        .join('')
  }
  const renderFilters = (data) => {
    for (const r of data.by_model) {
      seen.model.add(r.model)
      seen.prompt_id.add(r.prompt_id)
    }
    for (const u of data.users) {
      seen.user.add(u.distinct_id)
    }
    const p = new URLSearchParams(location.search)
    fillSelect($('f-model'), seen.model, p.get('model') || '', 'All models')
    fillSelect($('f-prompt'), seen.prompt_id, p.get('prompt_id') || '', 'All prompts')
    $('f-range').value = p.get('range') || '7d'
    $('f-user').value = p.get('user') || ''
    $('user-list').innerHTML = [...seen.user]
      .slice(0, 200)
      .map((u) => `<option value="${esc(u)}"></option>`)
      .join('')
  }
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault()
    const p = new URLSearchParams()
    if (readKey) {
      p.set('read_key', readKey)
    }
    for (const [name, value] of new FormData($('filters'))) {
      if (value) {
        p.set(name, String(value))
      }
    }
    history.pushState(null, '', '?' + p + location.hash)
    load()
  })
  for (const id of ['f-range', 'f-model', 'f-prompt']) {
    $(id).addEventListener('change', () => $('filters').requestSubmit())
  }
  addEventListener('popstate', load)

  /** The request in flight: a newer filter choice cancels it. */
  let inFlight = null
  async function load() {
    setStatus('Loading…')
    document.body.dataset.state = 'loading'
    if (inFlight) {
      inFlight.abort()
    }
    const controller = new AbortController()
    inFlight = controller
    try {
      const data = await api('/api/insights?' + query(), controller.signal)
      const p = new URLSearchParams(location.search)
      const parts = [p.get('model'), p.get('prompt_id'), p.get('user')].filter(Boolean)
      $('scope').textContent = `project ${data.project}${parts.length ? ' · ' + parts.join(' · ') : ''}`
      renderFilters(data)
      renderCards(data.headline)
      renderCharts(data.series, data.range)
      renderModels(data.by_model)
      renderRecent(data.recent)
      renderUsers(data.users)
      $('foot').textContent = `${data.engine == 'clickhouse' ? 'ClickHouse' : 'Embedded store'} · answered in ${data.timings.total} ms`
      setStatus('')
      document.body.dataset.state = 'ready'
    } catch (e) {
      if (controller.signal.aborted) {
        return
      }
      setStatus(e.message, true)
      document.body.dataset.state = 'error'
    }
  }
  load()
  showSession()
})()
