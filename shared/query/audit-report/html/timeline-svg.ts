import type { HostTimeline, IpTrack } from "../host-timeline";
import { type Html, html, join } from "./escape";

/** The drawing's geometry, in SVG user units (the SVG scales to the page's width). */
const WIDTH = 1000;
const LABEL = 270;
const RIGHT = 20;
const ROW = 20;
const TOP = 34;
const AXIS = 26;

/** `2026-08-21 12:00:05Z`: short enough for an axis label, still UTC and unambiguous. */
export function shortTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** Maps an instant onto the plot's x range; the runs' first and last times are its ends. */
function timeScale(timeline: HostTimeline): (iso: string) => number {
  const times = timeline.runs.map((run) => Date.parse(run.observedAt));
  const start = Math.min(...times);
  const end = Math.max(...times);
  const left = LABEL + 10;
  const right = WIDTH - RIGHT;
  if (end === start) return () => (left + right) / 2;
  return (iso) => left + ((Date.parse(iso) - start) / (end - start)) * (right - left);
}

/**
 * A hostname's timeline as inline SVG: a row of its runs (grey when answered, red when failed),
 * then one row per IP: a green bar while it was in the observed set, a dot for each run whose
 * answers carried it, a triangle where it entered and a cross where it left; a suspicious
 * (private or reserved) answer's row is purple and has no bar. Each mark has a `<title>`.
 */
export function timelineSvg(timeline: HostTimeline): Html {
  const x = timeScale(timeline);
  const height = TOP + timeline.ips.length * ROW + AXIS;
  const last = timeline.runs.at(-1)?.observedAt ?? "";
  const rows = timeline.ips.map((track, index) => ipRow(track, TOP + index * ROW, x, last));
  const first = timeline.runs[0]?.observedAt ?? "";
  const axisY = height - AXIS + 6;
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${`IP timeline of ${timeline.hostname}`}">
<text x="4" y="18" class="lbl" font-size="12" fill="#57606a">runs</text>
${runMarks(timeline, x)}
${rows}
<line x1="${LABEL + 10}" y1="${axisY}" x2="${WIDTH - RIGHT}" y2="${axisY}" stroke="#d0d7de"/>
<text x="${LABEL + 10}" y="${axisY + 16}" font-size="11" fill="#57606a">${shortTime(first)}</text>
<text x="${WIDTH - RIGHT}" y="${axisY + 16}" font-size="11" fill="#57606a" text-anchor="end">${shortTime(last)}</text>
</svg>`;
}

function runMarks(timeline: HostTimeline, x: (iso: string) => number): Html {
  return join(
    timeline.runs.map((run) => {
      const colour = run.outcome === "answered" ? "#8c959f" : "#c62828";
      return html`<rect x="${round(x(run.observedAt) - 2)}" y="8" width="4" height="14" fill="${colour}"><title>${`run ${run.runId} at ${run.observedAt}: ${run.outcome}`}</title></rect>`;
    }),
    "\n",
  );
}

function ipRow(track: IpTrack, top: number, x: (iso: string) => number, last: string): Html {
  const mid = top + ROW / 2;
  const labelColour = track.suspicious ? "#8e24aa" : "#1f2328";
  const bars = track.spans.map((span) => {
    const from = x(span.from);
    const to = Math.max(x(span.to ?? last), from) + (span.to === null ? 8 : 0);
    const until = span.to === null ? "still in the observed set" : `until ${span.to}`;
    return html`<rect x="${round(from)}" y="${mid - 5}" width="${round(Math.max(to - from, 4))}" height="10" rx="3" fill="#1a7f37" fill-opacity="0.35"><title>${`${track.ip} in the observed set from ${span.from}, ${until}`}</title></rect>`;
  });
  const dotColour = track.suspicious ? "#8e24aa" : "#1f2328";
  const dots = track.seen.map(
    (at) =>
      html`<circle cx="${round(x(at))}" cy="${mid}" r="3" fill="${dotColour}"><title>${`${track.ip} answered at ${at}`}</title></circle>`,
  );
  const entered = track.entered.map((at) => {
    const cx = round(x(at));
    return html`<path d="M${cx - 5} ${mid + 9} L${cx} ${mid + 1} L${cx + 5} ${mid + 9} Z" fill="#0969da"><title>${`${track.ip} entered at ${at}`}</title></path>`;
  });
  const left = track.left.map((at) => {
    const cx = round(x(at));
    return html`<path d="M${cx - 5} ${mid - 5} L${cx + 5} ${mid + 5} M${cx + 5} ${mid - 5} L${cx - 5} ${mid + 5}" stroke="#c62828" stroke-width="2.5"><title>${`${track.ip} left at ${at}`}</title></path>`;
  });
  const note = track.suspicious ? " (suspicious)" : "";
  return html`<g>
<line x1="${LABEL + 10}" y1="${mid}" x2="${WIDTH - RIGHT}" y2="${mid}" stroke="#eaeef2"/>
<text x="4" y="${mid + 4}" font-size="11.5" font-family="ui-monospace, DejaVu Sans Mono, monospace" fill="${labelColour}">${track.ip + note}</text>
${bars}${dots}${entered}${left}
</g>`;
}

/** The marks' key, drawn once above the timelines. */
export function timelineLegend(): Html {
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 22" role="img" aria-label="legend">
<rect x="2" y="5" width="4" height="14" fill="#8c959f"/><text x="10" y="16" font-size="12">run (answered)</text>
<rect x="112" y="5" width="4" height="14" fill="#c62828"/><text x="120" y="16" font-size="12">run (failed)</text>
<rect x="210" y="7" width="28" height="10" rx="3" fill="#1a7f37" fill-opacity="0.35"/><text x="244" y="16" font-size="12">in the observed set</text>
<circle cx="380" cy="12" r="3" fill="#1f2328"/><text x="388" y="16" font-size="12">seen in an answer</text>
<path d="M505 20 L510 12 L515 20 Z" fill="#0969da"/><text x="520" y="16" font-size="12">entered</text>
<path d="M585 7 L595 17 M595 7 L585 17" stroke="#c62828" stroke-width="2.5"/><text x="602" y="16" font-size="12">left</text>
<circle cx="650" cy="12" r="3" fill="#8e24aa"/><text x="658" y="16" font-size="12">suspicious answer</text>
</svg>`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
