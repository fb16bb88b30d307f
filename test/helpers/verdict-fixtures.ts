import type { Catalogue, Endpoint } from "#shared/catalogue/schema";
import type { DriftInput, DriftOptions } from "#shared/compare/drift-input";
import type { JudgeDriftInput } from "#shared/detect/judge-drift";
import { cidrContains } from "#shared/domain/addresses";
import type {
  FeedDiff,
  FeedId,
  FeedIngestResult,
  FeedPrefix,
  FeedSnapshotMeta,
  RangeMatcher,
} from "#shared/domain/feed";
import type {
  HostObservation,
  ObservedIp,
  ResolutionOutcome,
  SuspiciousAnswer,
} from "#shared/domain/observation";

/**
 * Small, real-shaped inputs for the verdict, allowlist and notification tests: a catalogue with
 * one endpoint per expectation policy (shaped like the Clearswift rows), observations built from
 * a few facts, and feed snapshots with a linear-scan matcher.
 */

const provenance = {
  document: "Clearswift SECURE Email Gateway 5.3 Ports and Protocols",
  issue: "3.6",
  section: "External Connections",
};

export const RESOLVER_A = "192.0.2.53:53";
export const RESOLVER_B = "198.51.100.53:53";

const endpoint = (fields: Partial<Endpoint> & Pick<Endpoint, "id" | "group" | "policy">) =>
  ({
    service: "Service",
    purpose: "Updates",
    scope: "external",
    hostname: null,
    ports: [{ protocol: "tcp", port: 80, direction: "out" }],
    ips: [],
    retiredIps: [],
    provenance,
    ...fields,
  }) satisfies Endpoint;

export const catalogue = {
  schemaVersion: 1,
  id: "clearswift-seg-5.3",
  vendor: "Clearswift",
  product: "SECURE Email Gateway 5.3",
  document: { title: "Ports and Protocols", issue: "3.6", date: "July 2021" },
  review: "reviewed",
  endpoints: [
    endpoint({
      id: "appliance-online-help/clearswifhelp.clearswift.com",
      group: "online-help",
      service: "Appliance online help",
      hostname: "clearswifhelp.clearswift.com",
      policy: "pinned",
      ips: ["3.10.94.193"],
    }),
    endpoint({
      id: "avira-av-updates/aav-update-1.clearswift.net",
      group: "av-update-mirrors",
      service: "Avira AV Updates",
      hostname: "aav-update-1.clearswift.net",
      policy: "pool",
      pool: "av-update-mirrors",
    }),
    endpoint({
      id: "avira-av-updates/aav-update-2.clearswift.net",
      group: "av-update-mirrors",
      service: "Avira AV Updates",
      hostname: "aav-update-2.clearswift.net",
      policy: "pool",
      pool: "av-update-mirrors",
    }),
    endpoint({
      id: "product-and-os-updates/products.clearswift.net",
      group: "product-updates",
      service: "Product and OS updates",
      hostname: "products.clearswift.net",
      policy: "cloudfront",
      feed: "cloudfront",
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
    }),
    endpoint({
      id: "service-availability-list/services1.clearswift.net",
      group: "service-availability",
      service: "Service availability list",
      hostname: "services1.clearswift.net",
      policy: "aws-ip-ranges",
      feed: "aws-ip-ranges",
    }),
    endpoint({
      id: "ntp-server/0.rhel.pool.ntp.org",
      group: "ntp",
      service: "NTP server",
      hostname: "0.rhel.pool.ntp.org",
      policy: "rotating",
      ports: [{ protocol: "udp", port: 123, direction: "out" }],
    }),
    endpoint({
      id: "swisssign-mpki-interface/ra.swisssign.net",
      group: "swisssign-mpki",
      service: "SwissSign mpki interface",
      hostname: "ra.swisssign.net",
      policy: "hostname-only",
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
    }),
    endpoint({
      id: "smtp/any",
      group: "smtp",
      service: "SMTP",
      policy: "any-destination",
      ports: [{ protocol: "tcp", port: 25, direction: "in-out" }],
    }),
    endpoint({
      id: "internal/ldap-directory-access",
      group: "directory",
      service: "LDAP Directory access",
      scope: "internal",
      policy: "internal",
      ports: [{ protocol: "tcp", port: 389, direction: "out" }],
    }),
  ],
  pools: [
    {
      id: "av-update-mirrors",
      description: "AV update mirrors shared by the Avira, Kaspersky and Sophos hosts",
      ips: ["185.155.104.24", "70.33.161.213"],
      retiredIps: [{ ip: "184.72.245.1", retiredOn: "2018-11-22", note: "Change History 2.3" }],
      provenance,
    },
  ],
  feeds: [
    {
      id: "cloudfront",
      url: "http://d7uri8nf7uskq.cloudfront.net/tools/list-cloudfront-ips",
      provenance,
    },
    { id: "aws-ip-ranges", url: "https://ip-ranges.amazonaws.com/ip-ranges.json", provenance },
  ],
} satisfies Catalogue;

export const HOSTS = {
  pinned: "clearswifhelp.clearswift.com",
  pool1: "aav-update-1.clearswift.net",
  pool2: "aav-update-2.clearswift.net",
  cloudfront: "products.clearswift.net",
  aws: "services1.clearswift.net",
  rotating: "0.rhel.pool.ntp.org",
  hostnameOnly: "ra.swisssign.net",
} as const;

export const T0 = "2026-08-20T00:00:00.000Z";
export const NOW = new Date("2026-08-21T12:00:00.000Z");
export const RUN_ID = "run-2026-08-21T12:00Z";

export const OPTIONS: DriftOptions = { failureThreshold: 3, unusedGrace: { hours: 24 } };

export function observedIp(ip: string, overrides: Partial<ObservedIp> = {}): ObservedIp {
  return {
    ip,
    family: ip.includes(":") ? 6 : 4,
    firstSeen: T0,
    lastSeen: NOW.toISOString(),
    timesSeen: 10,
    resolvers: [RESOLVER_A],
    ...overrides,
  };
}

export interface ObservationFacts {
  /** IPs in the observed set (those in `entered` are added to it). */
  active?: string[];
  entered?: string[];
  left?: string[];
  departed?: ObservedIp[];
  outcome?: ResolutionOutcome;
  consecutiveFailures?: number;
  suspicious?: SuspiciousAnswer[];
  trackedSince?: string;
  observedAt?: string;
  runId?: string;
}

/** The state of one hostname after a run, built from a few facts. */
export function observation(hostname: string, facts: ObservationFacts = {}): HostObservation {
  const observedAt = facts.observedAt ?? NOW.toISOString();
  const outcome = facts.outcome ?? "answered";
  const entered = facts.entered ?? [];
  const activeIps = [...new Set([...(facts.active ?? []), ...entered])];
  const active = activeIps.map((ip) =>
    entered.includes(ip)
      ? observedIp(ip, { firstSeen: observedAt, lastSeen: observedAt, timesSeen: 1 })
      : observedIp(ip, { lastSeen: observedAt }),
  );
  const left = (facts.left ?? []).map((ip) =>
    observedIp(ip, { lastSeen: "2026-08-20T06:00:00.000Z", leftAt: observedAt, absentRuns: 4 }),
  );
  const answered = outcome === "answered";
  return {
    hostname,
    runId: facts.runId ?? RUN_ID,
    observedAt,
    outcome,
    consecutiveFailures: facts.consecutiveFailures ?? (answered ? 0 : 1),
    active,
    entered,
    left,
    departed: [...(facts.departed ?? []), ...left],
    trackedSince: facts.trackedSince ?? T0,
    suspicious: facts.suspicious ?? [],
    answers: [
      {
        resolver: RESOLVER_A,
        outcome,
        cnameChain: [],
        a: answered
          ? activeIps.filter((ip) => !ip.includes(":")).map((ip) => ({ ip, ttl: 300 }))
          : [],
        aaaa: answered
          ? activeIps.filter((ip) => ip.includes(":")).map((ip) => ({ ip, ttl: 300 }))
          : [],
        ...(answered ? {} : { detail: `${outcome} from ${RESOLVER_A}` }),
      },
    ],
  };
}

export function snapshotMeta(feed: FeedId, sha256: string, syncToken?: string): FeedSnapshotMeta {
  return {
    feed,
    sha256,
    ...(syncToken === undefined ? {} : { syncToken, createDate: "2026-08-21-10-17-00" }),
    fetchedAt: "2026-08-21T10:20:00.000Z",
    source:
      feed === "cloudfront"
        ? "http://d7uri8nf7uskq.cloudfront.net/tools/list-cloudfront-ips"
        : "https://ip-ranges.amazonaws.com/ip-ranges.json",
    archiveKey: `feeds/${feed}/${sha256}.json`,
    prefixCount: { v4: 3, v6: 1 },
  };
}

export function prefix(
  cidr: string,
  service: string,
  region = "GLOBAL",
  networkBorderGroup = region,
): FeedPrefix {
  return {
    prefix: cidr,
    family: cidr.includes(":") ? 6 : 4,
    service,
    region,
    networkBorderGroup,
  };
}

/** A matcher over a handful of prefixes (a linear scan is plenty for a test snapshot). */
export function matcher(meta: FeedSnapshotMeta, prefixes: FeedPrefix[]): RangeMatcher {
  return {
    feed: meta.feed,
    meta,
    prefixes,
    contains: (ip) => prefixes.filter((p) => cidrContains(p.prefix, ip)),
  };
}

export const CLOUDFRONT_PREFIXES = [
  prefix("13.32.0.0/15", "CLOUDFRONT_GLOBAL"),
  prefix("52.84.0.0/15", "CLOUDFRONT_GLOBAL"),
  prefix("2600:9000::/28", "CLOUDFRONT_GLOBAL"),
];
export const AWS_PREFIXES = [
  prefix("3.8.0.0/14", "AMAZON", "eu-west-2"),
  prefix("3.8.0.0/14", "EC2", "eu-west-2"),
  prefix("52.94.0.0/22", "AMAZON", "us-east-1"),
  prefix("18.130.0.0/16", "EC2", "eu-west-2"),
];

export const CLOUDFRONT_META = snapshotMeta("cloudfront", "c".repeat(64));
export const AWS_META = snapshotMeta("aws-ip-ranges", "a".repeat(64), "1787307420");

export function feeds(
  results: FeedIngestResult[] = [],
  matchers: RangeMatcher[] = [
    matcher(CLOUDFRONT_META, CLOUDFRONT_PREFIXES),
    matcher(AWS_META, AWS_PREFIXES),
  ],
): DriftInput["feeds"] {
  return { results, matchers: new Map(matchers.map((m) => [m.feed, m])) };
}

export function updatedFeed(
  feed: FeedId,
  diff: Pick<FeedDiff, "added" | "removed">,
  from: FeedSnapshotMeta | null = snapshotMeta(feed, "0".repeat(64), "1787300000"),
): FeedIngestResult {
  const to = feed === "cloudfront" ? CLOUDFRONT_META : AWS_META;
  return { feed, status: "updated", current: to, diff: { feed, from, to, ...diff } };
}

export function driftInput(
  observations: HostObservation[],
  overrides: Partial<DriftInput> = {},
): DriftInput {
  return {
    catalogue,
    observations,
    feeds: feeds(),
    now: NOW,
    runId: RUN_ID,
    options: OPTIONS,
    ...overrides,
  };
}

/** The two mirrors the av-update-mirrors pool serves. */
export const POOL_IPS = ["185.155.104.24", "70.33.161.213"];

/** Every host serving exactly what the catalogue expects, with the given hosts replaced. */
export function steadyState(...replacements: HostObservation[]): HostObservation[] {
  const steady = [
    observation(HOSTS.pinned, { active: ["3.10.94.193"] }),
    observation(HOSTS.pool1, { active: POOL_IPS }),
    observation(HOSTS.pool2, { active: POOL_IPS }),
    observation(HOSTS.cloudfront, { active: ["13.32.1.10"] }),
    observation(HOSTS.aws, { active: ["3.8.1.20"] }),
    observation(HOSTS.rotating, { active: ["162.159.200.1"] }),
    observation(HOSTS.hostnameOnly, { active: ["41.92.10.20"] }),
  ];
  return steady.map((o) => replacements.find((r) => r.hostname === o.hostname) ?? o);
}

/** `judgeDrift`'s input for run `runId`, `hoursLater` than NOW; the observations carry its id. */
export function recordInput(
  runId: string,
  hoursLater: number,
  observations: HostObservation[],
): JudgeDriftInput {
  return {
    catalogue,
    observations: observations.map((o) => ({ ...o, runId })),
    feeds: feeds(),
    now: new Date(NOW.getTime() + hoursLater * 3_600_000),
    runId,
    options: OPTIONS,
  };
}
