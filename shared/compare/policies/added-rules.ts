import type { Severity } from "../drift-event";
import { list, snapshotsOf, them } from "../wording";
import type { AddedFacts, EnteringIps } from "./policy";

/** The `ip-added` wording and severity several policies share. */

/** `Allow <ips> in <rule> for <hostname>` */
export function allowAdded({ added, rule, hostname }: AddedFacts): string {
  return `Allow ${list(added)} in ${rule} for ${hostname}`;
}

/** High when the rule covers none of them or one is outside the published ranges. */
export function severityOfAdded({ uncovered, outside }: EnteringIps): Severity {
  return outside.length > 0 || uncovered.length > 0 ? "high" : "medium";
}

/** `pinned`, `pool`: the file lists documented IPs only, held or not. */
export function documentedOnlyAction(facts: AddedFacts): string {
  return (
    `${allowAdded(facts)} once the vendor confirms the address, and add it to the catalogue: ` +
    `${facts.file} lists documented IPs only.`
  );
}

/** `rotating`, `hostname-only`: the file lists the observed set, unless it is held. */
export function observedSetAction(facts: AddedFacts): string {
  return (
    heldAddedAction(facts) ??
    `${allowAdded(facts)}, or point the rule at ${facts.file}, which already lists it.`
  );
}

/**
 * The action while the group's file is held (a feed it lists is unreadable), for the policies
 * whose file follows what is observed; null when the hold does not change the advice (not held,
 * or an IP outside every range, which no file lists).
 */
export function heldAddedAction(facts: AddedFacts): string | null {
  const { hold, added, file, endpoint } = facts;
  if (hold === undefined || facts.outside.length > 0) return null;
  const snapshots = snapshotsOf(hold.feeds);
  if (hold.keptAsWritten) {
    return (
      `${allowAdded(facts)} explicitly meanwhile: ${file} is kept as last written while ${snapshots} ` +
      `cannot be read, so it may not list ${them(added)}.`
    );
  }
  if (endpoint.feed !== undefined && hold.feeds.includes(endpoint.feed)) {
    return (
      `${allowAdded(facts)}, or point the rule at ${file}, which covers ${them(added)}: ` +
      `while ${snapshots} cannot be read it lists the last known published ranges plus the ` +
      "observed addresses outside them."
    );
  }
  return null;
}
