import { buildAllowlists, describePorts, type GroupAllowlist } from "#shared/allowlists/build";
import {
  describeRelevance,
  endpointFeedRelevance,
  type FeedRelevance,
  feedRelevanceOfIps,
  isPrefixRelevantToAny,
  prefixChangesRelevantToAny,
  publishedRangesOf,
} from "#shared/allowlists/feed-relevance";
import { type HeldGroup, holdAllowlists } from "#shared/allowlists/held";
import {
  type AllowlistLimits,
  type AllowlistWarning,
  DEFAULT_ALLOWLIST_LIMITS,
  fqdnWarnings,
  securityGroupWarnings,
} from "#shared/allowlists/limits";
import { LISTING_POLICIES } from "#shared/allowlists/listing-policies";
import {
  type FeedWithdrawal,
  feedWithdrawalsOf,
  strandedIps,
  withWithdrawn,
} from "#shared/allowlists/stranded";
import type { WrittenAllowlist } from "#shared/allowlists/written-allowlist";
import type { Catalogue, Endpoint, Pool, RetiredIp } from "#shared/catalogue/schema";
import type {
  FeedId,
  FeedIngestResult,
  FeedPrefix,
  FeedSnapshotMeta,
  RangeMatcher,
} from "#shared/domain/feed";
import {
  FAILURE_OUTCOMES,
  type HostObservation,
  type ObservedIp,
} from "#shared/domain/observation";
import { feedPrefixKey } from "#shared/observe/feeds/snapshot";
import { sortAddresses } from "../domain/addresses";
import { contentId } from "../domain/canonical";
import type {
  AnswerEvidence,
  DriftEvent,
  DriftEventType,
  DriftEvidence,
  DriftSubject,
  EndpointRef,
  FeedEvidence,
  IpEvidence,
  Severity,
} from "./drift-event";
import { severityRank } from "./drift-event";

/**
 * The verdict engine: what was observed (DNS state per hostname, feed snapshots and diffs),
 * judged by each endpoint's expectation policy. Pure: time is `now`, identity is `runId`.
 *
 * 1. Per endpoint with a hostname: IPs that entered the observed set in this run are judged by
 *    the policy (ip-added, ip-outside-published-ranges, retired-ip-seen), IPs that left by it
 *    (ip-removed), and the run itself (resolution-failed, suspicious-answer).
 * 2. Documented IPs no answer has used for the grace period: per endpoint for its own IPs, per
 *    pool and group for pool IPs (documented-ip-unused).
 * 3. Per feed and group: relevant prefix changes (feed-ranges-changed) and rejected downloads
 *    (feed-rejected).
 *
 * Event ids hash the canonical change and what caused it: the run for changes that happen once
 * (an IP entering or leaving), a stable marker for standing conditions (the last sighting of an
 * unused IP, the last success before a failure streak, the snapshot pair of a feed diff) so a
 * condition that persists over many runs keeps its id and is notified once.
 */
export interface DriftOptions {
  /** Consecutive failed runs before `resolution-failed` is raised. */
  failureThreshold: number;
  /** How long a documented IP may go unserved before `documented-ip-unused`. */
  unusedGrace: { hours: number };
  /** Firewall limits for the allowlist-size warnings (defaults: 32 per FQDN object, 60 rules). */
  limits?: Partial<AllowlistLimits>;
}

export interface DriftFeeds {
  results: readonly FeedIngestResult[];
  /** The current snapshot's matcher per feed (the last good one when a fetch failed). */
  matchers: ReadonlyMap<FeedId, RangeMatcher>;
  /**
   * Feeds with a stored snapshot that cannot be read back this run (its archived object is
   * missing or corrupt): they have no matcher, and the allowlists that list their ranges keep
   * what was last written rather than shrink to the observed IPs.
   */
  unreadable?: readonly FeedId[];
}

export interface DriftInput {
  catalogue: Catalogue;
  observations: readonly HostObservation[];
  feeds: DriftFeeds;
  now: Date;
  runId: string;
  options: DriftOptions;
  /**
   * The last written allowlist document of each group relying on an unreadable feed
   * (`readWrittenAllowlists`): such a group's allowlist keeps that feed's last known prefixes.
   * A held group without one is kept as last written. The actions say which. Also those of the
   * groups with feed endpoints: IPs a feed withdrawal stranded stay listed while observed.
   */
  writtenAllowlists?: ReadonlyMap<string, WrittenAllowlist>;
}

const HOUR_MS = 3_600_000;
const NOTHING_TO_JUDGE = new Set<Endpoint["policy"]>(["any-destination", "internal"]);

/** Evaluates one run. Events come sorted by subject, severity, type and id. */
export function evaluateDrift(input: DriftInput): DriftEvent[] {
  const context = createContext(input);
  const events: DriftEvent[] = [];
  for (const endpoint of input.catalogue.endpoints) {
    if (NOTHING_TO_JUDGE.has(endpoint.policy) || endpoint.hostname === null) continue;
    const observation = context.observations.get(endpoint.hostname);
    if (observation === undefined) continue;
    events.push(...judgeEndpoint(context, endpoint, observation));
  }
  events.push(...judgePools(context));
  events.push(...judgeFeeds(context));
  return events.sort(
    (a, b) =>
      compareText(a.subject.key, b.subject.key) ||
      severityRank(a.severity) - severityRank(b.severity) ||
      compareText(a.type, b.type) ||
      compareText(a.eventId, b.eventId),
  );
}

interface Context {
  input: DriftInput;
  detectedAt: string;
  observations: Map<string, HostObservation>;
  pools: Map<string, Pool>;
  allowlists: Map<string, GroupAllowlist>;
  /** Groups whose allowlist is held this run because a feed they rely on is unreadable. */
  held: Map<string, HeldGroup>;
  limits: AllowlistLimits;
  /** Per feed whose change in this run withdrew prefixes (`feedWithdrawalsOf`). */
  feedChanges: Map<FeedId, FeedWithdrawal>;
}

function createContext(input: DriftInput): Context {
  const feedChanges = feedWithdrawalsOf(input.feeds);
  const { allowlists, held } = holdAllowlists(
    buildAllowlists({
      catalogue: input.catalogue,
      observations: input.observations,
      matchers: input.feeds.matchers,
      withdrawals: feedChanges,
      written: input.writtenAllowlists ?? new Map(),
    }),
    {
      catalogue: input.catalogue,
      unreadable: input.feeds.unreadable,
      written: input.writtenAllowlists ?? new Map(),
    },
  );
  return {
    input,
    detectedAt: input.now.toISOString(),
    observations: new Map(input.observations.map((o) => [o.hostname, o])),
    pools: new Map(input.catalogue.pools.map((pool) => [pool.id, pool])),
    allowlists: new Map(allowlists.map((list) => [list.group, list])),
    held,
    limits: { ...DEFAULT_ALLOWLIST_LIMITS, ...input.options.limits },
    feedChanges,
  };
}

export function endpointRef(endpoint: Endpoint): EndpointRef {
  return {
    id: endpoint.id,
    hostname: endpoint.hostname,
    group: endpoint.group,
    service: endpoint.service,
    policy: endpoint.policy,
    ports: endpoint.ports.map((p) => ({
      protocol: p.protocol,
      port: p.port,
      direction: p.direction,
    })),
  };
}

export function endpointSubjectKey(endpointId: string): string {
  return `endpoint:${endpointId}`;
}

interface EventDraft {
  type: DriftEventType;
  severity: Severity;
  added?: string[];
  removed?: string[];
  evidence: DriftEvidence;
  reason: string;
  action: string;
  warnings?: AllowlistWarning[];
  /** What caused the change, hashed into the id with the type, subject and addresses. */
  cause: unknown;
}

function makeEvent(
  context: Context,
  subject: DriftSubject,
  group: string | null,
  endpoints: EndpointRef[],
  draft: EventDraft,
): DriftEvent {
  const added = sortAddresses(draft.added ?? []);
  const removed = sortAddresses(draft.removed ?? []);
  const eventId = contentId({
    v: 1,
    type: draft.type,
    subject: subject.key,
    added,
    removed,
    cause: draft.cause,
  });
  return {
    eventId,
    type: draft.type,
    severity: draft.severity,
    runId: context.input.runId,
    detectedAt: context.detectedAt,
    subject,
    group,
    endpoint: subject.kind === "endpoint" ? (endpoints[0] ?? null) : null,
    endpoints,
    added,
    removed,
    evidence: draft.evidence,
    reason: draft.reason,
    action: draft.action,
    warnings: draft.warnings ?? [],
  };
}

// ------------------------------------------------------------------------------------ endpoints

/** A failure reason with its variable parts (numbers, hex digests, URLs' queries) masked. */
function reasonKind(reason: string | undefined): string | null {
  if (reason === undefined) return null;
  return reason.replace(/\b[0-9a-f]{8,}\b/gi, "#").replace(/\d+/g, "#");
}

/** A feed error's reason without its "feed <id> rejected: " lead, which the sentence already says. */
function withoutFeedPrefix(reason: string | undefined): string {
  return (reason ?? "no reason given").replace(/^feed \S+ (rejected|unreachable): /, "");
}

/** Nothing was in the observed set before this run: every active IP entered now. */
function isFirstSighting(observation: HostObservation): boolean {
  const entered = new Set(observation.entered);
  return (
    observation.departed.length === 0 &&
    observation.left.length === 0 &&
    observation.active.every((ip) => entered.has(ip.ip))
  );
}

function judgeEndpoint(
  context: Context,
  endpoint: Endpoint,
  observation: HostObservation,
): DriftEvent[] {
  const hostname = observation.hostname;
  const ref = endpointRef(endpoint);
  const subject: DriftSubject = {
    kind: "endpoint",
    key: endpointSubjectKey(endpoint.id),
    endpointId: endpoint.id,
  };
  const emit = (draft: EventDraft) => makeEvent(context, subject, endpoint.group, [ref], draft);
  const pool = endpoint.pool === undefined ? undefined : context.pools.get(endpoint.pool);
  const documented = new Set([...endpoint.ips, ...(pool?.ips ?? [])]);
  const retired = new Map<string, RetiredIp>();
  for (const entry of [...endpoint.retiredIps, ...(pool?.retiredIps ?? [])]) {
    if (!documented.has(entry.ip)) retired.set(entry.ip, entry);
  }
  const matcher =
    endpoint.feed === undefined ? undefined : context.input.feeds.matchers.get(endpoint.feed);
  const feedName = endpoint.feed === "cloudfront" ? "CloudFront" : "AWS ip-ranges.json";
  const rule = `firewall rule ${endpoint.group} (${describePorts(endpoint.ports)})`;
  const known = new Map<string, ObservedIp>();
  for (const ip of [...observation.departed, ...observation.left, ...observation.active]) {
    known.set(ip.ip, ip);
  }
  const ttls = lowestTtls(observation);
  const answers = answerEvidence(observation);
  const ipEvidence = (ip: string, withRanges = false): IpEvidence => {
    const seen = known.get(ip);
    const published = withRanges
      ? publishedRangesOf(endpoint, ip, context.input.feeds.matchers)?.map((p) => ({
          prefix: p.prefix,
          service: p.service,
          region: p.region,
        }))
      : undefined;
    return {
      ip,
      ...(seen === undefined
        ? {}
        : {
            firstSeen: seen.firstSeen,
            lastSeen: seen.lastSeen,
            timesSeen: seen.timesSeen,
            resolvers: seen.resolvers,
            ...(seen.leftAt === undefined ? {} : { leftAt: seen.leftAt }),
          }),
      ...(ttls.has(ip) ? { ttl: ttls.get(ip) } : {}),
      ...(published === undefined ? {} : { publishedIn: published }),
    };
  };
  const runEvidence = (ips: string[], withRanges = false): DriftEvidence => ({
    observedAt: observation.observedAt,
    outcome: observation.outcome,
    ips: ips.map((ip) => ipEvidence(ip, withRanges)),
    answers,
  });
  const growthWarnings = (): AllowlistWarning[] => {
    const allowlist = context.allowlists.get(endpoint.group);
    return [
      ...fqdnWarnings(observation, context.limits),
      ...(allowlist === undefined ? [] : securityGroupWarnings(allowlist, context.limits)),
    ];
  };
  const events: DriftEvent[] = [];

  // 1. IPs that entered the observed set in this run.
  const retiredSeen: string[] = [];
  const uncovered: string[] = [];
  const outside: string[] = [];
  const unjudged: string[] = [];
  const insideRanges: string[] = [];
  // The first sighting of a name whose allowlist is its observed set (rotating, hostname-only)
  // is the baseline that list starts from, not drift: the rule is by hostname until then.
  const baseline =
    (endpoint.policy === "rotating" || endpoint.policy === "hostname-only") &&
    isFirstSighting(observation);
  for (const ip of sortAddresses(observation.entered)) {
    if (retired.has(ip)) retiredSeen.push(ip);
    else if (documented.has(ip)) continue;
    else if (endpoint.policy === "cloudfront" || endpoint.policy === "aws-ip-ranges") {
      const ranges = publishedRangesOf(endpoint, ip, context.input.feeds.matchers);
      if (ranges === undefined) unjudged.push(ip);
      else if (ranges.length === 0) outside.push(ip);
      else insideRanges.push(ip);
    } else if (!baseline) uncovered.push(ip);
  }
  // An aws-ip-ranges endpoint's allowlist follows the regions where its IPs are published: IPs
  // that enter or leave may bring a region's prefixes into the file or take them out. Either
  // change of the file is reported (ip-added below, ip-removed in 2.).
  const relevanceChange = relevanceChangeOf(context, endpoint, observation);
  // Only the IPs that bring entering prefixes: one in a region already listed changes nothing.
  const enteringPrefixes = relevanceChange?.entering ?? [];
  const widening =
    enteringPrefixes.length === 0 || matcher === undefined
      ? []
      : insideRanges.filter((ip) => {
          const relevance = feedRelevanceOfIps(endpoint, [ip], matcher);
          return (
            relevance !== null &&
            enteringPrefixes.some((prefix) => isPrefixRelevantToAny(prefix, [relevance]))
          );
        });

  if (retiredSeen.length > 0) {
    const entries = retiredSeen.map((ip) => retired.get(ip)).filter((e) => e !== undefined);
    events.push(
      emit({
        type: "retired-ip-seen",
        severity: "high",
        added: retiredSeen,
        evidence: { ...runEvidence(retiredSeen), retired: entries },
        reason:
          `${list(retiredSeen)} ${verb(retiredSeen, "serves", "serve")} ${hostname} again although ` +
          `the vendor retired ${retiredSeen.length === 1 ? "it" : "them"} ` +
          `(${entries.map((e) => `${e.ip} on ${e.retiredOn}`).join(", ")}).`,
        action:
          `Allow ${list(retiredSeen)} in ${rule} only after confirming with the vendor that the ` +
          "retired address is in service again; until then treat the answer as suspect.",
        warnings: growthWarnings(),
        cause: { run: context.input.runId },
      }),
    );
  }

  if (outside.length > 0) {
    events.push(
      emit({
        type: "ip-outside-published-ranges",
        severity: "high",
        added: outside,
        evidence: {
          ...runEvidence(outside, true),
          feed: feedEvidence(context, endpoint.feed, matcher),
        },
        reason:
          `${hostname} resolves to ${list(outside)}, outside every range ${feedName} publishes ` +
          `(snapshot ${shortHash(matcher?.meta.sha256)}); policy ${endpoint.policy} expects it inside.`,
        action:
          `Check the DNS answer (a non-${feedName} origin, or a hijack); allow ` +
          `${list(outside)} in ${rule} explicitly if genuine: neither the published-range rule ` +
          `nor allowlists/${endpoint.group}.txt covers ${outside.length === 1 ? "it" : "them"}.`,
        cause: { run: context.input.runId },
      }),
    );
  }

  const added = [...uncovered, ...outside, ...unjudged, ...widening];
  const entering: Widening = {
    ips: widening,
    prefixes: widening.length === 0 ? [] : (relevanceChange?.entering ?? []),
  };
  if (added.length > 0) {
    const severity: Severity =
      endpoint.policy === "rotating"
        ? "medium"
        : outside.length > 0 || uncovered.length > 0
          ? "high"
          : "medium";
    events.push(
      emit({
        type: "ip-added",
        severity,
        added,
        evidence: {
          ...runEvidence(added, matcher !== undefined),
          ...(endpoint.feed === undefined
            ? {}
            : { feed: feedEvidence(context, endpoint.feed, matcher) }),
          ...(entering.prefixes.length === 0
            ? {}
            : {
                prefixes: entering.prefixes.map((p) => ({ ...prefixFields(p), change: "added" })),
              }),
        },
        reason: addedReason(endpoint, hostname, added, outside, unjudged, feedName, entering),
        action: addedAction(
          endpoint,
          hostname,
          added,
          outside,
          unjudged,
          rule,
          context.held,
          entering,
        ),
        warnings: growthWarnings(),
        cause: { run: context.input.runId },
      }),
    );
  }

  // 1b. Standing IPs that a feed change of this run left outside every published range: the
  // range rule no longer covers them (the allowlist lists them explicitly). Keyed by the
  // snapshot pair, so the condition is notified once.
  const stranded = strandedOf(context, endpoint, observation, documented);
  if (stranded.ips.length > 0) {
    const ips = stranded.ips;
    const withdrawn = sortAddresses([...new Set(stranded.withdrawn.map((p) => p.prefix))]);
    const file = `allowlists/${endpoint.group}.txt`;
    events.push(
      emit({
        type: "ip-outside-published-ranges",
        severity: "high",
        added: ips,
        evidence: {
          ...runEvidence(ips, true),
          feed: feedEvidence(context, endpoint.feed, matcher),
          prefixes: stranded.withdrawn.map((p) => ({ ...prefixFields(p), change: "removed" })),
        },
        reason:
          `${hostname} still resolves to ${list(ips)}, but the ${feedName} no longer publishes ` +
          `${ips.length === 1 ? "it" : "them"} in any range (${stranded.changes}: withdrew ` +
          `${list(withdrawn)}); policy ${endpoint.policy} expects ${ips.length === 1 ? "it" : "them"} inside.`,
        action:
          `Check the feed and the DNS answer; the published-range rule no longer covers ` +
          `${list(ips)}: allow ${ips.length === 1 ? "it" : "them"} explicitly in ${rule}, or point ` +
          `the rule at ${file}, which lists ${ips.length === 1 ? "it" : "them"} explicitly.`,
        cause: { feeds: stranded.cause },
      }),
    );
  }

  // 2. IPs that left the observed set (absent for the whole grace period) in this run.
  const removed: string[] = [];
  const leftInsideRanges: string[] = [];
  for (const gone of observation.left) {
    if (documented.has(gone.ip)) continue; // documented-ip-unused speaks for those, later
    if (endpoint.policy === "cloudfront" || endpoint.policy === "aws-ip-ranges") {
      const ranges = publishedRangesOf(endpoint, gone.ip, context.input.feeds.matchers);
      // Inside a published range, the range rule covers it either way, unless the endpoint's
      // relevance shrinks with it (below). Without a snapshot (none yet, or unreadable) coverage
      // is unknown: no removal is reported on a guess.
      if (ranges === undefined) continue;
      if (ranges.length > 0) {
        leftInsideRanges.push(gone.ip);
        continue;
      }
    }
    removed.push(gone.ip);
  }
  const shrinking = relevanceChange?.leaving ?? [];
  if (shrinking.length > 0) removed.push(...leftInsideRanges);
  if (removed.length > 0) {
    const sorted = sortAddresses(removed);
    const prefixes = sortAddresses([...new Set(shrinking.map((p) => p.prefix))]);
    const file = `allowlists/${endpoint.group}.txt`;
    events.push(
      emit({
        type: "ip-removed",
        severity: endpoint.policy === "hostname-only" ? "medium" : "low",
        removed: sorted,
        evidence: {
          ...runEvidence(sorted, shrinking.length > 0),
          ...(shrinking.length === 0
            ? {}
            : {
                feed: feedEvidence(context, endpoint.feed, matcher),
                prefixes: shrinking.map((p) => ({ ...prefixFields(p), change: "removed" })),
              }),
        },
        reason:
          `${list(sorted)} no longer ${verb(sorted, "serves", "serve")} ${hostname}: absent from ` +
          `every successful answer for the grace period${graceText(observation)}` +
          (shrinking.length === 0
            ? "."
            : `; none of its IPs is published in ${describePrefixes(shrinking)} any more.`),
        action:
          `The allow rule for ${list(sorted)} in ${rule} may be retired.` +
          (shrinking.length === 0
            ? ""
            : ` ${file} no longer lists the ${count(prefixes, "prefix", "prefixes")} of ` +
              `${describePrefixes(shrinking)} (${list(prefixes)}); retire ${prefixes.length === 1 ? "it" : "them"} ` +
              "in the rule too if it does not read the file."),
        cause: { run: context.input.runId },
      }),
    );
  }

  // 3. Private or reserved answers (they never enter the observed set).
  if (observation.suspicious.length > 0) {
    const suspicious = [...observation.suspicious].sort(
      (a, b) => compareText(a.ip, b.ip) || compareText(a.resolver, b.resolver),
    );
    const ips = sortAddresses(suspicious.map((s) => s.ip));
    const resolvers = [...new Set(suspicious.map((s) => s.resolver))].sort();
    events.push(
      emit({
        type: "suspicious-answer",
        severity: "high",
        evidence: {
          observedAt: observation.observedAt,
          outcome: observation.outcome,
          suspicious,
          answers,
        },
        reason:
          `${resolvers.join(", ")} answered ${hostname} with ${list(ips)} ` +
          `(${[...new Set(suspicious.map((s) => s.range))].sort().join(", ")}), an address a ` +
          "public vendor hostname cannot have: a DNS hijack, a sinkhole or a split-horizon leak.",
        action:
          `Do not allow ${list(ips)}; check the resolver${resolvers.length === 1 ? "" : "s"} ` +
          `${resolvers.join(", ")}. No change to ${rule}.`,
        // At most one notification per day and set of answers while it persists. Which
        // resolver gave it is evidence, not identity: a resolver's address may change.
        cause: {
          day: observation.observedAt.slice(0, 10),
          answers: [...new Set(suspicious.map((s) => `${s.ip}|${s.range}`))],
        },
      }),
    );
  }

  // 4. Failure streaks: never a removal, kept apart by outcome.
  const threshold = context.input.options.failureThreshold;
  if (
    FAILURE_OUTCOMES.includes(observation.outcome) &&
    observation.consecutiveFailures >= threshold
  ) {
    const lastSuccess = lastSighting(observation) ?? observation.trackedSince;
    events.push(
      emit({
        type: "resolution-failed",
        severity: "medium",
        evidence: {
          observedAt: observation.observedAt,
          outcome: observation.outcome,
          consecutiveFailures: observation.consecutiveFailures,
          answers,
        },
        reason:
          `${hostname} failed to resolve (${observation.outcome.toUpperCase()}) in ` +
          `${observation.consecutiveFailures} consecutive runs; ` +
          (lastSighting(observation) === null
            ? "it has not answered with an address since it was first tracked."
            : `last answered with an address ${lastSighting(observation)}.`),
        action:
          `No firewall change: keep ${rule} as it is (a failure is not a removal). Check the ` +
          `resolvers; if the vendor retired ${hostname}, update the catalogue.`,
        cause: { outcome: observation.outcome, since: lastSuccess },
      }),
    );
  }

  // 5. The endpoint's own documented IPs that no answer has used for the grace period.
  const poolIps = new Set(pool?.ips ?? []);
  for (const ip of endpoint.ips) {
    if (poolIps.has(ip)) continue; // judged per pool
    const unused = unusedSince(context, ip, [observation]);
    if (unused === null) continue;
    events.push(
      emit({
        type: "documented-ip-unused",
        severity: "low",
        evidence: {
          observedAt: observation.observedAt,
          unusedSince: unused.since,
          ips: [ipEvidence(ip)],
        },
        reason: unusedReason(ip, [hostname], unused),
        action:
          `Keep the allow rule for ${ip} in ${rule} until the vendor confirms it is retired; ` +
          "the vendor document may be stale.",
        cause: { ip, lastSeen: unused.lastSeen ?? "never" },
      }),
    );
  }

  return events;
}

/** Entering IPs that bring new published prefixes into an aws-ip-ranges endpoint's allowlist. */
interface Widening {
  ips: string[];
  prefixes: FeedPrefix[];
}

function addedAction(
  endpoint: Endpoint,
  hostname: string,
  added: string[],
  outside: string[],
  unjudged: string[],
  rule: string,
  held: ReadonlyMap<string, HeldGroup>,
  widening: Widening,
): string {
  const allow = `Allow ${list(added)} in ${rule} for ${hostname}`;
  const file = `allowlists/${endpoint.group}.txt`;
  const hold = held.get(endpoint.group);
  const documentedOnly = endpoint.policy === "pinned" || endpoint.policy === "pool";
  if (hold !== undefined && outside.length === 0 && !documentedOnly) {
    const snapshots = `the ${hold.feeds.map(feedTitle).join(" and ")} snapshot${hold.feeds.length === 1 ? "" : "s"}`;
    if (hold.keptAsWritten) {
      return (
        `${allow} explicitly meanwhile: ${file} is kept as last written while ${snapshots} ` +
        `cannot be read, so it may not list ${added.length === 1 ? "it" : "them"}.`
      );
    }
    if (endpoint.feed !== undefined && hold.feeds.includes(endpoint.feed)) {
      return (
        `${allow}, or point the rule at ${file}, which covers ${added.length === 1 ? "it" : "them"}: ` +
        `while ${snapshots} cannot be read it lists the last known published ranges plus the ` +
        "observed addresses outside them."
      );
    }
  }
  switch (endpoint.policy) {
    case "pinned":
    case "pool":
      return (
        `${allow} once the vendor confirms the address, and add it to the catalogue: ` +
        `${file} lists documented IPs only.`
      );
    case "cloudfront":
    case "aws-ip-ranges": {
      if (outside.length === 0 && widening.ips.length === 0) {
        return `${allow}; ${file} lists it until a feed snapshot is available to judge it.`;
      }
      const them = (items: readonly string[]) => (items.length === 1 ? "it" : "them");
      const sentences: string[] = [];
      if (outside.length > 0) {
        sentences.push(
          `Allow ${list(outside)} in ${rule} for ${hostname} explicitly if genuine: ` +
            `neither the published-range rule nor ${file} covers ${them(outside)}.`,
        );
      }
      if (widening.prefixes.length > 0) {
        const prefixes = sortAddresses([...new Set(widening.prefixes.map((p) => p.prefix))]);
        sentences.push(
          `Add the ${count(prefixes, "prefix", "prefixes")} of ${describePrefixes(widening.prefixes)} ` +
            `(${list(prefixes)}) to ${rule} for ${hostname}, or point the rule at ${file}, ` +
            "which already lists them.",
        );
      }
      if (unjudged.length > 0) {
        sentences.push(
          `Allow ${list(unjudged)} in ${rule}; ${file} lists ${them(unjudged)} until a feed snapshot is available to judge ${them(unjudged)}.`,
        );
      }
      return sentences.join(" ");
    }
    default:
      return `${allow}, or point the rule at ${file}, which already lists it.`;
  }
}

function addedReason(
  endpoint: Endpoint,
  hostname: string,
  added: string[],
  outside: string[],
  unjudged: string[],
  feedName: string,
  widening: Widening,
): string {
  const what = `${hostname} now resolves to ${list(added)}`;
  switch (endpoint.policy) {
    case "pinned":
      return `${what}, not documented for it (policy pinned: the documented IPs are the truth).`;
    case "pool":
      return `${what}, in neither its documented IPs nor pool ${endpoint.pool}.`;
    case "cloudfront":
    case "aws-ip-ranges":
      if (unjudged.length > 0) {
        return `${what}; no ${feedName} snapshot is available to check it against the published ranges.`;
      }
      return `${what}, ${[
        outside.length > 0 ? `outside the ${feedName} ranges (${list(outside)})` : null,
        widening.ips.length > 0
          ? `${list(widening.ips)} published in ${describePrefixes(widening.prefixes)}, where ` +
            "none of its IPs was before"
          : null,
      ]
        .filter((part) => part !== null)
        .join("; ")}.`;
    case "rotating":
      return `${what}: a new address in its rotation (policy rotating: the observed set is the allowlist).`;
    default:
      return `${what}: a new address (policy hostname-only: the observed set is the allowlist).`;
  }
}

interface Stranded {
  ips: string[];
  /** The withdrawn prefixes that contained them. */
  withdrawn: FeedPrefix[];
  /** `AWS ip-ranges.json sha256 0123… -> sha256 4567…` */
  changes: string;
  cause: { feed: FeedId; from: string; to: string }[];
}

/** This run's stranded IPs of an endpoint (`strandedIps`), with what identifies the change. */
function strandedOf(
  context: Context,
  endpoint: Endpoint,
  observation: HostObservation,
  documented: ReadonlySet<string>,
): Stranded {
  const found = LISTING_POLICIES[endpoint.policy].publishedRanges
    ? strandedIps(
        endpoint,
        observation,
        context.input.feeds.matchers,
        context.feedChanges,
        documented,
      )
    : { ips: [], withdrawn: [], feeds: [] };
  const cause = found.feeds.map((feed) => {
    const change = context.feedChanges.get(feed);
    return { feed, from: change?.from ?? "", to: change?.to ?? "" };
  });
  const changes = cause
    .map((c) =>
      c.from === c.to
        ? `${feedTitle(c.feed)} ${shortHash(c.to)}, withdrawals past their grace period`
        : `${feedTitle(c.feed)} ${shortHash(c.from)} -> ${shortHash(c.to)}`,
    )
    .join("; ");
  return { ips: found.ips, withdrawn: found.withdrawn, changes, cause };
}

interface RelevanceChange {
  /** Published prefixes that leave the group's allowlist with the IPs that left. */
  leaving: FeedPrefix[];
  /** Published prefixes that enter it with the IPs that entered (not on a first sighting). */
  entering: FeedPrefix[];
}

/**
 * How the IPs entering and leaving an `aws-ip-ranges` endpoint in this run change the published
 * prefixes its allowlist lists (judged against the current snapshot both ways, so a feed change
 * is not counted here: feed-ranges-changed reports that). Prefixes another endpoint of the group
 * still lists do not enter or leave the file. Null when the policy or the snapshot does not apply,
 * or when the group's file is kept as last written.
 */
function relevanceChangeOf(
  context: Context,
  endpoint: Endpoint,
  observation: HostObservation,
): RelevanceChange | null {
  if (endpoint.policy !== "aws-ip-ranges" || endpoint.feed === undefined) return null;
  const matcher = context.input.feeds.matchers.get(endpoint.feed);
  const prefixes = matcher?.prefixes;
  if (matcher === undefined || prefixes === undefined) return null;
  if (context.held.get(endpoint.group)?.keptAsWritten === true) return null;
  if (observation.entered.length === 0 && observation.left.length === 0) return null;
  const entered = new Set(observation.entered);
  const now = observation.active.map((ip) => ip.ip);
  const before = [...now.filter((ip) => !entered.has(ip)), ...observation.left.map((ip) => ip.ip)];
  const listed = (ips: readonly string[]) => {
    const relevance = feedRelevanceOfIps(endpoint, ips, matcher);
    return relevance === null
      ? []
      : prefixes.filter((prefix) => isPrefixRelevantToAny(prefix, [relevance]));
  };
  const listedBefore = listed(before);
  const listedNow = listed(now);
  const before_ = new Set(listedBefore.map((p) => p.prefix));
  const now_ = new Set(listedNow.map((p) => p.prefix));
  const others = new Set(
    (context.allowlists.get(endpoint.group)?.endpoints ?? [])
      .filter((entry) => entry.id !== endpoint.id)
      .flatMap((entry) => entry.addresses),
  );
  return {
    leaving: listedBefore.filter((p) => !now_.has(p.prefix) && !others.has(p.prefix)),
    entering:
      before.length === 0
        ? []
        : listedNow.filter((p) => !before_.has(p.prefix) && !others.has(p.prefix)),
  };
}

/** `EC2 in eu-central-1, eu-west-2; AMAZON in us-east-1` */
function describePrefixes(prefixes: readonly FeedPrefix[]): string {
  const regions = new Map<string, Set<string>>();
  for (const prefix of prefixes) {
    const set = regions.get(prefix.service) ?? new Set<string>();
    set.add(prefix.region);
    regions.set(prefix.service, set);
  }
  return [...regions]
    .sort(([a], [b]) => compareText(a, b))
    .map(([service, set]) => `${service} in ${[...set].sort(compareText).join(", ")}`)
    .join("; ");
}

// ---------------------------------------------------------------------------------------- pools

function judgePools(context: Context): DriftEvent[] {
  const events: DriftEvent[] = [];
  for (const pool of context.input.catalogue.pools) {
    const byGroup = new Map<string, Endpoint[]>();
    for (const endpoint of context.input.catalogue.endpoints) {
      if (endpoint.pool !== pool.id || endpoint.hostname === null) continue;
      if (NOTHING_TO_JUDGE.has(endpoint.policy)) continue;
      const list = byGroup.get(endpoint.group);
      if (list === undefined) byGroup.set(endpoint.group, [endpoint]);
      else list.push(endpoint);
    }
    for (const [group, endpoints] of [...byGroup].sort(([a], [b]) => compareText(a, b))) {
      const observations = [
        ...new Set(endpoints.map((e) => context.observations.get(e.hostname ?? ""))),
      ].filter((o) => o !== undefined);
      if (observations.length === 0) continue;
      const subject: DriftSubject = {
        kind: "pool",
        key: `pool:${pool.id}:${group}`,
        poolId: pool.id,
        group,
      };
      const refs = endpoints.map(endpointRef).sort((a, b) => compareText(a.id, b.id));
      const hostnames = [...new Set(observations.map((o) => o.hostname))].sort();
      const rule = `firewall rule ${group} (${describePorts(endpoints.flatMap((e) => e.ports))})`;
      for (const ip of pool.ips) {
        const unused = unusedSince(context, ip, observations);
        if (unused === null) continue;
        events.push(
          makeEvent(context, subject, group, refs, {
            type: "documented-ip-unused",
            severity: "low",
            evidence: {
              observedAt: latest(observations.map((o) => o.observedAt)) ?? context.detectedAt,
              unusedSince: unused.since,
              ips: [{ ip, ...(unused.lastSeen === null ? {} : { lastSeen: unused.lastSeen }) }],
            },
            reason: unusedReason(ip, hostnames, unused, pool.id),
            action:
              `Keep the allow rule for ${ip} in ${rule} until the vendor confirms it is ` +
              "retired; the vendor document may be stale.",
            cause: { ip, lastSeen: unused.lastSeen ?? "never" },
          }),
        );
      }
    }
  }
  return events;
}

interface Unused {
  since: string;
  lastSeen: string | null;
}

/**
 * A documented IP is unused when no current answer of the hostnames carries it and none has for
 * the grace period (since its last sighting, or since the hostnames were first tracked). Only
 * judged when at least one hostname answered in this run: a failing name proves nothing.
 */
function unusedSince(
  context: Context,
  ip: string,
  observations: readonly HostObservation[],
): Unused | null {
  if (!observations.some((o) => o.outcome === "answered")) return null;
  if (observations.some((o) => o.active.some((a) => a.ip === ip))) return null;
  let lastSeen: string | null = null;
  for (const observation of observations) {
    for (const gone of [...observation.left, ...observation.departed]) {
      if (gone.ip === ip && (lastSeen === null || gone.lastSeen > lastSeen))
        lastSeen = gone.lastSeen;
    }
  }
  const since = lastSeen ?? earliest(observations.map((o) => o.trackedSince));
  const graceMs = context.input.options.unusedGrace.hours * HOUR_MS;
  if (context.input.now.getTime() - Date.parse(since) < graceMs) return null;
  return { since, lastSeen };
}

function unusedReason(ip: string, hostnames: string[], unused: Unused, pool?: string): string {
  const documentedFor = pool === undefined ? hostnames.join(", ") : `pool ${pool}`;
  const names = hostnames.length === 1 ? hostnames[0] : `any of ${hostnames.join(", ")}`;
  return unused.lastSeen === null
    ? `${ip} is documented for ${documentedFor} but no answer for ${names} has carried it since ` +
        `tracking began (${unused.since}).`
    : `${ip} is documented for ${documentedFor} but no answer for ${names} has carried it since ` +
        `${unused.lastSeen}.`;
}

// ---------------------------------------------------------------------------------------- feeds

function judgeFeeds(context: Context): DriftEvent[] {
  const events: DriftEvent[] = [];
  const results = [...context.input.feeds.results].sort((a, b) => compareText(a.feed, b.feed));
  for (const result of results) {
    const byGroup = new Map<string, Endpoint[]>();
    for (const endpoint of context.input.catalogue.endpoints) {
      if (endpoint.feed !== result.feed || endpoint.hostname === null) continue;
      if (NOTHING_TO_JUDGE.has(endpoint.policy)) continue;
      const list = byGroup.get(endpoint.group);
      if (list === undefined) byGroup.set(endpoint.group, [endpoint]);
      else list.push(endpoint);
    }
    const groups = [...byGroup].sort(([a], [b]) => compareText(a, b));
    const feedName = result.feed === "cloudfront" ? "CloudFront list" : "AWS ip-ranges.json";

    if (result.status === "rejected") {
      const targets: [string | null, Endpoint[]][] = groups.length > 0 ? groups : [[null, []]];
      for (const [group, endpoints] of targets) {
        const subject: DriftSubject = {
          kind: "feed",
          key: group === null ? `feed:${result.feed}` : `feed:${result.feed}:${group}`,
          feed: result.feed,
          group,
        };
        const evidence = feedResultEvidence(result);
        events.push(
          makeEvent(context, subject, group, endpoints.map(endpointRef), {
            type: "feed-rejected",
            severity: "medium",
            evidence: { feed: evidence },
            reason: `The ${feedName} download failed verification: ${withoutFeedPrefix(result.reason)}.`,
            action:
              "No firewall change: the last good snapshot " +
              `(${shortHash(result.current?.sha256)}) stays in use until a download verifies.`,
            // Once per kind of failure and last good snapshot, not once per run: the reason's
            // numbers (byte counts, hashes' digits, status codes) vary between attempts.
            cause: { reason: reasonKind(result.reason), current: result.current?.sha256 ?? null },
          }),
        );
      }
      continue;
    }

    // A diff comes with a new snapshot, or with `unchanged` when a damped removal came due. The
    // first snapshot of a feed is the baseline, not a change.
    const diff = result.diff;
    if (diff === undefined || diff.from === null) continue;
    const current = context.input.feeds.matchers.get(result.feed);
    const matcher = withWithdrawn(current, diff);
    const addedKeys = new Set(diff.added.map(feedPrefixKey));
    for (const [group, endpoints] of groups) {
      const relevances = endpoints
        .map((e) => endpointFeedRelevance(e, context.observations.get(e.hostname ?? ""), matcher))
        .filter((relevance): relevance is FeedRelevance => relevance !== null);
      // A prefix that only moved to another list, service or border group the group relies on
      // changes nothing in the firewall: neither "add" it again nor "remove" it.
      const publishedOtherwise = (prefix: FeedPrefix) =>
        (current?.contains(prefix.prefix.split("/")[0] ?? "") ?? []).some(
          (other) =>
            other.prefix === prefix.prefix &&
            feedPrefixKey(other) !== feedPrefixKey(prefix) &&
            !addedKeys.has(feedPrefixKey(other)) &&
            isPrefixRelevantToAny(other, relevances),
        );
      const changed = prefixChangesRelevantToAny(diff, relevances);
      const relevant = {
        added: changed.added.filter((prefix) => !publishedOtherwise(prefix)),
        removed: changed.removed.filter((prefix) => !publishedOtherwise(prefix)),
      };
      if (relevant.added.length === 0 && relevant.removed.length === 0) continue;
      const subject: DriftSubject = {
        kind: "feed",
        key: `feed:${result.feed}:${group}`,
        feed: result.feed,
        group,
      };
      const added = sortAddresses(relevant.added.map((p) => p.prefix));
      const removed = sortAddresses(relevant.removed.map((p) => p.prefix));
      const allowlist = context.allowlists.get(group);
      const rule = `firewall rule ${group} (${describePorts(endpoints.flatMap((e) => e.ports))})`;
      const changes = [
        added.length > 0 ? `add ${count(added, "prefix", "prefixes")} (${list(added)})` : null,
        removed.length > 0
          ? `remove ${count(removed, "prefix", "prefixes")} (${list(removed)})`
          : null,
      ].filter((c) => c !== null);
      events.push(
        makeEvent(context, subject, group, endpoints.map(endpointRef), {
          type: "feed-ranges-changed",
          severity: added.length > 0 ? "high" : "medium",
          added,
          removed,
          evidence: {
            feed: feedResultEvidence(result),
            prefixes: [
              ...relevant.added.map((p) => ({ ...prefixFields(p), change: "added" as const })),
              ...relevant.removed.map((p) => ({ ...prefixFields(p), change: "removed" as const })),
            ],
          },
          reason:
            (diff.from.sha256 === diff.to.sha256
              ? `Prefixes withdrawn from the ${feedName} stayed withdrawn for their grace period ` +
                `(snapshot ${shortHash(diff.to.sha256)})`
              : `The ${feedName} changed (${shortHash(diff.from.sha256)} -> ` +
                `${shortHash(diff.to.sha256)})`) +
            ` in the ranges ${group} relies on (${describeRelevance(relevances)}).`,
          action: feedChangeAction(rule, changes, group, result.feed, context.held.get(group)),
          warnings:
            added.length > 0 && allowlist !== undefined
              ? securityGroupWarnings(allowlist, context.limits)
              : [],
          cause: { from: diff.from.sha256, to: diff.to.sha256 },
        }),
      );
    }
  }
  return events;
}

function feedChangeAction(
  rule: string,
  changes: string[],
  group: string,
  feed: FeedId,
  hold: HeldGroup | undefined,
): string {
  const file = `allowlists/${group}.txt`;
  if (hold !== undefined && (hold.keptAsWritten || hold.feeds.includes(feed))) {
    const snapshots = `the ${hold.feeds.map(feedTitle).join(" and ")} snapshot${hold.feeds.length === 1 ? "" : "s"}`;
    return (
      `In ${rule}: ${changes.join("; ")}. ${file} may not have the change: ` +
      `${hold.keptAsWritten ? "it is kept as last written" : "it keeps the last known published ranges"} ` +
      `while ${snapshots} cannot be read.`
    );
  }
  return (
    `In ${rule}: ${changes.join("; ")}, or point the rule at the allowlist file ` +
    `${file}, which already has the change.`
  );
}

/** `CloudFront`, `AWS ip-ranges.json` */
function feedTitle(feed: FeedId): string {
  return feed === "cloudfront" ? "CloudFront" : "AWS ip-ranges.json";
}

function prefixFields(prefix: FeedPrefix): FeedPrefix {
  return {
    prefix: prefix.prefix,
    family: prefix.family,
    service: prefix.service,
    region: prefix.region,
    networkBorderGroup: prefix.networkBorderGroup,
  };
}

function feedResultEvidence(result: FeedIngestResult): FeedEvidence {
  const current = result.diff?.to ?? result.current;
  const previous = result.diff?.from ?? null;
  return {
    feed: result.feed,
    status: result.status,
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    ...(current === null ? {} : snapshotFields(current)),
    ...(previous === null ? {} : { previousSha256: previous.sha256 }),
    ...(previous?.syncToken === undefined ? {} : { previousSyncToken: previous.syncToken }),
  };
}

/** The feed snapshot an endpoint was judged against, with this run's status of the feed. */
function feedEvidence(
  context: Context,
  feed: FeedId | undefined,
  matcher: RangeMatcher | undefined,
): FeedEvidence | undefined {
  if (feed === undefined) return undefined;
  const result = context.input.feeds.results.find((r) => r.feed === feed);
  const status = result?.status ?? (matcher === undefined ? "unreachable" : "unchanged");
  if (matcher === undefined) {
    return { feed, status, reason: result?.reason ?? "no snapshot of the feed is available" };
  }
  return {
    feed,
    status,
    ...(result?.reason === undefined ? {} : { reason: result.reason }),
    ...snapshotFields(matcher.meta),
  };
}

function snapshotFields(meta: FeedSnapshotMeta): Omit<FeedEvidence, "feed" | "status"> {
  return {
    sha256: meta.sha256,
    ...(meta.syncToken === undefined ? {} : { syncToken: meta.syncToken }),
    ...(meta.createDate === undefined ? {} : { createDate: meta.createDate }),
    fetchedAt: meta.fetchedAt,
    source: meta.source,
  };
}

// -------------------------------------------------------------------------------------- helpers

function lowestTtls(observation: HostObservation): Map<string, number> {
  const ttls = new Map<string, number>();
  for (const answer of observation.answers) {
    for (const record of [...answer.a, ...answer.aaaa]) {
      const before = ttls.get(record.ip);
      if (before === undefined || record.ttl < before) ttls.set(record.ip, record.ttl);
    }
  }
  return ttls;
}

function answerEvidence(observation: HostObservation): AnswerEvidence[] {
  return [...observation.answers]
    .sort((a, b) => compareText(a.resolver, b.resolver))
    .map((answer) => ({
      resolver: answer.resolver,
      outcome: answer.outcome,
      ...(answer.detail === undefined ? {} : { detail: answer.detail }),
      cnameChain: [...answer.cnameChain],
      records: [...answer.a, ...answer.aaaa].map((r) => ({ ip: r.ip, ttl: r.ttl })),
    }));
}

/** When any IP of the hostname was last seen: the last successful answer with an address. */
function lastSighting(observation: HostObservation): string | null {
  return latest(
    [...observation.active, ...observation.left, ...observation.departed].map((ip) => ip.lastSeen),
  );
}

function latest(times: readonly string[]): string | null {
  let best: string | null = null;
  for (const time of times) if (best === null || time > best) best = time;
  return best;
}

function earliest(times: readonly string[]): string {
  let best = times[0] ?? "";
  for (const time of times) if (time < best) best = time;
  return best;
}

function graceText(observation: HostObservation): string {
  const grace = observation.grace;
  return grace === undefined ? "" : ` (${grace.runs} runs and ${grace.hours} h)`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `1.2.3.4`, `1.2.3.4 and 5.6.7.8`, `1.2.3.4, 5.6.7.8 and 9 more` */
export function list(items: readonly string[], max = 5): string {
  if (items.length <= 1) return items[0] ?? "";
  if (items.length <= max) return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
  return `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

function verb(items: readonly string[], one: string, many: string): string {
  return items.length === 1 ? one : many;
}

function count(items: readonly string[], one: string, many: string): string {
  return `${items.length} ${items.length === 1 ? one : many}`;
}

function shortHash(hash: string | undefined): string {
  return hash === undefined ? "none" : `sha256 ${hash.slice(0, 12)}`;
}
