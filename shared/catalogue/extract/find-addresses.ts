import ipaddr from "ipaddr.js";
import { unique } from "#shared/catalogue/extract/unique";

/** File names that look like hostnames (`ip-ranges.json`); none of these is a top-level domain. */
const FILE_EXTENSIONS = new Set(
  "json txt html htm pdf xml csv gz tgz exe png jpg jpeg gif svg yml yaml conf cfg ini log js ts rpm deb msi iso tar dat".split(
    " ",
  ),
);

/** http(s) URLs, up to whitespace, quotes or closing brackets. */
export const URL_PATTERN = /\bhttps?:\/\/[^\s<>"')\]]+/gi;
const RANGE_PATTERN = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}\/\d{1,2}(?![\d.])/g;
const IPV4_PATTERN = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)/g;
const EMAIL_PATTERN = /\b[\w.+-]+@[\w.-]+\b/g;
const HOSTNAME_PATTERN =
  /(?<![\w./@-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?![\w-]|\.[a-z0-9])/gi;

export interface Addresses {
  hostnames: string[];
  ips: string[];
  ranges: string[];
  urls: string[];
}

/** Every URL, CIDR range, IPv4 address and hostname in a piece of text, in order, once each. */
export function findAddresses(text: string): Addresses {
  const urls = unique([...text.matchAll(URL_PATTERN)].map((m) => m[0].replace(/[.,;:]+$/, "")));
  let rest = text.replace(URL_PATTERN, " ");
  const ranges = unique(
    [...rest.matchAll(RANGE_PATTERN)].map((m) => m[0]).filter((r) => isIpv4(r.split("/")[0])),
  );
  rest = rest.replace(RANGE_PATTERN, " ");
  const ips = unique([...rest.matchAll(IPV4_PATTERN)].map((m) => m[0]).filter(isIpv4));
  rest = rest.replace(IPV4_PATTERN, " ").replace(EMAIL_PATTERN, " ");
  const hostnames = unique(
    [...rest.matchAll(HOSTNAME_PATTERN)]
      .map((m) => m[0].toLowerCase())
      .filter((h) => !FILE_EXTENSIONS.has(h.slice(h.lastIndexOf(".") + 1)))
      .filter((h) => h.length <= 253),
  );
  return { hostnames, ips, ranges, urls };
}

function isIpv4(value: string | undefined): value is string {
  return value !== undefined && ipaddr.IPv4.isValidFourPartDecimal(value);
}
