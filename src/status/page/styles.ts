/**
 * The status page's stylesheet, inline (the page must work on a LAN with no internet). Phone
 * first: one column, large state; two columns from 760 px. The four state colours are the ones
 * a person reads at a glance: green online, blue catching up, amber offline but buffering, red
 * losing data. System fonts only; a dark scheme follows the device.
 */
export const STATUS_PAGE_CSS = `
:root { --bg: #f6f8fa; --card: #fff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --chart: #0969da;
  --online: #1a7f37; --catching-up: #0969da; --offline-buffering: #f0b400; --losing-data: #cf222e; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --card: #161b22; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --chart: #4493f8; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 12px; }
h1 { font-size: 1rem; margin: 4px 0 10px; color: var(--muted); font-weight: 600; }
h2 { font-size: 1rem; margin: 0; overflow-wrap: anywhere; }
#conn { background: var(--losing-data); color: #fff; padding: 8px 12px; border-radius: 8px; margin-bottom: 10px; }
.hero { border-radius: 14px; padding: 18px 16px; margin-bottom: 12px; color: #fff; }
.hero .state { font-size: clamp(2.2rem, 11vw, 4rem); font-weight: 800; line-height: 1.05; overflow-wrap: anywhere; }
.hero .reason { font-size: 1.1rem; margin: 8px 0 4px; }
.hero .meta { margin: 0; opacity: .85; font-size: .9rem; }
.s-online.hero { background: var(--online); }
.s-catching-up.hero { background: var(--catching-up); }
.s-offline-buffering.hero { background: var(--offline-buffering); color: #1f2328; }
.s-losing-data.hero { background: var(--losing-data); }
.grid { display: grid; grid-template-columns: 1fr; gap: 12px; }
@media (min-width: 760px) { .grid { grid-template-columns: 1fr 1fr; } }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 14px; min-width: 0; }
.card > header { display: flex; gap: 8px; align-items: center; justify-content: space-between; margin-bottom: 6px; }
.endpoint { border-left: 8px solid var(--line); }
.endpoint.s-online { border-left-color: var(--online); }
.endpoint.s-catching-up { border-left-color: var(--catching-up); }
.endpoint.s-offline-buffering { border-left-color: var(--offline-buffering); }
.endpoint.s-losing-data { border-left-color: var(--losing-data); }
.badge { font-weight: 700; padding: 2px 10px; border-radius: 999px; color: #fff; white-space: nowrap; background: var(--muted); }
.s-online .badge { background: var(--online); }
.s-catching-up .badge { background: var(--catching-up); }
.s-offline-buffering .badge { background: var(--offline-buffering); color: #1f2328; }
.s-losing-data .badge { background: var(--losing-data); }
.reason { margin: 4px 0 8px; }
dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 6px 12px; margin: 8px 0; }
dt { color: var(--muted); font-size: .8rem; }
dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.error { color: var(--losing-data); overflow-wrap: anywhere; }
.muted, .empty { color: var(--muted); }
meter { width: 100%; height: 14px; }
.budget { margin: 2px 0 6px; font-weight: 600; }
table { width: 100%; border-collapse: collapse; font-size: .85rem; }
th, td { text-align: left; padding: 3px 4px; border-bottom: 1px solid var(--line); vertical-align: top; }
.charts { display: grid; grid-template-columns: 1fr; gap: 10px; margin-top: 10px; }
.chart { margin: 0; }
.chart figcaption { font-size: .85rem; color: var(--muted); }
.chart figcaption b { color: var(--fg); }
.chart svg { display: block; width: 100%; height: 60px; background: var(--bg); border-radius: 6px; }
.chart .line { fill: none; stroke: var(--chart); stroke-width: 2; }
.chart .area { fill: var(--chart); opacity: .15; }
.chart .axis { display: flex; justify-content: space-between; font-size: .75rem; color: var(--muted); }
.inputs ul { list-style: none; padding: 0; margin: 0; }
.inputs li { padding: 4px 0; border-bottom: 1px solid var(--line); }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; background: var(--losing-data); }
.up .dot { background: var(--online); }
footer { color: var(--muted); font-size: .8rem; margin: 14px 0; text-align: center; }
footer a { color: inherit; }
`;
