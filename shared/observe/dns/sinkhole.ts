import type { ResolverAnswer } from "#shared/domain/observation";
import { classifyAddress } from "#shared/observe/dns/observation-window";

/**
 * A resolver that answers every name with one public address (a DNS filter's block page, a
 * captive portal, a hijack) would otherwise be believed: the address would enter the observed set
 * of every hostname, and once the grace period is over every real address would be notified as
 * removed. Private and reserved answers are caught by `classifyAddress`; a public sinkhole is
 * caught by what it does: it serves the same address for hostnames of unrelated owners.
 *
 * So, per resolver and run: an address served for at least `minHostnames` hostnames under at
 * least `minDomains` registered domains (`registeredDomain`) is a sinkhole. Such addresses are
 * recorded as suspicious (range `sinkhole`) by `advanceObservation`: they never enter, and the
 * answer carrying them is no evidence that the real addresses are gone. Breadth is counted in
 * registered domains, not catalogue groups: a vendor that moves its own hosts of several groups
 * behind one CDN address (www.clearswift.com, applianceupdate.clearswift.com, …) is one owner and
 * a real change, not a sinkhole. The shipped zones' widest sharing is 3 hostnames of one domain.
 */
export interface SinkholeOptions {
  /** Fewest hostnames served the same address by one resolver in one run (default 3). */
  minHostnames: number;
  /** Fewest registered domains those hostnames are under (default 3). */
  minDomains: number;
}

export const DEFAULT_SINKHOLE: SinkholeOptions = { minHostnames: 3, minDomains: 3 };

/**
 * Second-level labels that, under a two-letter country-code TLD, are part of the public suffix
 * (`example.co.uk`, `example.com.au`, `example.ac.jp`). Deliberately small: no Public Suffix List.
 */
const SECOND_LEVEL_SUFFIXES = new Set(["co", "com", "net", "org", "ac", "gov"]);

/**
 * The registered domain of a hostname, approximated: its last two labels, or its last three when
 * the TLD has two letters and the second-level label is a common public-suffix part
 * (`SECOND_LEVEL_SUFFIXES`): `a.b.clearswift.com` → `clearswift.com`, `www.example.co.uk` →
 * `example.co.uk`. Lower case, without a trailing dot.
 */
export function registeredDomain(hostname: string): string {
  const labels = hostname.toLowerCase().replace(/\.$/, "").split(".");
  const tld = labels.at(-1) ?? "";
  const second = labels.at(-2) ?? "";
  const keep = tld.length === 2 && SECOND_LEVEL_SUFFIXES.has(second) ? 3 : 2;
  return labels.slice(-keep).join(".");
}

/** The range recorded on a suspicious answer for a sinkhole address. */
export const SINKHOLE_RANGE = "sinkhole";

export interface Sinkhole {
  resolver: string;
  /** Canonical form. */
  ip: string;
  /** Hostnames this resolver served it for in this run. */
  hostnames: string[];
  /** The registered domains of those hostnames. */
  domains: string[];
}

/**
 * Finds the sinkhole addresses of a run and returns them with the answers that carry one
 * annotated (a new map; the input is not changed): their `detail` says why. Pure.
 */
export function distrustSinkholes(
  answers: ReadonlyMap<string, readonly ResolverAnswer[]>,
  options: SinkholeOptions = DEFAULT_SINKHOLE,
): { answers: Map<string, ResolverAnswer[]>; sinkholes: Sinkhole[] } {
  // resolver → ip → hostnames served it
  const served = new Map<string, Map<string, Set<string>>>();
  for (const [hostname, hostAnswers] of answers) {
    for (const answer of hostAnswers) {
      for (const record of [...answer.a, ...answer.aaaa]) {
        const classified = classifyAddress(record.ip);
        if (classified.suspicious) continue;
        const byIp = served.get(answer.resolver) ?? new Map<string, Set<string>>();
        served.set(answer.resolver, byIp);
        const hostnames = byIp.get(classified.ip) ?? new Set<string>();
        byIp.set(classified.ip, hostnames);
        hostnames.add(hostname);
      }
    }
  }

  const sinkholes: Sinkhole[] = [];
  for (const [resolver, byIp] of [...served].sort(([x], [y]) => x.localeCompare(y))) {
    for (const [ip, hostnames] of byIp) {
      if (hostnames.size < options.minHostnames) continue;
      const domains = new Set([...hostnames].map(registeredDomain));
      if (domains.size < options.minDomains) continue;
      sinkholes.push({
        resolver,
        ip,
        hostnames: [...hostnames].sort(),
        domains: [...domains].sort(),
      });
    }
  }

  const out = new Map<string, ResolverAnswer[]>();
  for (const [hostname, hostAnswers] of answers) {
    out.set(
      hostname,
      hostAnswers.map((answer) => {
        const carried = sinkholes.filter(
          (s) =>
            s.resolver === answer.resolver &&
            s.hostnames.includes(hostname) &&
            [...answer.a, ...answer.aaaa].some((r) => classifyAddress(r.ip).ip === s.ip),
        );
        if (carried.length === 0) return answer;
        const why = carried
          .map(
            (s) =>
              `${s.ip} is a sinkhole: this resolver served it for ${s.hostnames.length} ` +
              `hostnames under ${s.domains.length} registered domains in this run`,
          )
          .join("; ");
        return {
          ...answer,
          detail: answer.detail === undefined ? why : `${answer.detail}; ${why}`,
        };
      }),
    );
  }
  return { answers: out, sinkholes };
}

/** The sinkholes by resolver and address, with their range, as `advanceObservation` takes them. */
export function sinkholeRanges(
  sinkholes: readonly Sinkhole[],
): Map<string, ReadonlyMap<string, string>> {
  const ranges = new Map<string, Map<string, string>>();
  for (const sinkhole of sinkholes) {
    const byIp = ranges.get(sinkhole.resolver) ?? new Map<string, string>();
    byIp.set(sinkhole.ip, SINKHOLE_RANGE);
    ranges.set(sinkhole.resolver, byIp);
  }
  return ranges;
}
