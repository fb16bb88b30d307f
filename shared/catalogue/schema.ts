import ipaddr from "ipaddr.js";
import { z } from "zod";

/**
 * The catalogue: every endpoint a vendor documents, as facts (hostnames, IPs, ports, protocols,
 * directions, purposes) with provenance. It drives observation (which names to resolve, which
 * feeds to ingest) and the verdicts (each endpoint's expectation policy).
 */

const ipv4 = z.string().refine((s) => ipaddr.IPv4.isValidFourPartDecimal(s), {
  error: (issue) => `${JSON.stringify(issue.input)} is not an IPv4 address`,
});

const hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "must be a lower-case fully qualified hostname",
  );

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
  ip: ipv4,
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
  /** Null for port-only rows and any/any rows. */
  hostname: hostname.nullable(),
  ports: z.array(PortSpec).min(1),
  policy: ExpectationPolicy,
  /** IPs documented for this hostname alone. */
  ips: z.array(ipv4),
  /** Id of the pool whose IPs this endpoint may use. */
  pool: z.string().optional(),
  retiredIps: z.array(RetiredIp),
  /** Feed whose published ranges must contain the endpoint's IPs (cloudfront / aws-ip-ranges). */
  feed: z.enum(["cloudfront", "aws-ip-ranges"]).optional(),
  provenance: Provenance,
  /** How a fact was recorded when the document is irregular (its spelling, its case). */
  notes: z.string().min(1).optional(),
});
export type Endpoint = z.infer<typeof Endpoint>;

export const Pool = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a lower-case slug"),
  description: z.string().min(1),
  ips: z.array(ipv4).min(1),
  retiredIps: z.array(RetiredIp),
  provenance: Provenance,
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
  kind: z.enum(["ipv4", "ipv4-range", "hostname"]),
  reason: z.string().min(1),
  provenance: Provenance,
});
export type Mention = z.infer<typeof Mention>;

export const Catalogue = z
  .strictObject({
    schemaVersion: z.literal(1),
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "must be a lower-case slug"),
    vendor: z.string().min(1),
    product: z.string().min(1),
    document: z.strictObject({
      title: z.string().min(1),
      issue: z.string().min(1),
      date: z.string().min(1),
    }),
    /** `needs-review` for drafts produced by `catalogue extract`. */
    review: z.enum(["reviewed", "needs-review"]),
    endpoints: z.array(Endpoint).min(1),
    pools: z.array(Pool),
    feeds: z.array(FeedSource),
    /** Addresses named by the document that are not endpoints. */
    mentions: z.array(Mention).optional(),
  })
  .superRefine((catalogue, ctx) => {
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

/** Hostnames that a run resolves: every endpoint with a hostname, once each. */
export function resolvableHostnames(catalogue: Catalogue): string[] {
  const names = new Set<string>();
  for (const endpoint of catalogue.endpoints) {
    if (endpoint.hostname !== null) names.add(endpoint.hostname);
  }
  return [...names].sort();
}
