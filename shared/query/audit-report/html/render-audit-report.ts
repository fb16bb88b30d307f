import type { AuditReport } from "../gather-audit-report";
import { html } from "./escape";
import {
  endpointsSection,
  eventsSection,
  feedsSection,
  notificationsSection,
  timelinesSection,
} from "./sections";
import { REPORT_CSS } from "./styles";
import { shortTime } from "./timeline-svg";

/**
 * Forbids every fetch: the page is self-contained (inline style, inline SVG, no script), and a
 * browser refuses anything else it might be tricked into loading.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/**
 * The auditor's report as one self-contained HTML document: no script, no external style, font
 * or image; every value from the store escaped. Pure: the same report gives the same page.
 */
export function renderAuditReport(report: AuditReport): string {
  const { catalogue, period } = report;
  const title = `driftwatch audit report: ${catalogue.vendor} ${catalogue.product}`;
  const from = period.from === null ? "the first run" : shortTime(period.from);
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<p class="meta">Catalogue ${catalogue.id} (${catalogue.review}), from ${catalogue.document.title}, issue ${catalogue.document.issue}, ${catalogue.document.date}</p>
<p class="meta">Period: ${from} to ${shortTime(period.to)} · generated ${shortTime(report.generatedAt)} · all times UTC</p>
</header>
<nav><ol>
<li><a href="#catalogue">Catalogue and status (${report.endpoints.length} endpoints)</a></li>
<li><a href="#timelines">IP timelines (${report.timelines.length} hostnames)</a></li>
<li><a href="#events">Change events (${report.eventsTotal})</a></li>
<li><a href="#notifications">Notifications (${report.notifications.length})</a></li>
<li><a href="#feeds">Feed versions</a></li>
</ol></nav>
<main>
${endpointsSection(report.endpoints)}
${timelinesSection(report)}
${eventsSection(report)}
${notificationsSection(report)}
${feedsSection(report.feeds)}
</main>
<footer>Written by driftwatch from the history store. Self-contained: this file loads nothing else.</footer>
</body>
</html>
`;
  return page.html;
}
