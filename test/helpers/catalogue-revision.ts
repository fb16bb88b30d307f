import type { Catalogue } from "#shared/catalogue/schema";

/**
 * A later issue of the shipped Clearswift catalogue, as a vendor's revision would change it:
 * a host removed (ra.swisssign.net), one added (a wildcard domain), the license host moved, NTP
 * given TCP as well, a pool grown by one IPv6 address and range, and the RSS host turned from
 * pinned to hostname-only.
 */
export function revisedCatalogue(shipped: Catalogue): Catalogue {
  const revised = structuredClone(shipped);
  revised.document = { ...revised.document, issue: "3.7", date: "2021-09" };
  revised.endpoints = revised.endpoints.filter((e) => e.hostname !== "ra.swisssign.net");
  const base = revised.endpoints.find((e) => e.hostname === "applianceupdate.clearswift.com");
  if (base === undefined) throw new Error("the shipped catalogue has applianceupdate");
  base.ips = ["40.113.232.250"];
  revised.endpoints.push({
    ...structuredClone(base),
    id: "avira-apc/apc.avira.com",
    group: "avira-apc",
    hostname: "*.apc.avira.com",
    policy: "wildcard-domain",
    ips: [],
    retiredIps: [],
  });
  const ntp = revised.endpoints.find((e) => e.hostname === "0.rhel.pool.ntp.org");
  ntp?.ports.push({ protocol: "tcp", port: 123, direction: "out" });
  const mirrors = revised.pools.find((p) => p.id === "av-update-mirrors");
  mirrors?.ips.push("2001:db8::24");
  if (mirrors !== undefined) mirrors.ranges = ["2001:db8:100::/48"];
  const rss = revised.endpoints.find((e) => e.hostname === "www.clearswift.com");
  if (rss !== undefined) {
    rss.policy = "hostname-only";
    rss.ips = [];
  }
  return revised;
}

/** The catalogue with its vendor's document read from `url` (`document.source`). */
export function withDocumentSource(catalogue: Catalogue, url: string): Catalogue {
  return { ...catalogue, document: { ...catalogue.document, source: { url } } };
}
