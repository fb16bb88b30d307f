import type { DriftEventType } from "#shared/compare/drift-event";
import type { Delivery } from "./subscribers";

/**
 * Text for the demo: notifications as their subscribers see them (abridged), allowlist excerpts,
 * the closing summary. Pure string building.
 */

const HEX_ID = /^[0-9a-f]{64}$/;
const WIDTH = 100;

/**
 * The notification JSON with ids shortened and, per event, what the message already says
 * (subject, run, group) and the bulky parts (evidence, endpoints, action) left out.
 */
export function abridgeNotification(notification: Record<string, unknown>): unknown {
  const { part, partCount, catalogueId, events, ...rest } = notification;
  return shorten({
    ...rest,
    ...(partCount !== 1 ? { part, partCount } : {}),
    events: (Array.isArray(events) ? events : []).map((event: Record<string, unknown>) => {
      const { eventId, type, severity, added, removed, reason, warnings, evidence } = event;
      const keys = evidence !== null && typeof evidence === "object" ? Object.keys(evidence) : [];
      return {
        eventId,
        type,
        severity,
        added,
        removed,
        reason: typeof reason === "string" ? clip(reason, 90) : reason,
        ...(Array.isArray(warnings) && warnings.length > 0
          ? { warnings: `${warnings.length} allowlist-size warning(s)` }
          : {}),
        evidence: `{${keys.join(", ")}} omitted`,
      };
    }),
  });
}

function shorten(value: unknown): unknown {
  if (typeof value === "string") return HEX_ID.test(value) ? `${value.slice(0, 12)}…` : value;
  if (Array.isArray(value)) return value.map(shorten);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v)]));
  }
  return value;
}

/** JSON with two-space indentation, short arrays and objects of scalars kept on one line. */
export function compactJson(value: unknown, indent = "", width = WIDTH - 10): string {
  const inline = inlineJson(value);
  if (value === null || typeof value !== "object") return inline;
  if (indent.length + inline.length <= width) return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => `${inner}${compactJson(v, inner)}`).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value).map(
    ([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`,
  );
  return `{\n${entries.join(",\n")}\n${indent}}`;
}

function inlineJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inlineJson).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inlineJson(v)}`);
    return `{${entries.join(", ")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function indentLines(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => `${prefix}${line}`.trimEnd())
    .join("\n");
}

/** An e-mail as the inbox subscriber reads it. */
export function renderEmail(delivery: Delivery): string {
  const email = delivery.email;
  if (email === undefined) return `  (JSON only) ${delivery.notification.summary}`;
  return [`  Subject: ${email.subject}`, indentLines(email.text.trimEnd(), "  | ")].join("\n");
}

/**
 * An EDL file as a firewall reads it: the header, then the entries this version added (marked)
 * and those it dropped; for a new file, its first entries.
 */
export function renderAllowlistExcerpt(
  key: string,
  text: string,
  previous: string | undefined,
  maxEntries = 4,
): string {
  const lines = text.trimEnd().split("\n");
  const header = lines.filter((line) => line.startsWith("#"));
  const entries = lines.filter((line) => line !== "" && !line.startsWith("#"));
  if (previous === undefined) {
    return [
      `  ${key}  (new, ${entries.length} ${entries.length === 1 ? "entry" : "entries"})`,
      ...header.map((line) => `    ${clip(line)}`),
      ...entries.slice(0, maxEntries).map((line) => `    ${line}`),
      ...(entries.length > maxEntries ? [`    … ${entries.length - maxEntries} more`] : []),
    ].join("\n");
  }
  const before = new Set(previous.split("\n").filter((l) => l !== "" && !l.startsWith("#")));
  const now = new Set(entries);
  const added = entries.filter((entry) => !before.has(entry));
  const removed = [...before].filter((entry) => !now.has(entry));
  const changes = [
    ...added.slice(0, maxEntries).map((entry) => `  + ${entry}`),
    ...(added.length > maxEntries ? [`  + … ${added.length - maxEntries} more`] : []),
    ...removed.slice(0, maxEntries).map((entry) => `  - ${entry}`),
    ...(removed.length > maxEntries ? [`  - … ${removed.length - maxEntries} more`] : []),
  ];
  const unchanged = entries.length - added.length;
  return [
    `  ${key}  (+${added.length} -${removed.length})`,
    ...header.map((line) => `    ${clip(line)}`),
    ...changes.map((line) => `  ${line}`),
    `      (${unchanged} other ${unchanged === 1 ? "entry" : "entries"} unchanged)`,
  ].join("\n");
}

export function clip(line: string, width = WIDTH): string {
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

/** Wraps `text` at `width` columns; every line starts with `indent`, continuations two further. */
export function wrap(text: string, indent: string, width = 100): string {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(" ")) {
    if (line.trim() !== "" && line.length + word.length + 1 > width) {
      lines.push(line);
      line = `${indent}  ${word}`;
    } else line = line.trim() === "" ? `${indent}${word}` : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join("\n");
}

export interface VerdictSighting {
  type: DriftEventType;
  /** Runs whose report had an event of the type. */
  reportedIn: number[];
  /** Runs that committed and notified a new event of the type. */
  notifiedIn: number[];
  example: string;
}

/** The closing table: each verdict type, the runs that showed it, an example. */
export function renderVerdictTable(sightings: readonly VerdictSighting[]): string {
  const rows = sightings.map((s) => [
    s.type,
    s.notifiedIn.length > 0 ? runs(s.notifiedIn) : "-",
    s.reportedIn.length > 0 ? runs(s.reportedIn) : "NOT SEEN",
    s.example,
  ]);
  return table(["VERDICT", "NOTIFIED IN", "REPORTED IN", "EXAMPLE"], rows);
}

function runs(numbers: readonly number[]): string {
  return numbers.map((n) => `${n}`).join(",");
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `  ${cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
