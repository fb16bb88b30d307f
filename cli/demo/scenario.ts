import { fileURLToPath } from "node:url";
import { DEFAULT_DRIFT_OPTIONS } from "#shared/adapters/compose";
import type { ExpectationPolicy } from "#shared/catalogue/schema";
import type { JudgeDriftOptions } from "#shared/detect/judge-drift";
import { DEFAULT_GRACE, type Grace } from "#shared/observe/dns/observation-window";

/**
 * The script of `driftwatch demo`: which zone the loopback DNS server serves, which feed versions
 * the feed URLs point at, and what each run is meant to show. Data only; `tour.ts` plays it.
 */

function fixture(path: string): string {
  return fileURLToPath(new URL(`../../fixtures/${path}`, import.meta.url));
}

export const DEMO_FIXTURES = {
  catalogue: fixture("catalogue/clearswift-seg-5.3.json"),
  zones: {
    healthy: fixture("dns/clearswift.zone"),
    v2: fixture("dns/clearswift-v2.zone"),
    v3: fixture("dns/clearswift-v3.zone"),
  },
  awsIpRanges: {
    first: fixture("feeds/aws-ip-ranges/ip-ranges-2026-08-21-18-17-05.json.gz"),
    last: fixture("feeds/aws-ip-ranges/ip-ranges-2026-08-21-22-37-05.json.gz"),
  },
  cloudfront: fixture("feeds/cloudfront/list-cloudfront-ips.json.gz"),
} as const;

export type ZoneVersion = keyof typeof DEMO_FIXTURES.zones;

/**
 * The four real ip-ranges.json versions change nothing in the regions the catalogue relies on
 * (EC2 eu-west-2 and eu-central-1), so the tour writes a derived version: the last real one with
 * this prefix added, as AWS publishes a new block (in AMAZON and in EC2).
 */
export const DERIVED_PREFIX = {
  prefix: "51.25.0.0/16",
  region: "eu-west-2",
  services: ["AMAZON", "EC2"],
  syncToken: "1787390225",
  createDate: "2026-08-22-09-17-05",
} as const;

export type AwsIpRangesVersion = "first" | "last" | "derived";
export type CloudFrontVersion = "good" | "error-page";

export interface DemoStep {
  /** Minutes after T0: the run's simulated time. */
  minutes: number;
  title: string;
  /** What changed before this run, in a few short lines. */
  story: string[];
  zone: ZoneVersion;
  awsIpRanges: AwsIpRangesVersion;
  cloudfront: CloudFrontVersion;
}

/** T0 of the tour: the morning after the last real ip-ranges.json version in the fixtures. */
export const DEMO_T0 = new Date("2026-08-22T09:00:00.000Z");

export const DEMO_STEPS: readonly DemoStep[] = [
  {
    minutes: 0,
    title: "baseline",
    story: [
      "The loopback DNS server answers the healthy zone (fixtures/dns/clearswift.zone); the feeds are",
      "real: ip-ranges.json of 2026-08-21 18:17 and the CloudFront list. The first run records what",
      "is normal: no drift, every allowlist file written for the first time.",
    ],
    zone: "healthy",
    awsIpRanges: "first",
    cloudfront: "good",
  },
  {
    minutes: 15,
    title: "scripted changes (clearswift-v2.zone)",
    story: [
      "applianceupdate.clearswift.com moved 40.113.232.243 -> 40.113.232.250 (pinned);",
      "products.clearswift.net (CloudFront) also answers 34.117.59.81, outside CloudFront's ranges;",
      "cls.sophosxl.net rotates over two more addresses; ra.swisssign.net answers SERVFAIL;",
      "www.clearswift.com answers 10.20.30.40, a private address. ip-ranges.json moves to the real",
      "2026-08-21 22:37 version: 3 new prefixes, none in the regions the catalogue relies on.",
    ],
    zone: "v2",
    awsIpRanges: "last",
    cloudfront: "good",
  },
  {
    minutes: 30,
    title: "a retired mirror, a feed change, a failure streak",
    story: [
      "clearswift-v3.zone: aav-update-1.clearswift.net also answers 184.72.245.1, an AV mirror the",
      "vendor retired in 2018; products.clearswift.net is back inside CloudFront's ranges.",
      `ip-ranges.json: a derived version adding ${DERIVED_PREFIX.prefix} (EC2, ${DERIVED_PREFIX.region}), written to`,
      "the temporary directory (the real versions change nothing in the catalogue's regions).",
      "ra.swisssign.net fails a second time; applianceupdate's documented IP has been unused 30 min.",
    ],
    zone: "v3",
    awsIpRanges: "derived",
    cloudfront: "good",
  },
  {
    minutes: 45,
    title: "a corrupt feed download",
    story: [
      "The CloudFront URL now serves an HTML error page instead of JSON; the last good snapshot",
      "stays in use. 34.117.59.81 has been absent long enough to leave products.clearswift.net.",
      "ra.swisssign.net is still failing: a standing condition, not notified again, never a removal.",
    ],
    zone: "v3",
    awsIpRanges: "derived",
    cloudfront: "error-page",
  },
  {
    minutes: 60,
    title: "recovery, nothing new",
    story: [
      "The CloudFront URL serves the good list again; nothing else changed. Standing conditions",
      "(the failure streak, the private answer) are in the report but nothing is sent again.",
    ],
    zone: "v3",
    awsIpRanges: "derived",
    cloudfront: "good",
  },
];

/** The demo's grace period for every non-rotating policy (rotating names keep theirs). */
export const DEMO_GRACE: Grace = { runs: 2, hours: 0.25 };

export function demoGraceTable(): Record<ExpectationPolicy, Grace> {
  const table = { ...DEFAULT_GRACE };
  for (const policy of Object.keys(table) as ExpectationPolicy[]) {
    if (policy !== "rotating") table[policy] = DEMO_GRACE;
  }
  return table;
}

/** Shorter than production so the tour fits in an hour of simulated time; printed at the start. */
export const DEMO_DRIFT_OPTIONS: JudgeDriftOptions = {
  ...DEFAULT_DRIFT_OPTIONS,
  failureThreshold: 2,
  unusedGrace: { hours: 0.5 },
};

/** The "firewall automation" subscription: the groups the scripted changes hit, high only. */
export const FIREWALL_AUTOMATION_FILTER = {
  group: ["av-update-mirrors", "license-validation", "product-updates", "service-availability"],
  severity: ["high"],
};
