import type { CommittedEvent } from "../../committed-events";
import type { PublishedNotification } from "../../notifications";
import type { EndpointStatus, EndpointStatusRow } from "../endpoint-status";
import type { AuditReport, FeedVersion } from "../gather-audit-report";
import { type Html, html, join } from "./escape";
import { shortTime, timelineLegend, timelineSvg } from "./timeline-svg";

const STATUSES: readonly EndpointStatus[] = [
  "drifted",
  "failing",
  "suspicious",
  "ok",
  "not-observed",
];

function time(iso: string | null | undefined): Html {
  return iso === null || iso === undefined ? html`-` : html`${shortTime(iso)}`;
}

/** Addresses one per line, never broken inside one. */
function list(values: readonly string[]): Html {
  return values.length === 0
    ? html`-`
    : join(values.map((value) => html`<span class="nowrap">${value}</span>`));
}

/** How many endpoints have each status. */
export function statusSummary(endpoints: readonly EndpointStatusRow[]): Html {
  const cells = STATUSES.map((status) => {
    const count = endpoints.filter((row) => row.status === status).length;
    return html`<div><strong>${count}</strong><span class="badge ${status}">${status}</span></div>`;
  });
  return html`<div class="summary">${cells}</div>`;
}

/** The catalogue: one row per endpoint, most urgent status first, then by group and id. */
export function endpointsSection(endpoints: readonly EndpointStatusRow[]): Html {
  const rows = [...endpoints]
    .sort(
      (a, b) =>
        STATUSES.indexOf(a.status) - STATUSES.indexOf(b.status) ||
        a.group.localeCompare(b.group) ||
        a.endpointId.localeCompare(b.endpointId),
    )
    .map(
      (row) => html`<tr>
<td><span class="badge ${row.status}">${row.status}</span></td><td>${time(row.since)}</td>
<td class="mono nowrap">${row.hostname ?? "(no hostname)"}</td><td>${row.service}<div class="meta">${row.group}</div></td>
<td>${row.policy}</td><td>${row.ports}</td><td class="mono">${list(row.observed)}</td><td>${row.detail}</td>
</tr>`,
    );
  return html`<section id="catalogue"><h2>Catalogue: endpoints and their status</h2>
${statusSummary(endpoints)}
<table><thead><tr><th>status</th><th>since</th><th>hostname</th><th>service / group</th><th>policy</th><th>ports</th><th>observed set</th><th>detail</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

/** Per hostname, the timeline of its IPs in the period. */
export function timelinesSection(report: AuditReport): Html {
  const hosts = report.timelines.map((timeline) => {
    const body =
      timeline.runs.length === 0
        ? html`<p class="empty">no run in the period</p>`
        : timelineSvg(timeline);
    const note = timeline.truncated
      ? html`<p class="meta">only the newest ${timeline.runs.length} runs are drawn</p>`
      : html``;
    const id = `host-${timeline.hostname}`;
    return html`<div class="host" id="${id}"><h3>${timeline.hostname}</h3>${note}${body}</div>`;
  });
  return html`<section id="timelines"><h2>IP timelines, per hostname</h2>
<div class="legend">${timelineLegend()}</div>
${hosts}</section>`;
}

/** An endpoint's hostname, a pool's or feed's id; the subject key otherwise. */
function subjectName(event: CommittedEvent): string {
  const { subject } = event;
  if (subject.kind === "endpoint") return event.endpoint?.hostname ?? subject.endpointId;
  if (subject.kind === "pool") return `pool ${subject.poolId}`;
  if (subject.kind === "feed") return `feed ${subject.feed}`;
  return subject.key;
}

function eventRow(event: CommittedEvent): Html {
  return html`<tr>
<td>${time(event.changeSet.committedAt)}<div class="meta mono">${event.runId}</div></td>
<td><span class="badge ${event.severity}">${event.severity}</span></td><td>${event.type}</td>
<td class="mono" title="${event.subject.key}">${subjectName(event)}</td><td>${event.group ?? "-"}</td>
<td class="mono">${list(event.added)}</td><td class="mono">${list(event.removed)}</td>
<td>${event.reason}</td><td>${event.changeSet.state}</td>
</tr>`;
}

/** The change events committed in the period, newest first. */
export function eventsSection(report: AuditReport): Html {
  const shown = report.events.length;
  const count =
    shown === report.eventsTotal
      ? html`${shown} committed in the period`
      : html`the newest ${shown} of ${report.eventsTotal} committed in the period`;
  const body =
    shown === 0
      ? html`<p class="empty">no change event was committed in the period</p>`
      : html`<table><thead><tr><th>committed, run</th><th>severity</th><th>type</th><th>subject</th><th>group</th><th>added</th><th>removed</th><th>why</th><th>state</th></tr></thead>
<tbody>${report.events.map(eventRow)}</tbody></table>`;
  return html`<section id="events"><h2>Change events</h2><p class="meta">${count}</p>${body}</section>`;
}

function notificationRows(notification: PublishedNotification): Html[] {
  const messages =
    notification.messages.length === 0
      ? [{ part: 1, topicArn: "", messageId: "", subject: "", severity: notification.severity }]
      : notification.messages;
  return messages.map(
    (message) => html`<tr>
<td>${time(notification.publishedAt)}</td><td><span class="badge ${message.severity}">${message.severity}</span></td>
<td class="mono">${notification.subjectKey}</td><td>${message.subject || "-"}</td>
<td class="mono">${message.topicArn || "-"}</td><td class="mono">${message.messageId || "-"}</td>
<td>${message.part}</td><td class="mono">${list(notification.eventTypes)}</td><td>${notification.eventIds.length}</td>
</tr>`,
  );
}

/** The notifications published in the period, in publishing order: one row per SNS message. */
export function notificationsSection(report: AuditReport): Html {
  const note = report.notificationsTruncated
    ? html`<p class="meta">only the first ${report.notifications.length} are listed</p>`
    : html``;
  const body =
    report.notifications.length === 0
      ? html`<p class="empty">no notification was published in the period</p>`
      : html`<table><thead><tr><th>published</th><th>severity</th><th>subject key</th><th>e-mail subject</th><th>topic</th><th>SNS message id</th><th>part</th><th>event types</th><th>events</th></tr></thead>
<tbody>${report.notifications.flatMap(notificationRows)}</tbody></table>`;
  return html`<section id="notifications"><h2>Notifications published</h2>${note}${body}</section>`;
}

function feedRow(feed: FeedVersion): Html {
  const meta = feed.pointer?.meta;
  if (meta === undefined) {
    return html`<tr><td>${feed.feed}</td><td class="mono">${feed.url ?? "-"}</td><td colspan="6" class="empty">never read</td></tr>`;
  }
  const version = meta.syncToken !== undefined ? `syncToken ${meta.syncToken}` : "-";
  return html`<tr>
<td>${feed.feed}</td><td class="mono">${feed.url ?? meta.source}</td><td>${version}</td>
<td class="mono">${meta.sha256}</td><td>${time(meta.createDate?.replace(/^(\d{4}-\d{2}-\d{2})-(\d{2})-(\d{2})-(\d{2})$/, "$1T$2:$3:$4Z"))}</td>
<td>${time(meta.fetchedAt)}</td><td>${time(feed.pointer?.confirmedAt)}</td><td>${`${meta.prefixCount.v4} / ${meta.prefixCount.v6}`}</td>
</tr>`;
}

/** Each feed's current version. */
export function feedsSection(feeds: readonly FeedVersion[]): Html {
  return html`<section id="feeds"><h2>Feed versions</h2>
<table><thead><tr><th>feed</th><th>URL</th><th>version</th><th>sha256</th><th>published</th><th>fetched</th><th>last confirmed</th><th>prefixes v4 / v6</th></tr></thead>
<tbody>${join(feeds.map(feedRow))}</tbody></table></section>`;
}
