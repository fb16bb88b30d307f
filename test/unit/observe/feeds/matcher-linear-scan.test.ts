import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import type { FeedPrefix, FeedSnapshotMeta } from "#shared/domain/feed";
import { createRangeMatcher } from "#shared/observe/feeds/matcher";
import { parseFeedSnapshot } from "#shared/observe/feeds/snapshot";

/**
 * The trie answers what a linear scan answers, on the real prefixes of the first and the last
 * shipped ip-ranges.json version with the CloudFront list (and of the latest version in ../shared/feeds
 * when that folder is there), for uniformly random addresses, random addresses inside published
 * prefixes and the addresses on and just past each sampled prefix's ends, IPv4 and IPv6, in the
 * text forms callers pass. The scan is independent of the trie's parsers: prefixes and addresses
 * through ipaddr.js, numbers and BigInts compared in full.
 */

const FIXTURES = fileURLToPath(new URL("../../../../fixtures/feeds/", import.meta.url));
const SHARED = fileURLToPath(new URL("../../../../../shared/feeds/", import.meta.url));

function read(path: string): Uint8Array {
  const bytes = readFileSync(path);
  return path.endsWith(".gz") ? gunzipSync(bytes) : bytes;
}

function versionsIn(dir: string): string[] {
  return readdirSync(`${dir}aws-ip-ranges`)
    .filter((name) => name.endsWith(".json.gz"))
    .sort()
    .map((name) => `${dir}aws-ip-ranges/${name}`);
}

const cloudfront = parseFeedSnapshot(
  "cloudfront",
  read(`${FIXTURES}cloudfront/list-cloudfront-ips.json.gz`),
).prefixes;
const shipped = versionsIn(FIXTURES);
const sources = [
  ...[shipped[0], shipped.at(-1)].filter((path): path is string => path !== undefined),
  ...(existsSync(`${SHARED}aws-ip-ranges`) ? versionsIn(SHARED).slice(-1) : []),
];

/** A prefix as the range of addresses it holds, as BigInts (IPv4 in the low 32 bits). */
interface Range {
  prefix: FeedPrefix;
  length: number;
  start: bigint;
  end: bigint;
}

function toBigInt(bytes: number[]): bigint {
  return bytes.reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
}

function rangeOf(prefix: FeedPrefix): Range {
  const [address, length] = ipaddr.parseCIDR(prefix.prefix);
  const bits = prefix.family === 4 ? 32 : 128;
  const start = toBigInt(address.toByteArray());
  return { prefix, length, start, end: start + (1n << BigInt(bits - length)) - 1n };
}

/** Every range holding the address, least specific first, in feed order among equals. */
function scan(ranges: readonly Range[], ip: string): FeedPrefix[] {
  let address = ipaddr.parse(ip);
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  const family = address.kind() === "ipv4" ? 4 : 6;
  const n = toBigInt(address.toByteArray());
  return ranges
    .filter((r) => r.prefix.family === family && r.start <= n && n <= r.end)
    .sort((a, b) => a.length - b.length)
    .map((r) => r.prefix);
}

let seed = 0x5eed;
/** A fixed-seed xorshift generator, so a failure names an address that fails again. */
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function randomBigInt(bits: number): bigint {
  let n = 0n;
  for (let i = 0; i < bits; i += 32) n = (n << 32n) | BigInt(random());
  return n & ((1n << BigInt(bits)) - 1n);
}

function bytesOf(n: bigint, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number((n >> BigInt(8 * (count - 1 - i))) & 255n));
}

/** The address as text in one of the forms a caller may pass, chosen at random. */
function text(n: bigint, family: 4 | 6): string {
  if (family === 4) {
    const v4 = ipaddr.fromByteArray(bytesOf(n, 4)) as ipaddr.IPv4;
    const mapped = v4.toIPv4MappedAddress();
    const forms = [v4.toString(), `::ffff:${v4.toString()}`, mapped.toRFC5952String()];
    return forms[random() % forms.length] as string;
  }
  const v6 = ipaddr.fromByteArray(bytesOf(n, 16)) as ipaddr.IPv6;
  const forms = [
    v6.toRFC5952String(),
    v6
      .toNormalizedString()
      .split(":")
      .map((group) => group.padStart(4, "0"))
      .join(":"),
    v6.toNormalizedString(),
    v6.toRFC5952String().toUpperCase(),
  ];
  return forms[random() % forms.length] as string;
}

/** Random addresses, random addresses inside random ranges, and the ends of sampled ranges. */
function addresses(ranges: readonly Range[], family: 4 | 6): string[] {
  const own = ranges.filter((r) => r.prefix.family === family);
  const bits = family === 4 ? 32 : 128;
  const top = (1n << BigInt(bits)) - 1n;
  const picked: bigint[] = [];
  for (let i = 0; i < 250; i++) picked.push(randomBigInt(bits));
  for (let i = 0; i < 250; i++) {
    const r = own[random() % own.length] as Range;
    picked.push(r.start + (randomBigInt(bits) % (r.end - r.start + 1n)));
  }
  for (let i = 0; i < own.length; i += 47) {
    const r = own[i] as Range;
    picked.push(r.start - 1n, r.start, r.end, r.end + 1n);
  }
  return picked.filter((n) => n >= 0n && n <= top).map((n) => text(n, family));
}

const meta = (sha256: string): FeedSnapshotMeta => ({
  feed: "aws-ip-ranges",
  sha256,
  fetchedAt: "2026-08-22T15:20:00.000Z",
  source: "file:///fixtures",
  archiveKey: `feeds/aws-ip-ranges/${sha256}.json`,
  prefixCount: { v4: 0, v6: 0 },
});

describe("the trie against a linear scan over real feed prefixes", () => {
  it.each(sources.map((path) => [path.split("/").slice(-3).join("/"), path]))(
    "answers every lookup as the scan does (%s with the CloudFront list)",
    (_name, path) => {
      // Prepare
      const snapshot = parseFeedSnapshot("aws-ip-ranges", read(path));
      const prefixes = [...snapshot.prefixes, ...cloudfront];
      const matcher = createRangeMatcher(meta(snapshot.sha256), prefixes);
      const ranges = prefixes.map(rangeOf);
      const ips = [...addresses(ranges, 4), ...addresses(ranges, 6)];

      // Act
      const disagreements = ips.filter(
        (ip) => JSON.stringify(matcher.contains(ip)) !== JSON.stringify(scan(ranges, ip)),
      );

      // Assess
      expect(ips.length).toBeGreaterThan(1500);
      expect(ips.filter((ip) => scan(ranges, ip).length > 0).length).toBeGreaterThan(800);
      expect(disagreements).toEqual([]);
    },
  );
});
