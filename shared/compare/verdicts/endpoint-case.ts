import { describePorts } from "#shared/allowlists/build";
import { publishedRangesOf } from "#shared/allowlists/feed-relevance";
import {
  type AllowlistWarning,
  allowlistSizeWarnings,
  fqdnWarnings,
} from "#shared/allowlists/limits";
import type { Endpoint, Pool, RetiredIp } from "#shared/catalogue/schema";
import { sortAddresses } from "#shared/domain/addresses";
import type { RangeMatcher } from "#shared/domain/feed";
import type { HostObservation, ObservedIp } from "#shared/domain/observation";
import type {
  AnswerEvidence,
  DriftEvent,
  DriftEvidence,
  DriftSubject,
  FeedEvidence,
  IpEvidence,
} from "../drift-event";
import type { EnteringIps, Policy, PolicySubject, Widening } from "../policies/policy";
import { POLICY_TABLE } from "../policies/policy-table";
import { feedTitle } from "../wording";
import { answerEvidence, feedEvidence, lowestTtls } from "./evidence";
import { type RelevanceChange, relevanceChangeOf, wideningOf } from "./relevance-change";
import {
  type EventDraft,
  endpointRef,
  endpointSubjectKey,
  makeEvent,
  type RunContext,
} from "./run-context";

/** One endpoint with a hostname and its observation in this run: what its verdicts read. */
export interface EndpointCase {
  run: RunContext;
  endpoint: Endpoint;
  policy: Policy;
  /** What the policy decides the endpoint's IPs on. */
  policySubject: PolicySubject;
  observation: HostObservation;
  hostname: string;
  pool: Pool | undefined;
  /** The endpoint's documented IPs and its pool's. */
  documented: ReadonlySet<string>;
  /** Retired IPs (the endpoint's and its pool's) that are not documented again. */
  retired: ReadonlyMap<string, RetiredIp>;
  /** The current matcher of the endpoint's feed. */
  matcher: RangeMatcher | undefined;
  /** `CloudFront`, `AWS ip-ranges.json` */
  feedName: string;
  /** `firewall rule <group> (<ports>)` */
  rule: string;
  /** `allowlists/<group>.txt` */
  file: string;
  entering: EnteringIps;
  relevanceChange: RelevanceChange | null;
  widening: Widening;
  answers: AnswerEvidence[];
  emit(draft: EventDraft): DriftEvent;
  ipEvidence(ip: string, withRanges?: boolean): IpEvidence;
  runEvidence(ips: readonly string[], withRanges?: boolean): DriftEvidence;
  /** The feed snapshot the endpoint was judged against. */
  feedEvidence(): FeedEvidence | undefined;
  /** The firewall limits the hostname's observed set and the group's allowlist have outgrown. */
  growthWarnings(): AllowlistWarning[];
}

/** The endpoints with addresses to judge and an observation in this run, in catalogue order. */
export function endpointCases(run: RunContext): EndpointCase[] {
  return run.input.catalogue.endpoints.flatMap((endpoint) => {
    const policy = POLICY_TABLE[endpoint.policy];
    if (!policy.hasAddresses || endpoint.hostname === null) return [];
    const observation = run.observations.get(endpoint.hostname);
    return observation === undefined ? [] : [endpointCase(run, endpoint, policy, observation)];
  });
}

function endpointCase(
  run: RunContext,
  endpoint: Endpoint,
  policy: Policy,
  observation: HostObservation,
): EndpointCase {
  const pool = endpoint.pool === undefined ? undefined : run.pools.get(endpoint.pool);
  const documented = new Set([...endpoint.ips, ...(pool?.ips ?? [])]);
  const retired = new Map<string, RetiredIp>();
  for (const entry of [...endpoint.retiredIps, ...(pool?.retiredIps ?? [])]) {
    if (!documented.has(entry.ip)) retired.set(entry.ip, entry);
  }
  const matcher =
    endpoint.feed === undefined ? undefined : run.input.feeds.matchers.get(endpoint.feed);
  const subject: PolicySubject = {
    endpoint,
    matchers: run.input.feeds.matchers,
    firstSighting: isFirstSighting(observation),
  };
  const entering = enteringIps(observation, documented, retired, policy, subject);
  const relevanceChange = relevanceChangeOf(run, endpoint, policy, observation);
  const ref = endpointRef(endpoint);
  const key: DriftSubject = {
    kind: "endpoint",
    key: endpointSubjectKey(endpoint.id),
    endpointId: endpoint.id,
  };
  const evidence = evidenceOf(run, endpoint, observation);
  return {
    run,
    endpoint,
    policy,
    policySubject: subject,
    observation,
    hostname: observation.hostname,
    pool,
    documented,
    retired,
    matcher,
    feedName: feedTitle(endpoint.feed),
    rule: `firewall rule ${endpoint.group} (${describePorts(endpoint.ports)})`,
    file: `allowlists/${endpoint.group}.txt`,
    entering,
    relevanceChange,
    widening: wideningOf(endpoint, entering.inside, relevanceChange, matcher),
    ...evidence,
    emit: (draft) => makeEvent(run, key, endpoint.group, [ref], draft),
    feedEvidence: () => feedEvidence(run.input.feeds.results, endpoint.feed, matcher),
    growthWarnings: () => {
      const allowlist = run.allowlists.get(endpoint.group);
      return [
        ...fqdnWarnings(observation, run.limits),
        ...(allowlist === undefined ? [] : allowlistSizeWarnings(allowlist, run.limits)),
      ];
    },
  };
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

/** The IPs that entered the observed set in this run, retired or judged by the policy. */
function enteringIps(
  observation: HostObservation,
  documented: ReadonlySet<string>,
  retired: ReadonlyMap<string, RetiredIp>,
  policy: Policy,
  subject: PolicySubject,
): EnteringIps {
  const entering: EnteringIps = {
    retired: [],
    uncovered: [],
    outside: [],
    unjudged: [],
    inside: [],
  };
  for (const ip of sortAddresses(observation.entered)) {
    if (retired.has(ip)) entering.retired.push(ip);
    else if (documented.has(ip)) continue;
    else {
      const judged = policy.classifyEntering(ip, subject);
      if (judged !== "expected") entering[judged].push(ip);
    }
  }
  return entering;
}

/** Per-IP and per-run evidence of an endpoint's observation. */
function evidenceOf(
  run: RunContext,
  endpoint: Endpoint,
  observation: HostObservation,
): Pick<EndpointCase, "answers" | "ipEvidence" | "runEvidence"> {
  const known = new Map<string, ObservedIp>();
  for (const ip of [...observation.departed, ...observation.left, ...observation.active]) {
    known.set(ip.ip, ip);
  }
  const ttls = lowestTtls(observation);
  const answers = answerEvidence(observation);
  const ipEvidence = (ip: string, withRanges = false): IpEvidence => {
    const seen = known.get(ip);
    const published = withRanges
      ? publishedRangesOf(endpoint, ip, run.input.feeds.matchers)?.map((p) => ({
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
  const runEvidence = (ips: readonly string[], withRanges = false): DriftEvidence => ({
    observedAt: observation.observedAt,
    outcome: observation.outcome,
    ips: ips.map((ip) => ipEvidence(ip, withRanges)),
    answers,
  });
  return { answers, ipEvidence, runEvidence };
}
