/**
 * The status page's HTML, rendered from a status document by plain functions that run twice: on
 * the server for the first answer (the page is complete without JavaScript) and in the browser on
 * every refresh, where `RENDER_SCRIPT` ships their compiled source. One renderer means a refresh
 * can never show something the server would not have. Hence the rules of this file: every
 * function is self-contained (no imports, no module state; only the others listed in
 * RENDER_FUNCTIONS and the browser/Node globals), and everything interpolated passes `esc`.
 * Times are shown relative to the document's `generatedAt`, so a phone with a wrong clock still
 * reads "12 s ago" right, and absolute times in UTC so both sides print the same text.
 */
import type { EndpointReport, InputReport, StatusDocument, WalReport } from '../status-model.js';

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** A count for people: `950`, `12.3k`, `4.5M`, with ` unit` when given; `—` when unknown. */
export function fmtNumber(n: number | null | undefined, unit = ''): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  const text = abs >= 1e9 ? (n / 1e9).toFixed(1) + 'G' : abs >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : abs >= 1e4 ? (n / 1e3).toFixed(1) + 'k'
    : abs >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1);
  return unit === '' ? text : text + ' ' + unit;
}

/** Bytes with binary prefixes: `812 B`, `3.4 MiB`; `—` when unknown. */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return (n < 0 ? '-' : '') + (u === 0 ? String(Math.round(v)) : v.toFixed(v >= 100 ? 0 : 1)) + ' ' + units[u];
}

/** A duration: `45 s`, `12 min`, `3 h 5 min`, `2 d 3 h`; `—` when unknown. */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return s + ' s';
  const m = Math.round(s / 60);
  if (m < 90) return m + ' min';
  const h = Math.floor(m / 60);
  if (h < 48) return h + ' h' + (m % 60 === 0 ? '' : ' ' + (m % 60) + ' min');
  return Math.floor(h / 24) + ' d' + (h % 24 === 0 ? '' : ' ' + (h % 24) + ' h');
}

/** An ISO instant as `2025-01-05 10:00:00 UTC`; `never` when null. */
export function fmtTime(iso: string | null): string {
  return iso === null ? 'never' : iso.slice(0, 19).replace('T', ' ') + ' UTC';
}

/** How long before `nowMs` the ISO instant was: `12 s ago`; `never` when null. */
export function fmtAgo(iso: string | null, nowMs: number): string {
  return iso === null ? 'never' : fmtDuration((nowMs - Date.parse(iso)) / 1000) + ' ago';
}

/**
 * A sparkline chart: an SVG path over time (gaps where a value is null), zero-based, with the
 * latest and the highest value in the caption. Fewer than two points show "collecting".
 */
export function sparkline(title: string, t: number[], values: Array<number | null>, format: (v: number | null) => string): string {
  const W = 300;
  const H = 60;
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const latest = values.length > 0 ? values[values.length - 1] ?? null : null;
  const span = t.length > 1 ? (t[t.length - 1]! - t[0]!) / 1000 : 0;
  const head = '<figcaption><span>' + esc(title) + '</span> <b>' + esc(format(latest)) + '</b>'
    + (known.length > 0 ? ' <small>max ' + esc(format(Math.max(...known))) + '</small>' : '') + '</figcaption>';
  if (t.length < 2 || known.length < 2) return '<figure class="chart">' + head + '<p class="empty">collecting (a point every 15 s)</p></figure>';
  const max = Math.max(...known) || 1;
  let line = '';
  let area = '';
  let open = false;
  let first = 0;
  let last = 0;
  for (let i = 0; i < t.length; i++) {
    const v = values[i];
    const x = ((t[i]! - t[0]!) / (span * 1000)) * W;
    if (v === null || v === undefined || !Number.isFinite(v)) {
      if (open) area += 'L' + last.toFixed(1) + ' ' + H + 'L' + first.toFixed(1) + ' ' + H + 'Z';
      open = false;
      continue;
    }
    const y = H - (Math.max(0, v) / max) * (H - 2);
    line += (open ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1);
    area += (open ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1);
    if (!open) first = x;
    last = x;
    open = true;
  }
  if (open) area += 'L' + last.toFixed(1) + ' ' + H + 'L' + first.toFixed(1) + ' ' + H + 'Z';
  return '<figure class="chart">' + head
    + '<svg viewBox="0 0 ' + W + ' ' + H + '" preserveAspectRatio="none" role="img" aria-label="' + esc(title) + ' over the last ' + esc(fmtDuration(span)) + '">'
    + '<path class="area" d="' + area + '"/><path class="line" d="' + line + '" vector-effect="non-scaling-stroke"/></svg>'
    + '<div class="axis"><span>' + esc(fmtDuration(span)) + ' ago</span><span>now</span></div></figure>';
}

/** A definition-list row; `value` is text, escaped here. */
export function row(label: string, value: string, hint?: string): string {
  return '<div><dt>' + esc(label) + '</dt><dd' + (hint ? ' title="' + esc(hint) + '"' : '') + '>' + esc(value) + '</dd></div>';
}

/** One endpoint: its state, figures and charts. */
export function renderEndpoint(e: EndpointReport, nowMs: number): string {
  const h = e.history;
  return '<article class="card endpoint s-' + esc(e.state) + '" data-state="' + esc(e.state) + '">'
    + '<header><h2>' + esc(e.name) + ' <small>' + esc(e.url) + '</small></h2><span class="badge">' + esc(e.state) + '</span></header>'
    + '<p class="reason">' + esc(e.stateReason) + '</p><dl>'
    + row('Backlog', fmtNumber(e.backlogSamples, 'samples'))
    + row('Backlog age (lag)', e.backlogAgeSeconds === null ? 'none' : fmtDuration(e.backlogAgeSeconds))
    + row('Send rate', fmtNumber(e.sendRateSamplesPerSecond, 'samples/s'))
    + row('Bandwidth (measured)', e.bandwidthBytesPerSecond === null ? '—' : fmtBytes(e.bandwidthBytesPerSecond) + '/s')
    + row('Catch-up ETA', e.catchUpEtaSeconds === null ? '—' : fmtDuration(e.catchUpEtaSeconds), 'backlog bytes / (bandwidth − incoming); — when not catching up or the link is slower than the input')
    + row('Disk budget full in', e.timeUntilBudgetFullSeconds === null ? 'not filling' : fmtDuration(e.timeUntilBudgetFullSeconds))
    + row('Last success', fmtAgo(e.lastSuccess, nowMs), fmtTime(e.lastSuccess))
    + row('Shards', String(e.shards))
    + '</dl>'
    + (e.lastError === null ? '' : '<p class="error">Last error: ' + esc(e.lastError) + '</p>')
    + (h === undefined ? '' : '<div class="charts">'
      + sparkline('Backlog', h.t, h.backlogSamples, (v) => fmtNumber(v, 'samples'))
      + sparkline('Lag', h.t, h.lagSeconds, (v) => fmtDuration(v))
      + sparkline('Bandwidth used', h.t, h.sentBytesPerSecond, (v) => (v === null ? '—' : fmtBytes(v) + '/s'))
      + '</div>')
    + '</article>';
}

/** The WAL card: disk budget, oldest undelivered sample, drops. */
export function renderWal(w: WalReport, doc: StatusDocument, nowMs: number): string {
  const drops = Object.keys(w.dropped).map((reason) => reason + ' ' + fmtNumber(w.dropped[reason])).join(' · ');
  const recent = w.recentDrops.length === 0 ? '<p class="muted">No undelivered sample dropped since start.</p>'
    : '<table><thead><tr><th>when</th><th>reason</th><th>samples</th><th>sample times lost</th></tr></thead><tbody>'
      + w.recentDrops.map((d) => '<tr><td title="' + esc(fmtTime(d.at)) + '">' + esc(fmtAgo(d.at, nowMs)) + '</td><td>' + esc(d.reason) + '</td><td>' + esc(fmtNumber(d.samples))
        + '</td><td>' + esc(d.from === null ? 'unknown' : fmtTime(d.from) + ' – ' + fmtTime(d.to)) + '</td></tr>').join('')
      + '</tbody></table>';
  return '<article class="card wal"><header><h2>Write-ahead log</h2></header>'
    + '<meter min="0" max="1" low="0.7" high="0.9" optimum="0" value="' + esc(Math.min(1, w.budgetUsedRatio)) + '"></meter>'
    + '<p class="budget">' + esc(fmtBytes(w.bytes) + ' of ' + fmtBytes(w.budgetBytes) + ' (' + (w.budgetUsedRatio * 100).toFixed(1) + ' %)') + '</p><dl>'
    + row('Segments', String(w.segments))
    + row('Oldest undelivered', w.oldestUndeliveredAgeSeconds === null ? 'none' : fmtDuration(w.oldestUndeliveredAgeSeconds) + ' old', fmtTime(w.oldestUndelivered))
    + row('Incoming', fmtNumber(w.incomingSamplesPerSecond, 'samples/s'))
    + row('Growth', w.growthBytesPerSecond === null ? '—' : fmtBytes(w.growthBytesPerSecond) + '/s')
    + row('Budget full in', w.timeUntilFullSeconds === null ? 'not filling' : fmtDuration(w.timeUntilFullSeconds))
    + row('Retention', fmtDuration(w.retentionSeconds))
    + row('Series', fmtNumber(w.series))
    + row('Dropped', drops)
    + '</dl>' + recent
    + (doc.history === undefined ? '' : '<div class="charts">' + sparkline('WAL size', doc.history.t, doc.history.walBytes, (v) => fmtBytes(v)) + '</div>')
    + '</article>';
}

/** The inputs card. */
export function renderInputs(inputs: InputReport[], nowMs: number): string {
  return '<article class="card inputs"><header><h2>Inputs</h2></header><ul>'
    + inputs.map((i) => '<li class="' + (i.up ? 'up' : 'down') + '"><span class="dot" aria-hidden="true"></span><b>' + esc(i.name) + '</b> '
      + esc(i.up ? 'up' : 'down') + ' · last success ' + esc(fmtAgo(i.lastSuccess, nowMs))
      + (i.lastError === null ? '' : '<br><small class="error">' + esc(i.lastError) + '</small>') + '</li>').join('')
    + (inputs.length === 0 ? '<li>none configured</li>' : '') + '</ul></article>';
}

/** The content of `<main>`: the overall state big, then endpoints, WAL and inputs. */
export function renderMain(doc: StatusDocument): string {
  const nowMs = Date.parse(doc.generatedAt);
  return '<section id="overall" class="hero s-' + esc(doc.state) + '" data-state="' + esc(doc.state) + '">'
    + '<div class="state" id="state">' + esc(doc.state) + '</div>'
    + '<p class="reason">' + esc(doc.stateReason) + '</p>'
    + '<p class="meta">' + esc(doc.hostname) + ' · Outpost ' + esc(doc.version) + ' · up ' + esc(fmtDuration((nowMs - Date.parse(doc.startedAt)) / 1000))
    + ' · <span id="updated" title="' + esc(fmtTime(doc.generatedAt)) + '">updated ' + esc(fmtTime(doc.generatedAt)) + '</span></p></section>'
    + '<div class="grid">'
    + (doc.endpoints.length === 0 ? '<article class="card"><header><h2>No endpoint</h2></header><p>Offline mode: set OUTPOST_REMOTE_WRITE_URL to deliver the buffered data.</p></article>' : '')
    + doc.endpoints.map((e) => renderEndpoint(e, nowMs)).join('')
    + (doc.wal === null ? '' : renderWal(doc.wal, doc, nowMs))
    + renderInputs(doc.inputs, nowMs)
    + '</div>';
}

/** Every function the browser needs to run `renderMain`, in dependency order. */
const RENDER_FUNCTIONS = [esc, fmtNumber, fmtBytes, fmtDuration, fmtTime, fmtAgo, sparkline, row, renderEndpoint, renderWal, renderInputs, renderMain];

/** The compiled source of the renderer, as declarations for an inline script. */
export const RENDER_SCRIPT: string = RENDER_FUNCTIONS.map((fn) => fn.toString()).join('\n');
