import { describePorts } from "#shared/allowlists/build";
import type { DriftEvent, DriftEvidence, DriftSubject } from "#shared/compare/drift-event";
import { CHANGE_EVENT_TYPES, highestSeverity } from "#shared/compare/drift-event";
import { contentId } from "#shared/domain/canonical";
import type { ChangeSet } from "#shared/record/change-set";
import { NotificationTooLargeError } from "./errors";
import {
  type DriftNotification,
  NOTIFICATION_SCHEMA_VERSION,
  type NotificationEvent,
  type OutgoingNotification,
} from "./notification";
import { publishSize, SNS_MAX_PUBLISH_BYTES, toPublishInput } from "./sns-encoding";

export interface BuildOptions {
  /** Default: SNS's 256 KiB. Smaller in tests to exercise splitting. */
  maxBytes?: number;
}

/** Headroom for what the size estimate cannot see (request encoding differences). */
const SAFETY_BYTES = 1024;

/**
 * The messages of a change set: one when it fits under the SNS limit (counting the whole
 * `MessageStructure: json` publish: the escaped JSON, the e-mail text, the subject and the
 * attributes), otherwise parts that
 * share `changeSetId` and `sequence`. Events go whole into parts where they fit; an event too big
 * for one message is sliced by its added/removed items, each slice with the evidence of its own
 * items. A consumer reassembles by `changeSetId`, concatenating slices of an `eventId` in `slice`
 * order. Deterministic: the same change set gives the same bytes.
 */
export function buildNotifications(
  changeSet: ChangeSet,
  options: BuildOptions = {},
): OutgoingNotification[] {
  const limit = (options.maxBytes ?? SNS_MAX_PUBLISH_BYTES) - SAFETY_BYTES;
  const pieces: Piece[] = changeSet.events.map((event) => ({ event }));
  const parts = mergeAdjacent(splitToFit(changeSet, pieces, limit), changeSet, limit);
  const numbered = numberSlices(parts);
  const messages = numbered.map((events, index) =>
    render(changeSet, events, index + 1, numbered.length),
  );
  for (const message of messages) {
    const size = publishSize(toPublishInput("arn:aws:sns:::size", message));
    if (size > limit + SAFETY_BYTES) {
      throw new NotificationTooLargeError(changeSet.changeSetId, size, limit + SAFETY_BYTES);
    }
  }
  return messages;
}

// ------------------------------------------------------------------------------------ splitting

interface Piece {
  event: DriftEvent;
  /** A range over the event's items (added, then removed); the whole event when absent. */
  range?: { start: number; end: number };
}

function itemCount(event: DriftEvent): number {
  return event.added.length + event.removed.length;
}

function splitToFit(changeSet: ChangeSet, pieces: Piece[], limit: number): Piece[][] {
  if (pieces.length === 0) return [[]];
  if (fits(changeSet, pieces, limit)) return [pieces];
  if (pieces.length > 1) {
    const middle = Math.ceil(pieces.length / 2);
    return [
      ...splitToFit(changeSet, pieces.slice(0, middle), limit),
      ...splitToFit(changeSet, pieces.slice(middle), limit),
    ];
  }
  const [piece] = pieces as [Piece];
  const start = piece.range?.start ?? 0;
  const end = piece.range?.end ?? itemCount(piece.event);
  if (end - start <= 1) {
    const size = publishSize(
      toPublishInput(
        "arn:aws:sns:::size",
        render(changeSet, numberSlices([pieces])[0] ?? [], 1, 1),
      ),
    );
    throw new NotificationTooLargeError(changeSet.changeSetId, size, limit + SAFETY_BYTES);
  }
  const middle = start + Math.ceil((end - start) / 2);
  return [
    ...splitToFit(changeSet, [{ event: piece.event, range: { start, end: middle } }], limit),
    ...splitToFit(changeSet, [{ event: piece.event, range: { start: middle, end } }], limit),
  ];
}

/** Packs neighbouring parts together while they still fit (halving leaves parts half full). */
function mergeAdjacent(parts: Piece[][], changeSet: ChangeSet, limit: number): Piece[][] {
  const merged: Piece[][] = [];
  for (const part of parts) {
    const last = merged.at(-1);
    if (last !== undefined && fits(changeSet, [...last, ...part], limit)) {
      merged[merged.length - 1] = joinSlices([...last, ...part]);
    } else merged.push(part);
  }
  return merged;
}

/** Adjacent slices of the same event within one part become one slice. */
function joinSlices(pieces: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const piece of pieces) {
    const last = out.at(-1);
    if (
      last !== undefined &&
      last.event === piece.event &&
      last.range !== undefined &&
      piece.range !== undefined &&
      last.range.end === piece.range.start
    ) {
      const range = { start: last.range.start, end: piece.range.end };
      out[out.length - 1] =
        range.start === 0 && range.end === itemCount(piece.event)
          ? { event: piece.event }
          : { event: piece.event, range };
    } else out.push(piece);
  }
  return out;
}

function fits(changeSet: ChangeSet, pieces: Piece[], limit: number): boolean {
  // Worst-case numbering: the digits of the real numbers are never wider than these.
  const events = pieces.map((piece) =>
    materialise(piece, piece.range === undefined ? undefined : { index: 99999, count: 99999 }),
  );
  const message = render(changeSet, events, 99999, 99999);
  return publishSize(toPublishInput("arn:aws:sns:::size", message)) <= limit;
}

function numberSlices(parts: Piece[][]): NotificationEvent[][] {
  const totals = new Map<string, number>();
  for (const piece of parts.flat()) {
    if (piece.range !== undefined) {
      totals.set(piece.event.eventId, (totals.get(piece.event.eventId) ?? 0) + 1);
    }
  }
  const seen = new Map<string, number>();
  return parts.map((part) =>
    part.map((piece) => {
      if (piece.range === undefined) return materialise(piece);
      const index = (seen.get(piece.event.eventId) ?? 0) + 1;
      seen.set(piece.event.eventId, index);
      return materialise(piece, { index, count: totals.get(piece.event.eventId) ?? 1 });
    }),
  );
}

/** The event (or its slice, with the evidence of the slice's own addresses). */
function materialise(piece: Piece, slice?: { index: number; count: number }): NotificationEvent {
  const { event, range } = piece;
  if (range === undefined) return event;
  const addedCount = event.added.length;
  const added = event.added.slice(
    Math.min(range.start, addedCount),
    Math.min(range.end, addedCount),
  );
  const removed = event.removed.slice(
    Math.max(range.start - addedCount, 0),
    Math.max(range.end - addedCount, 0),
  );
  const mine = new Set([...added, ...removed]);
  return {
    ...event,
    added,
    removed,
    evidence: sliceEvidence(event.evidence, mine),
    ...(slice === undefined ? {} : { slice }),
  };
}

function sliceEvidence(evidence: DriftEvidence, mine: Set<string>): DriftEvidence {
  return {
    ...evidence,
    ...(evidence.ips === undefined ? {} : { ips: evidence.ips.filter((ip) => mine.has(ip.ip)) }),
    ...(evidence.prefixes === undefined
      ? {}
      : { prefixes: evidence.prefixes.filter((p) => mine.has(p.prefix)) }),
    ...(evidence.answers === undefined
      ? {}
      : {
          answers: evidence.answers.map((answer) => ({
            ...answer,
            records: answer.records.filter((record) => mine.has(record.ip)),
          })),
        }),
  };
}

// ------------------------------------------------------------------------------------ rendering

function render(
  changeSet: ChangeSet,
  events: NotificationEvent[],
  part: number,
  partCount: number,
): OutgoingNotification {
  const endpoints = events.flatMap((event) => event.endpoints);
  const eventTypes = CHANGE_EVENT_TYPES.filter((type) => events.some((e) => e.type === type));
  const severity = highestSeverity(events.map((e) => e.severity));
  const hostnames = [
    ...new Set(endpoints.flatMap((e) => (e.hostname === null ? [] : [e.hostname]))),
  ].sort();
  const ports = [...new Set(endpoints.flatMap((e) => e.ports.map((p) => p.port)))].sort(
    (a, b) => a - b,
  );
  const protocols = [...new Set(endpoints.flatMap((e) => e.ports.map((p) => p.protocol)))].sort();
  const group = changeSet.group;
  const summary = summarise(changeSet, events, hostnames);
  const body: DriftNotification = {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    eventId: contentId({ changeSetId: changeSet.changeSetId, part, partCount }),
    changeSetId: changeSet.changeSetId,
    part,
    partCount,
    sequence: changeSet.sequence,
    subject: changeSet.subject,
    catalogueId: changeSet.catalogueId,
    runId: changeSet.runId,
    detectedAt: changeSet.createdAt,
    severity,
    group,
    eventTypes,
    hostnames,
    ports,
    protocols,
    summary,
    allowlist:
      group === null ? null : { txt: `allowlists/${group}.txt`, json: `allowlists/${group}.json` },
    events,
  };
  return {
    body,
    emailSubject: emailSubject(body),
    emailText: emailText(body),
    attributes: {
      catalogue: changeSet.catalogueId,
      eventType: eventTypes,
      severity,
      ...(group === null ? {} : { group }),
      hostname: hostnames,
      port: ports,
      protocol: protocols,
    },
  };
}

function subjectName(subject: DriftSubject, hostnames: string[]): string {
  switch (subject.kind) {
    case "endpoint":
      return hostnames[0] ?? subject.endpointId;
    case "pool":
      return `pool ${subject.poolId}`;
    case "document":
      return `the vendor document of ${subject.catalogueId}`;
    default:
      return subject.feed === "cloudfront" ? "CloudFront list" : "AWS ip-ranges.json";
  }
}

function summarise(changeSet: ChangeSet, events: NotificationEvent[], hostnames: string[]): string {
  const name = subjectName(changeSet.subject, hostnames);
  const where = changeSet.group === null ? name : `${name} (${changeSet.group})`;
  const what = events
    .map((event) => {
      const items = [...event.added.map((a) => `+${a}`), ...event.removed.map((r) => `-${r}`)];
      const shown = items.slice(0, 3).join(" ");
      const more = items.length > 3 ? ` and ${items.length - 3} more` : "";
      return items.length === 0 ? event.type : `${event.type} ${shown}${more}`;
    })
    .join("; ");
  return `${where}: ${what}`;
}

function emailSubject(body: DriftNotification): string {
  const types = body.eventTypes.join(", ");
  const name = subjectName(body.subject, body.hostnames);
  const part = body.partCount > 1 ? ` [${body.part}/${body.partCount}]` : "";
  const text = `driftwatch ${body.severity.toUpperCase()}: ${types} - ${name}${part}`;
  // SNS e-mail subjects: ASCII, no line breaks, at most 100 characters.
  const ascii = text.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

const EMAIL_LIST_MAX = 20;

function emailList(items: readonly string[]): string {
  const shown = items.slice(0, EMAIL_LIST_MAX).join(", ");
  return items.length > EMAIL_LIST_MAX
    ? `${shown} and ${items.length - EMAIL_LIST_MAX} more`
    : shown;
}

/** The text diff of a vendor-document-changed event, indented, at most 60 lines. */
function emailDiff(document: NonNullable<DriftEvidence["document"]>): string[] {
  const lines = document.diff.trimEnd().split("\n");
  const shown = lines.slice(0, 60).map((line) => `   | ${line}`);
  if (lines.length > 60) shown.push(`   | … ${lines.length - 60} more lines in the JSON message`);
  return [`   Diff (+${document.linesAdded} -${document.linesRemoved} lines):`, ...shown];
}

function emailText(body: DriftNotification): string {
  const name = subjectName(body.subject, body.hostnames);
  const changes = body.events.length === 1 ? "1 change" : `${body.events.length} changes`;
  const lines = [
    `driftwatch: ${changes} for ${name}${body.group === null ? "" : ` in firewall group ${body.group}`}` +
      ` (severity ${body.severity}).`,
    "",
  ];
  body.events.forEach((event, i) => {
    const ports = describePorts(event.endpoints.flatMap((e) => e.ports));
    const slice =
      event.slice === undefined ? "" : ` (slice ${event.slice.index} of ${event.slice.count})`;
    lines.push(`${i + 1}. ${event.type}, ${event.severity}${slice}`);
    lines.push(`   What changed: ${event.reason}`);
    if (event.added.length > 0) {
      lines.push(`   Rule to add: allow ${emailList(event.added)}${ports ? ` on ${ports}` : ""}`);
    }
    if (event.removed.length > 0) {
      lines.push(`   Rule to remove: ${emailList(event.removed)}${ports ? ` on ${ports}` : ""}`);
    }
    lines.push(`   Action: ${event.action}`);
    if (event.evidence.document !== undefined) lines.push(...emailDiff(event.evidence.document));
    for (const warning of event.warnings) lines.push(`   Warning: ${warning.message}`);
    lines.push("");
  });
  if (body.allowlist !== null) {
    lines.push(`Allowlist files: ${body.allowlist.txt} (EDL) and ${body.allowlist.json}.`);
  }
  lines.push(
    `Change set ${body.changeSetId.slice(0, 12)}, sequence ${body.sequence} of ${body.subject.key}, ` +
      `run ${body.runId}${body.partCount > 1 ? `, part ${body.part} of ${body.partCount}` : ""}.`,
  );
  return lines.join("\n");
}
