/**
 * The report's one style sheet, inlined in a `<style>` element: system fonts only (nothing to
 * download), and print rules so that the page reads on paper (no navigation, no cut rows or
 * timelines, the colours of the status badges kept).
 */
export const REPORT_CSS = `
:root { --ok: #1a7f37; --drifted: #b35900; --failing: #c62828; --suspicious: #8e24aa;
  --muted: #57606a; --line: #d0d7de; --bg-soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  color: #1f2328; margin: 0 auto; padding: 24px 32px; max-width: 1200px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 4px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
p.meta { color: var(--muted); margin: 2px 0; }
nav ol { columns: 3; padding-left: 20px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); }
td.mono, span.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px;
  overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 12px;
  font-weight: 600; color: #fff; white-space: nowrap; }
.badge.ok { background: var(--ok); } .badge.drifted { background: var(--drifted); }
.badge.failing { background: var(--failing); } .badge.suspicious { background: var(--suspicious); }
.badge.not-observed { background: var(--muted); }
.badge.high { background: var(--failing); } .badge.medium { background: var(--drifted); }
.badge.low { background: var(--muted); }
.summary { display: flex; gap: 12px; flex-wrap: wrap; margin: 12px 0; }
.summary div { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; background: var(--bg-soft); }
.summary strong { font-size: 20px; display: block; }
.host { break-inside: avoid; page-break-inside: avoid; }
.host svg { width: 100%; height: auto; max-width: 1100px; display: block; }
span.nowrap { white-space: nowrap; display: block; }
td.nowrap { white-space: nowrap; }
td .meta { color: var(--muted); font-size: 11px; }
.empty { color: var(--muted); font-style: italic; }
.legend svg { height: 22px; width: auto; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { padding: 0; max-width: none; font-size: 10pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
`;
