import type { HostObservation, ObservedIp, ResolverAnswer } from "#shared/domain/observation";
import type { When } from "#shared/query/when";
import { plural } from "./plural";

/** `driftwatch history` for people: the observation in effect at a time, or the runs. */

export function describeWhen(when: When): string {
  return when.day ? `${when.value} (the end of that UTC day)` : when.value;
}

export function formatObservationAt(observation: HostObservation, at: When): string {
  const lines = [`${observation.hostname} at ${describeWhen(at)}`];
  lines.push(
    `  in effect since run ${observation.runId} at ${observation.observedAt}: ${describeOutcome(observation)}`,
  );
  if (observation.consecutiveFailures > 0) {
    lines.push(
      "  (that run had no usable answer: the observed set is the one carried from the last good run; a failure removes nothing)",
    );
  }
  lines.push("", `observed set (${observation.active.length}):`);
  for (const ip of observation.active) lines.push(`  ${describeObservedIp(ip)}`);
  if (observation.active.length === 0) lines.push("  (empty)");
  lines.push("", `answers of that run (${plural(observation.answers.length, "resolver")}):`);
  for (const answer of observation.answers) lines.push(...describeAnswer(answer));
  if (observation.entered.length > 0) {
    lines.push("", `entered the observed set in that run: ${observation.entered.join(" ")}`);
  }
  if (observation.left.length > 0) {
    lines.push(
      "",
      `left the observed set in that run: ${observation.left.map((ip) => ip.ip).join(" ")}`,
    );
  }
  if (observation.suspicious.length > 0) {
    lines.push("", "suspicious answers (never added to the observed set):");
    for (const s of observation.suspicious) {
      lines.push(`  ${s.ip} (${s.range}) from ${s.resolver}`);
    }
  }
  if (observation.grace !== undefined) {
    lines.push(
      "",
      `an IP leaves the observed set after ${plural(observation.grace.runs, "successful run")} and ${plural(observation.grace.hours, "hour")} without it`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function describeOutcome(observation: HostObservation): string {
  if (observation.consecutiveFailures === 0) return observation.outcome;
  const only = observation.suspicious.length > 0 ? ", only suspicious answers" : "";
  return `${observation.outcome} (${plural(observation.consecutiveFailures, "failed run")} in a row${only})`;
}

function describeObservedIp(ip: ObservedIp): string {
  return [
    ip.ip.padEnd(16),
    ` first seen ${ip.firstSeen}`,
    `  last seen ${ip.lastSeen}`,
    `  seen ${ip.timesSeen}×`,
    `  via ${ip.resolvers.join(", ")}`,
  ].join("");
}

function describeAnswer(answer: ResolverAnswer): string[] {
  const records = [
    ...answer.a.map((r) => `A ${r.ip} (TTL ${r.ttl})`),
    ...answer.aaaa.map((r) => `AAAA ${r.ip} (TTL ${r.ttl})`),
  ];
  const samples =
    answer.samples !== undefined && answer.samples > 1 ? `, ${answer.samples} samples merged` : "";
  const lines = [`  ${answer.resolver}: ${answer.outcome}${samples}`];
  if (answer.cnameChain.length > 0) lines.push(`    CNAME ${answer.cnameChain.join(" → ")}`);
  for (const record of records) lines.push(`    ${record}`);
  if (answer.detail !== undefined) lines.push(`    ${answer.detail}`);
  return lines;
}

/**
 * `total`: the runs in the range, or null when there are more than `runs` (only the newest were
 * read, so they are not counted).
 */
export function formatHistory(
  hostname: string,
  runs: readonly HostObservation[],
  total: number | null,
): string {
  // Each line is a run that changed the hostname's state (a revision): the runs that only
  // confirmed it are not listed, and the state of a line holds until the next one.
  if (runs.length === 0) {
    return `${hostname}: no change in that range (the state before it held: driftwatch state --at)\n`;
  }
  const heading =
    total === null
      ? `the newest ${plural(runs.length, "change")}, newest first; older ones exist (--limit, --from, --to)`
      : `${plural(total, "change")}, newest first${runs.length < total ? `, the newest ${runs.length} shown (--limit, --from, --to)` : ""}`;
  const lines = [`${hostname}: ${heading}`, ""];
  const idWidth = Math.max(...runs.map((r) => r.runId.length));
  for (const run of runs) {
    const changes = [...run.entered.map((ip) => `+${ip}`), ...run.left.map((ip) => `-${ip.ip}`)];
    const notes = [
      changes.length > 0 ? changes.join(" ") : run.consecutiveFailures > 0 ? "" : "no change",
      ...run.suspicious.map((s) => `suspicious ${s.ip} (${s.range})`),
      `[${run.active.length} observed]`,
    ].filter((note) => note !== "");
    lines.push(
      `${run.observedAt}  ${run.runId.padEnd(idWidth)}  ${describeOutcome(run).padEnd(10)}  ${notes.join("  ")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
