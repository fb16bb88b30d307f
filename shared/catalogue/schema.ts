import ipaddr from "ipaddr.js";
import { z } from "zod";
import { CATALOGUE_ID_PATTERN } from "#shared/config/catalogue-ids";

/**
 * The catalogue: every endpoint a vendor documents, as facts (hostnames, IPs, ports, protocols,
 * directions, purposes) with provenance. It drives observation (which names to resolve, which
 * feeds to ingest) and the verdicts (each endpoint's expectation policy).
 */

const ipv4 = z.string().refine((s) => ipaddr.IPv4.isValidFourPartDecimal(s), {
  error: (issue) => `${JSON.stringify(issue.input)} is not an IPv4 address`,
});

/** An IPv6 address in its canonical form (RFC 5952: lower case, zeros compressed). */
const ipv6 = z.string().refine((s) => ipaddr.IPv6.isValid(s) && ipaddr.parse(s).toString() === s, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not an IPv6 address in canonical form (RFC 5952)`,
});

/** An IPv4 address, or an IPv6 address in canonical form. */
const ip = z.union([ipv4, ipv6], {
  error: (issue) =>
    typeof issue.input === "string" && issue.input.includes(":")
      ? `${JSON.stringify(issue.input)} is not an IPv6 address in canonical form (RFC 5952)`
      : `${JSON.stringify(issue.input)} is not an IPv4 address`,
});

/** A CIDR range of either family, written as its network address (`192.0.2.0/24`, `2001:db8::/32`). */
const cidr = z.string().refine(isNetworkCidr, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a CIDR range written as its network address (e.g. 192.0.2.0/24, 2001:db8::/32)`,
});

function isNetworkCidr(value: string): boolean {
  if (!ipaddr.isValidCIDR(value)) return false;
  const [address, bits] = ipaddr.parseCIDR(value);
  const network =
    address.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(value)
      : ipaddr.IPv6.networkAddressFromCIDR(value);
  return `${network.toString()}/${bits}` === value && address.toString() === network.toString();
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** A hostname, or a wildcard domain (`*.apc.avira.com`) for the policy `wildcard-domain`. */
const hostname = z.string().refine((s) => HOSTNAME.test(s.startsWith("*.") ? s.slice(2) : s), {
  error: (issue) =>
    typeof issue.input === "string" && isWildcardDomain(issue.input)
      ? "must be *. and a lower-case fully qualified domain"
      : "must be a lower-case fully qualified hostname",
});

/** Whether a catalogue hostname is a wildcard domain (`*.example.com`). */
export function isWildcardDomain(name: string): boolean {
  return name.startsWith("*.");
}

/** Where in the source document a drafted fact was read: its line number and text. */
export const ExtractedFact = z.strictObject({
  /** What the fact is about. */
  fact: z.enum(["hostname", "ip", "range", "port", "policy", "pool"]),
  /** The value, as recorded (`tcp/80/out`, `192.0.2.1`, `pool spam-rule-updates`). */
  value: z.string().min(1),
  /** 1-based line number in the document. */
  line: z.number().int().min(1),
  /** The line's text (trimmed, at most 200 characters). */
  text: z.string(),
  /** `high`: written on the line itself; `medium`: from its heading, section or URL; `low`: guessed. */
  confidence: z.enum(["high", "medium", "low"]),
  /** Set when the value was assumed or inferred rather than read: what a reviewer must check. */
  assumed: z.string().min(1).optional(),
});
export type ExtractedFact = z.infer<typeof ExtractedFact>;

export const Provenance = z.strictObject({
  document: z.string().min(1),
  issue: z.string().min(1),
  section: z.string().min(1),
  /** The table row or item label the fact comes from, when the section has several. */
  item: z.string().min(1).optional(),
});
export type Provenance = z.infer<typeof Provenance>;

export const Protocol = z.enum(["tcp", "udp"]);
export type Protocol = z.infer<typeof Protocol>;

export const Direction = z.enum(["in", "out", "in-out"]);
export type Direction = z.infer<typeof Direction>;

export const PortSpec = z.strictObject({
  protocol: Protocol,
  port: z.number().int().min(1).max(65535),
  direction: Direction,
});
export type PortSpec = z.infer<typeof PortSpec>;

export const RetiredIp = z.strictObject({
  ip: ip,
  /** When the change history retired it, `YYYY-MM` or `YYYY-MM-DD`. */
  retiredOn: z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, "must be YYYY-MM or YYYY-MM-DD"),
  note: z.string().optional(),
});
export type RetiredIp = z.infer<typeof RetiredIp>;

/**
 * How the observed IPs of an endpoint are judged.
 * - `pinned`: the documented IPs are the truth; anything else is drift.
 * - `pool`: any IP of the endpoint's pool is fine (IPs documented for a set of hosts).
 * - `cloudfront`: must fall inside CloudFront's published ranges.
 * - `aws-ip-ranges`: must fall inside AWS's ip-ranges.json.
 * - `rotating`: no fixed IPs by design; the observed set is the allowlist, with a long grace period.
 * - `hostname-only`: a hostname with no documented IPs; the observed set is the allowlist.
 * - `any-destination`: a port rule to any address (SMTP any/any); nothing to resolve.
 * - `internal`: a port-only row towards the customer's own servers; nothing to resolve.
 * - `wildcard-domain`: a wildcard domain (`*.apc.avira.com`); not resolvable, so nothing is
 *   resolved or judged by IP: a firewall allows it as a domain (FQDN/domain list).
 */
export const ExpectationPolicy = z.enum([
  "pinned",
  "pool",
  "cloudfront",
  "aws-ip-ranges",
  "rotating",
  "hostname-only",
  "any-destination",
  "internal",
  "wildcard-domain",
]);
export type ExpectationPolicy = z.infer<typeof ExpectationPolicy>;

export const Endpoint = z.strictObject({
  /** Stable slug, unique in the catalogue, e.g. `avira-av-updates/aav-update-1.clearswift.net`. */
  id: z.string().regex(/^[a-z0-9][a-z0-9./_-]*$/, "must be a lower-case slug"),
  /** The group its firewall rule belongs to, e.g. `av-update-mirrors`. */
  group: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a lower-case slug"),
  /** The document's item label, e.g. "Avira AV Updates". */
  service: z.string().min(1),
  purpose: z.string().min(1),
  scope: z.enum(["external", "internal"]),
  /** Null for port-only rows and any/any rows; `*.domain` for policy `wildcard-domain`. */
  hostname: hostname.nullable(),
  ports: z.array(PortSpec).min(1),
  policy: ExpectationPolicy,
  /** IPs documented for this hostname alone (IPv4, or IPv6 in canonical form). */
  ips: z.array(ip),
  /**
   * CIDR ranges documented for this hostname alone (either family). Recorded for review and
   * `catalogue diff`; the verdicts and allowlists do not judge by them yet.
   */
  ranges: z.array(cidr).optional(),
  /** Id of the pool whose IPs this endpoint may use. */
  pool: z.string().optional(),
  retiredIps: z.array(RetiredIp),
  /** Feed whose published ranges must contain the endpoint's IPs (cloudfront / aws-ip-ranges). */
  feed: z.enum(["cloudfront", "aws-ip-ranges"]).optional(),
  provenance: Provenance,
  /** How a fact was recorded when the document is irregular (its spelling, its case). */
  notes: z.string().min(1).optional(),
  /** Drafts only: each fact with its source line and confidence (`catalogue extract`). */
  facts: z.array(ExtractedFact).optional(),
});
export type Endpoint = z.infer<typeof Endpoint>;

export const Pool = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a lower-case slug"),
  description: z.string().min(1),
  ips: z.array(ip),
  /** CIDR ranges documented for the set of hosts (either family); see `Endpoint.ranges`. */
  ranges: z.array(cidr).optional(),
  retiredIps: z.array(RetiredIp),
  provenance: Provenance,
  /** Drafts only: each fact with its source line and confidence. */
  facts: z.array(ExtractedFact).optional(),
});
export type Pool = z.infer<typeof Pool>;

export const FeedSource = z.strictObject({
  id: z.enum(["cloudfront", "aws-ip-ranges"]),
  url: z.url(),
  provenance: Provenance,
});
export type FeedSource = z.infer<typeof FeedSource>;

/**
 * An address the document names that is not an endpoint of the product (e.g. Google's 8.8.8.8 in
 * the DNS advice), recorded so that completeness checks can account for every address in the text.
 */
export const Mention = z.strictObject({
  value: z.string().min(1),
  kind: z.enum(["ipv4", "ipv4-range", "ipv6", "ipv6-range", "hostname", "wildcard"]),
  reason: z.string().min(1),
  provenance: Provenance,
  /** Drafts only: the 1-based line of the document it was read on. */
  line: z.number().int().min(1).optional(),
});
export type Mention = z.infer<typeof Mention>;

/** An assumed fact of a draft: where it is in the catalogue, where it was read, and why. */
export const ReviewFlag = z.strictObject({
  /** `endpoints[3].ports`, `pools[0]` */
  path: z.string().min(1),
  /** The endpoint's or pool's id. */
  subject: z.string().min(1),
  line: z.number().int().min(1),
  reason: z.string().min(1),
});
export type ReviewFlag = z.infer<typeof ReviewFlag>;

/**
 * The vendor's page the catalogue was written from, when it is online: each cycle checks it and
 * raises `vendor-document-changed` when its text changes (docs/vendor-document.md).
 */
export const DocumentSource = z.strictObject({
  url: z.url({
    protocol: /^https?$/,
    error: (issue) => `${JSON.stringify(issue.input)} is not an http or https URL`,
  }),
});
export type DocumentSource = z.infer<typeof DocumentSource>;

/**
 * Options of one firewall group's allowlist (`Catalogue.groups`, keyed by the endpoints' `group`).
 * Every option is off when absent.
 */
export const GroupOptions = z.strictObject({
  /** List the fewest CIDR prefixes covering the same addresses (`aggregateCidrs`). */
  aggregate: z.boolean().optional(),
});
export type GroupOptions = z.infer<typeof GroupOptions>;

export const Catalogue = z
  .strictObject({
    schemaVersion: z.literal(1),
    id: z.string().regex(CATALOGUE_ID_PATTERN, "must be a lower-case slug"),
    vendor: z.string().min(1),
    product: z.string().min(1),
    document: z.strictObject({
      title: z.string().min(1),
      issue: z.string().min(1),
      date: z.string().min(1),
      /** Where the vendor publishes the document, to watch it for revisions. */
      source: DocumentSource.optional(),
    }),
    /** `needs-review` for drafts produced by `catalogue extract`. */
    review: z.enum(["reviewed", "needs-review"]),
    endpoints: z.array(Endpoint).min(1),
    pools: z.array(Pool),
    feeds: z.array(FeedSource),
    /** Addresses named by the document that are not endpoints. */
    mentions: z.array(Mention).optional(),
    /** Drafts only: every assumed fact a reviewer must check, by path (`catalogue extract`). */
    reviewFlags: z.array(ReviewFlag).optional(),
    /** Per-group allowlist options, by group (`{"av-update-mirrors": {"aggregate": true}}`). */
    groups: z.record(z.string(), GroupOptions).optional(),
  })
  .superRefine((catalogue, ctx) => {
    const groups = new Set(catalogue.endpoints.map((endpoint) => endpoint.group));
    for (const group of Object.keys(catalogue.groups ?? {})) {
      if (!groups.has(group)) {
        ctx.addIssue({
          code: "custom",
          path: ["groups", group],
          message: `options for unknown group ${JSON.stringify(group)} (no endpoint has it)`,
        });
      }
    }
    catalogue.pools.forEach((pool, i) => {
      if (pool.ips.length === 0 && (pool.ranges?.length ?? 0) === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["pools", i, "ips"],
          message: "a pool needs at least one IP or range",
        });
      }
    });
    const poolIds = new Set(catalogue.pools.map((p) => p.id));
    const seen = new Set<string>();
    catalogue.endpoints.forEach((endpoint, i) => {
      if (seen.has(endpoint.id)) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "id"],
          message: `duplicate endpoint id ${JSON.stringify(endpoint.id)}`,
        });
      }
      seen.add(endpoint.id);
      if (endpoint.pool !== undefined && !poolIds.has(endpoint.pool)) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "pool"],
          message: `unknown pool ${JSON.stringify(endpoint.pool)}`,
        });
      }
      if (endpoint.policy === "pool" && endpoint.pool === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "pool"],
          message: "policy `pool` needs a pool",
        });
      }
      if (
        (endpoint.policy === "cloudfront" || endpoint.policy === "aws-ip-ranges") &&
        endpoint.feed !== endpoint.policy
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "feed"],
          message: `policy \`${endpoint.policy}\` needs feed "${endpoint.policy}"`,
        });
      }
      const wildcard = endpoint.hostname !== null && isWildcardDomain(endpoint.hostname);
      if (wildcard !== (endpoint.policy === "wildcard-domain") && endpoint.hostname !== null) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "policy"],
          message: wildcard
            ? `a wildcard hostname (${endpoint.hostname}) needs policy \`wildcard-domain\``
            : "policy `wildcard-domain` needs a *.domain hostname",
        });
      }
      const needsHost = !["any-destination", "internal"].includes(endpoint.policy);
      if (needsHost && endpoint.hostname === null) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "hostname"],
          message: `policy \`${endpoint.policy}\` needs a hostname`,
        });
      }
    });
  });
export type Catalogue = z.infer<typeof Catalogue>;

/**
 * Hostnames that a run resolves: every endpoint with a hostname, once each; wildcard domains
 * (`wildcard-domain`) are not resolvable and are left out.
 */
export function resolvableHostnames(catalogue: Catalogue): string[] {
  const names = new Set<string>();
  for (const endpoint of catalogue.endpoints) {
    if (endpoint.hostname === null || endpoint.policy === "wildcard-domain") continue;
    if (isWildcardDomain(endpoint.hostname)) continue;
    names.add(endpoint.hostname);
  }
  return [...names].sort();
}
