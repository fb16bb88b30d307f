import ipaddr from "ipaddr.js";
import { validPort } from "#shared/catalogue/extract/ports-in-prose";
import { unique } from "#shared/catalogue/extract/unique";

/** File names that look like hostnames (`ip-ranges.json`); none of these is a top-level domain. */
const FILE_EXTENSIONS = new Set(
  "json txt html htm pdf xml csv gz tgz exe png jpg jpeg gif svg yml yaml conf cfg ini log js ts rpm deb msi iso tar dat md".split(
    " ",
  ),
);

/** http(s) URLs, up to whitespace, quotes or closing brackets. */
export const URL_PATTERN = /\bhttps?:\/\/[^\s<>"')\]|]+/gi;
const DOMAIN = String.raw`(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}`;
const WILDCARD_PATTERN = new RegExp(
  String.raw`(?<![\w.-])\*\.(${DOMAIN})(?![\w-]|\.[a-z0-9])`,
  "gi",
);
const RANGE_PATTERN = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}\/\d{1,2}(?![\d.])/g;
const IPV4_PATTERN = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)/g;
/** IPv6 candidates (validated by ipaddr.js), with an optional prefix length. */
const IPV6_PATTERN = /(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:\/\d{1,3})?(?![\w:])/gi;
const EMAIL_PATTERN = /\b[\w.+-]+@[\w.-]+\b/g;
const HOSTNAME_PATTERN = new RegExp(
  String.raw`(?<![\w./@*-])${DOMAIN}(?![\w-]|\.[a-z0-9])(?::(\d{1,5})\b(?![.:]\d))?`,
  "gi",
);

export interface Addresses {
  hostnames: string[];
  /** Wildcard domains, written `*.example.com`. */
  wildcards: string[];
  /** IPv4 and IPv6 addresses (IPv6 in canonical form). */
  ips: string[];
  /** CIDR ranges of both families, as network addresses. */
  ranges: string[];
  urls: string[];
  /** Ports written with a hostname, `host:8080`. */
  hostPorts: { host: string; port: number }[];
}

/**
 * Every URL, wildcard domain, CIDR range, IPv4 and IPv6 address and hostname in a piece of text,
 * in order, once each.
 */
export function findAddresses(text: string): Addresses {
  const urls = unique([...text.matchAll(URL_PATTERN)].map((m) => m[0].replace(/[.,;:]+$/, "")));
  const blank = (m: string) => " ".repeat(m.length);
  let rest = text.replace(URL_PATTERN, blank);
  const wildcards = unique([...rest.matchAll(WILDCARD_PATTERN)].map((m) => m[0].toLowerCase()));
  rest = rest.replace(WILDCARD_PATTERN, blank);
  const ranges: string[] = [];
  const ips: { at: number; ip: string }[] = [];
  for (const m of rest.matchAll(RANGE_PATTERN)) {
    if (isIpv4(m[0].split("/")[0]) && ipaddr.isValidCIDR(m[0])) ranges.push(networkOf(m[0]));
  }
  rest = rest.replace(RANGE_PATTERN, blank);
  for (const m of rest.matchAll(IPV6_PATTERN)) {
    const [address = "", bits] = m[0].split("/");
    if (!isIpv6(address)) continue;
    if (bits === undefined) ips.push({ at: m.index, ip: ipaddr.parse(address).toString() });
    else if (ipaddr.isValidCIDR(m[0])) ranges.push(networkOf(m[0]));
  }
  rest = rest.replace(IPV6_PATTERN, (m) => (isIpv6(m.split("/")[0] ?? "") ? blank(m) : m));
  for (const m of rest.matchAll(IPV4_PATTERN))
    if (isIpv4(m[0])) ips.push({ at: m.index, ip: m[0] });
  rest = rest.replace(IPV4_PATTERN, blank).replace(EMAIL_PATTERN, blank);
  const hostPorts: { host: string; port: number }[] = [];
  const hostnames: string[] = [];
  for (const m of rest.matchAll(HOSTNAME_PATTERN)) {
    const host = m[0].replace(/:\d+$/, "").toLowerCase();
    if (FILE_EXTENSIONS.has(host.slice(host.lastIndexOf(".") + 1)) || host.length > 253) continue;
    hostnames.push(host);
    const port = Number(m[1]);
    if (m[1] !== undefined && validPort(port)) hostPorts.push({ host, port });
  }
  return {
    hostnames: unique(hostnames),
    wildcards,
    ips: unique(ips.sort((x, y) => x.at - y.at).map((found) => found.ip)),
    ranges: unique(ranges),
    urls,
    hostPorts,
  };
}

/** `198.51.100.7/24` → `198.51.100.0/24`; `2001:DB8::/32` → `2001:db8::/32`. */
function networkOf(cidr: string): string {
  const [address, bits] = ipaddr.parseCIDR(cidr);
  const network =
    address.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(cidr)
      : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  return `${network.toString()}/${bits}`;
}

function isIpv6(value: string): boolean {
  return /[0-9a-f]/i.test(value) && ipaddr.IPv6.isValid(value);
}

function isIpv4(value: string | undefined): value is string {
  return value !== undefined && ipaddr.IPv4.isValidFourPartDecimal(value);
}
