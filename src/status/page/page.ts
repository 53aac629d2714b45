/**
 * The status page at `/`: one self-contained HTML document (no external assets: it must work
 * on a site LAN with no internet), complete as served, that refreshes itself from
 * `/api/v1/status?history=1` every few seconds with the same renderer (render.ts).
 */
import { createHash } from 'node:crypto';
import type { StatusDocument } from '../status-model.js';
import { esc, RENDER_SCRIPT, renderMain } from './render.js';
import { STATUS_PAGE_CSS } from './styles.js';

/**
 * 5 s: a phone on the LAN sees a change almost at once, and a document with six hours of
 * history (~50 KB per endpoint) every 5 s is nothing for the gateway or the LAN.
 */
const REFRESH_MS = 5_000;

// setTimeout after each answer rather than setInterval, so a slow gateway never has requests
// piling up. The URL is relative: the page also works behind a reverse proxy under a sub-path.
const CLIENT_SCRIPT = `(() => {
${RENDER_SCRIPT}
const main = document.getElementById('main');
const conn = document.getElementById('conn');
let lastOk = Date.now();
async function refresh() {
  try {
    const res = await fetch('api/v1/status?history=1', { cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const doc = await res.json();
    main.innerHTML = renderMain(doc);
    document.title = doc.state + ' · ' + doc.hostname + ' · Outpost';
    lastOk = Date.now();
    conn.hidden = true;
  } catch (err) {
    conn.hidden = false;
    conn.textContent = 'No answer from Outpost for ' + fmtDuration((Date.now() - lastOk) / 1000) + ' (' + (err && err.message || err) + '); showing the last data received.';
  }
  setTimeout(refresh, ${REFRESH_MS});
}
setTimeout(refresh, ${REFRESH_MS});
})();`;

// Inside <script>, "</script" ends the element early and "<!--" changes how it is parsed; the
// renderer is ours, so either would be a bug caught here at load, not a page broken at run time.
if (/<\/script|<!--/i.test(CLIENT_SCRIPT)) throw new Error('the status page script contains </script or <!--');

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page's Content-Security-Policy: only its own inline script and style (by hash), requests
 * only to its own origin, nothing else. Even if some value escaped `esc`, no script would run.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(CLIENT_SCRIPT)}`,
  `style-src ${sha256(STATUS_PAGE_CSS)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The whole page for `doc` (which should carry its history, for the charts). */
export function renderStatusPage(doc: StatusDocument): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(doc.state)} · ${esc(doc.hostname)} · Outpost</title>
<link rel="icon" href="data:,">
<style>${STATUS_PAGE_CSS}</style>
</head>
<body>
<main>
<h1>Outpost status</h1>
<div id="conn" role="status" hidden></div>
<div id="main">${renderMain(doc)}</div>
<footer>Refreshes every ${REFRESH_MS / 1000} s · <a href="api/v1/status">JSON</a> · <a href="metrics">metrics</a></footer>
</main>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
