import type { DriftEvent } from "#shared/compare/drift-event";
import type { CommittedEvent } from "#shared/query/committed-events";
import { plural } from "./plural";

/** `driftwatch events` for people: one aligned line per event, its reason under it. */
export function formatEvents(
  events: readonly CommittedEvent[],
  total: number,
  where: string,
): string {
  if (events.length === 0) return `no committed change events in ${where}\n`;
  const shown = events.length < total ? `, the newest ${events.length} shown (--limit)` : "";
  const lines = [`${plural(total, "committed change event")}, newest first${shown}`, ""];
  const width = (field: (event: CommittedEvent) => string) =>
    Math.max(...events.map((event) => field(event).length));
  const group = (event: CommittedEvent) => event.group ?? "(no group)";
  const [typeWidth, groupWidth, subjectWidth] = [
    width((e) => e.type),
    width(group),
    width(subjectOf),
  ];
  for (const event of events) {
    const changes = [...event.added.map((ip) => `+${ip}`), ...event.removed.map((ip) => `-${ip}`)];
    lines.push(
      [
        event.changeSet.committedAt,
        event.severity.padEnd(6),
        event.type.padEnd(typeWidth),
        group(event).padEnd(groupWidth),
        subjectOf(event).padEnd(subjectWidth),
        event.changeSet.state.padEnd(10),
        changes.join(" "),
      ]
        .join("  ")
        .trimEnd(),
    );
    lines.push(`    ${event.reason}`);
  }
  return `${lines.join("\n")}\n`;
}

/** What an event is about, as people name it: the hostname, the pool, the feed, the document. */
export function subjectOf(event: DriftEvent): string {
  switch (event.subject.kind) {
    case "endpoint":
      return event.endpoint?.hostname ?? event.subject.endpointId;
    case "pool":
      return `pool ${event.subject.poolId}`;
    case "feed":
      return `feed ${event.subject.feed}`;
    case "document":
      return `document ${event.subject.catalogueId}`;
  }
}
