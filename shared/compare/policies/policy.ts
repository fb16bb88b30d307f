import type { HeldGroup } from "#shared/allowlists/held";
import type { ListingPolicy } from "#shared/allowlists/listing-policies";
import type { Endpoint, ExpectationPolicy } from "#shared/catalogue/schema";
import type { FeedId, FeedPrefix, RangeMatcher } from "#shared/domain/feed";
import type { Severity } from "../drift-event";

/**
 * One expectation policy (shared/catalogue/schema.ts) as the verdicts judge it: one object per
 * policy (this folder), collected in `POLICY_TABLE`. What it lists in its group's allowlist is
 * the allowlists' part (`ListingPolicy`); the rest decides the endpoint verdicts.
 */
export interface Policy extends ListingPolicy {
  readonly name: ExpectationPolicy;
  /** How an IP entering the observed set, neither documented nor retired, is judged. */
  classifyEntering(ip: string, subject: PolicySubject): EnteringClass;
  /** What an IP leaving the observed set, not documented, means for the rule. */
  classifyLeaving(ip: string, subject: PolicySubject): LeavingClass;
  /**
   * The allowlist lists the published prefixes of the regions where the endpoint's IPs are: an
   * IP entering or leaving can bring a region's prefixes into the file or take them out, which
   * `ip-added` and `ip-removed` report.
   */
  readonly followsPublishedRegions: boolean;
  addedSeverity(entering: EnteringIps): Severity;
  readonly removedSeverity: Severity;
  /** The `ip-added` reason. */
  addedReason(added: AddedFacts): string;
  /** The `ip-added` action. */
  addedAction(added: AddedFacts): string;
}

/** What a policy decides an IP on. */
export interface PolicySubject {
  endpoint: Pick<Endpoint, "feed">;
  matchers: ReadonlyMap<FeedId, RangeMatcher>;
  /** Nothing was in the observed set before this run: every active IP entered now. */
  firstSighting: boolean;
}

/**
 * - `uncovered`: the rule does not cover it (drift for a person to judge).
 * - `outside`: outside every range the policy's feed publishes (the hijack signal).
 * - `unjudged`: no feed snapshot can judge it.
 * - `inside`: inside a published range.
 * - `expected`: nothing to report (the first sighting of a name whose allowlist is its observed
 *   set is the baseline it starts from; a port-only rule allows any address).
 */
export type EnteringClass = "uncovered" | "outside" | "unjudged" | "inside" | "expected";

/**
 * - `removed`: its allow rule may be retired.
 * - `covered`: a published range covers it either way (unless its region leaves the file).
 * - `unknown`: no snapshot tells whether a range covers it: no removal is reported on a guess.
 */
export type LeavingClass = "removed" | "covered" | "unknown";

/** The IPs entering the observed set in this run, by how they are judged (each sorted). */
export interface EnteringIps {
  retired: string[];
  uncovered: string[];
  outside: string[];
  unjudged: string[];
  inside: string[];
}

/** Entering IPs that bring new published prefixes into an aws-ip-ranges endpoint's allowlist. */
export interface Widening {
  ips: string[];
  prefixes: FeedPrefix[];
}

/** What an `ip-added` reason and action say. */
export interface AddedFacts {
  endpoint: Pick<Endpoint, "feed" | "pool">;
  hostname: string;
  /** Every IP the event adds. */
  added: string[];
  outside: string[];
  unjudged: string[];
  widening: Widening;
  /** `CloudFront`, `AWS ip-ranges.json` */
  feedName: string;
  /** `firewall rule <group> (<ports>)` */
  rule: string;
  /** `allowlists/<group>.txt` */
  file: string;
  /** The group's hold this run, when a feed it relies on is unreadable. */
  hold: HeldGroup | undefined;
}
