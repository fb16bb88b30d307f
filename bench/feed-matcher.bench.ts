/**
 * Prefix trie against a linear scan: `RangeMatcher.contains(ip)` (shared/observe/feeds/matcher.ts)
 * and a scan of every prefix of the address's family, over the real prefixes of one
 * ip-ranges.json version plus the CloudFront list, for IPv4 and IPv6 alike.
 *
 *   npx tsx bench/feed-matcher.bench.ts [--rounds 7] [--lookups 200000] [--scans 2000]
 *   DRIFTWATCH_FEEDS_DIR=fixtures/feeds npx tsx bench/feed-matcher.bench.ts
 *
 * The scan is the fair one: prefixes parsed once into typed arrays (network and mask words), the
 * address parsed by the same `parseAddress` as the trie, every prefix of the family compared
 * word by word, the matches ordered least specific first as the trie returns them. Both sides
 * take the address as text, as callers pass it. Before timing, every scanned address is checked
 * to get the same answer from both. Address sets: `random` (uniform over the address space, mostly
 * misses) and `in ranges` (a random address inside a random published prefix, always a hit).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import type { FeedPrefix, FeedSnapshotMeta, RangeMatcher } from "#shared/domain/feed";
import { parseAddress, parseFeedCidr } from "#shared/observe/feeds/cidr";
import { formatIpv6 } from "#shared/observe/feeds/ip-text";
import { createRangeMatcher } from "#shared/observe/feeds/matcher";
import { parseFeedSnapshot } from "#shared/observe/feeds/snapshot";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    lookups: { type: "string", default: "200000" },
    scans: { type: "string", default: "2000" },
  },
});
const ROUNDS = Number(values.rounds);
const LOOKUPS = Number(values.lookups);
const SCANS = Number(values.scans);

const root = resolve(import.meta.dirname, "..");
const feedsDir =
  [
    process.env.DRIFTWATCH_FEEDS_DIR,
    join(root, "..", "shared", "feeds"),
    join(root, "fixtures", "feeds"),
  ]
    .filter((dir): dir is string => dir !== undefined)
    .find((dir) => existsSync(join(dir, "aws-ip-ranges"))) ?? "";

function readFeed(path: string): Uint8Array {
  const bytes = readFileSync(path);
  return path.endsWith(".gz") ? gunzipSync(bytes) : bytes;
}

const versions = readdirSync(join(feedsDir, "aws-ip-ranges"))
  .filter((name) => name.endsWith(".json.gz"))
  .sort();
const version = versions.at(-1) ?? "";
const cloudfrontFile = readdirSync(join(feedsDir, "cloudfront")).find((name) =>
  name.startsWith("list-cloudfront-ips.json"),
);
const prefixes: FeedPrefix[] = [
  ...parseFeedSnapshot("aws-ip-ranges", readFeed(join(feedsDir, "aws-ip-ranges", version)))
    .prefixes,
  ...(cloudfrontFile === undefined
    ? []
    : parseFeedSnapshot("cloudfront", readFeed(join(feedsDir, "cloudfront", cloudfrontFile)))
        .prefixes),
];
const meta: FeedSnapshotMeta = {
  feed: "aws-ip-ranges",
  sha256: "bench",
  fetchedAt: new Date(0).toISOString(),
  source: feedsDir,
  archiveKey: "feeds/aws-ip-ranges/bench.json",
  prefixCount: { v4: 0, v6: 0 },
};

/** Every prefix of one family in typed arrays: network and mask words, `width` words each. */
interface ScanTable {
  width: number;
  network: Uint32Array;
  mask: Uint32Array;
  lengths: Uint8Array;
  prefixes: FeedPrefix[];
}

function scanTable(family: 4 | 6): ScanTable {
  const own = prefixes.filter((prefix) => prefix.family === family);
  const width = family === 4 ? 1 : 4;
  const table: ScanTable = {
    width,
    network: new Uint32Array(own.length * width),
    mask: new Uint32Array(own.length * width),
    lengths: new Uint8Array(own.length),
    prefixes: own,
  };
  own.forEach((prefix, i) => {
    const check = parseFeedCidr(prefix.prefix, family);
    if (!check.ok) throw new Error(`${prefix.prefix} ${check.problem}`);
    table.lengths[i] = check.cidr.length;
    for (let w = 0; w < width; w++) {
      const kept = Math.min(32, Math.max(0, check.cidr.length - 32 * w));
      table.mask[i * width + w] = kept === 0 ? 0 : (0xffffffff << (32 - kept)) >>> 0;
      table.network[i * width + w] = check.cidr.words[w] as number;
    }
  });
  return table;
}

/** The linear scan with the matcher's contract: every containing prefix, least specific first. */
function linearMatcher(): Pick<RangeMatcher, "contains"> {
  const tables = { 4: scanTable(4), 6: scanTable(6) };
  const address = new Uint32Array(4);
  return {
    contains(ip: string): FeedPrefix[] {
      const family = parseAddress(ip, address);
      if (family === 0) throw new RangeError(`${JSON.stringify(ip)} is not an IP address`);
      const { width, network, mask, lengths, prefixes: own } = tables[family];
      const found: number[] = [];
      const a0 = address[0] as number;
      if (width === 1) {
        for (let i = 0; i < own.length; i++) {
          if ((a0 & (mask[i] as number)) >>> 0 === network[i]) found.push(i);
        }
      } else {
        const [, a1, a2, a3] = address as unknown as [number, number, number, number];
        for (let i = 0, at = 0; i < own.length; i++, at += 4) {
          if (
            (a0 & (mask[at] as number)) >>> 0 === network[at] &&
            (a1 & (mask[at + 1] as number)) >>> 0 === network[at + 1] &&
            (a2 & (mask[at + 2] as number)) >>> 0 === network[at + 2] &&
            (a3 & (mask[at + 3] as number)) >>> 0 === network[at + 3]
          ) {
            found.push(i);
          }
        }
      }
      found.sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
      return found.map((i) => own[i] as FeedPrefix);
    },
  };
}

let seed = 12;
/** A 32-bit word from a fixed-seed xorshift generator (the same sets in every run). */
function word(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

/** An address as text: random words, or random host bits inside a random prefix of the family. */
function addresses(family: 4 | 6, inRanges: boolean, count: number): string[] {
  const own = prefixes.filter((prefix) => prefix.family === family);
  const width = family === 4 ? 1 : 4;
  return Array.from({ length: count }, () => {
    const words = Array.from({ length: width }, word);
    if (inRanges) {
      const check = parseFeedCidr((own[word() % own.length] as FeedPrefix).prefix, family);
      if (!check.ok) throw new Error(check.problem);
      for (let w = 0; w < width; w++) {
        const kept = Math.min(32, Math.max(0, check.cidr.length - 32 * w));
        const mask = kept === 0 ? 0 : (0xffffffff << (32 - kept)) >>> 0;
        words[w] =
          (((check.cidr.words[w] as number) & mask) | ((words[w] as number) & ~mask)) >>> 0;
      }
    }
    // Through JSON, as a flat string like the ones callers get from a DNS answer or a document.
    const text =
      family === 4
        ? [24, 16, 8, 0].map((s) => ((words[0] as number) >>> s) & 255).join(".")
        : formatIpv6(words);
    return JSON.parse(JSON.stringify(text)) as string;
  });
}

/** CPU and wall nanoseconds per lookup of one pass over the addresses. */
function pass(
  matcher: Pick<RangeMatcher, "contains">,
  ips: string[],
): { cpu: number; wall: number } {
  let sink = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const ip of ips) sink += matcher.contains(ip).length;
  const wall = Number(process.hrtime.bigint() - start) / ips.length;
  const used = process.cpuUsage(cpu);
  if (sink < 0) throw new Error("unreachable");
  return { cpu: ((used.user + used.system) * 1e3) / ips.length, wall };
}

const median = (samples: number[]) =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;

interface PassTime {
  cpu: number;
  wall: number;
}

interface Timing {
  trie: PassTime;
  linear: PassTime;
}

/**
 * Median ns per lookup of each side over `ROUNDS` rounds, a trie pass and a scan pass taking
 * turns in each round, so a change in machine load falls on both.
 */
function timeBoth(
  sides: Record<"trie" | "linear", Pick<RangeMatcher, "contains">>,
  ips: string[],
  scanned: string[],
): Timing {
  pass(sides.trie, ips);
  pass(sides.linear, scanned.slice(0, 200));
  const samples: Record<"trie" | "linear", PassTime[]> = { trie: [], linear: [] };
  for (let round = 0; round < ROUNDS; round++) {
    samples.trie.push(pass(sides.trie, ips));
    samples.linear.push(pass(sides.linear, scanned));
  }
  const of = (side: PassTime[]): PassTime => ({
    cpu: median(side.map((s) => s.cpu)),
    wall: median(side.map((s) => s.wall)),
  });
  return { trie: of(samples.trie), linear: of(samples.linear) };
}

const ns = (value: number) =>
  value >= 1e4 ? `${(value / 1e3).toFixed(1)} µs` : `${value.toFixed(0)} ns`;
const perSecond = (value: number) => `${(1e3 / value).toFixed(value > 1e4 ? 3 : 2)} M/s`;

const trie = createRangeMatcher(meta, prefixes);
const linear = linearMatcher();
const key = (found: FeedPrefix[]) =>
  found.map((p) => `${p.prefix} ${p.service} ${p.region} ${p.networkBorderGroup}`).join(", ");

const rows: string[] = [];
for (const family of [4, 6] as const) {
  for (const inRanges of [false, true]) {
    const ips = addresses(family, inRanges, LOOKUPS);
    const scanned = ips.slice(0, SCANS);
    let hits = 0;
    for (const ip of scanned) {
      const expected = key(linear.contains(ip));
      if (key(trie.contains(ip)) !== expected) throw new Error(`trie and scan differ on ${ip}`);
      if (expected !== "") hits++;
    }
    const { trie: t, linear: l } = timeBoth({ trie, linear }, ips, scanned);
    rows.push(
      `| IPv${family} | ${inRanges ? "in ranges" : "random"} | ${((100 * hits) / scanned.length).toFixed(0)}% | ${ns(t.cpu)} | ${perSecond(t.cpu)} | ${ns(l.cpu)} | ${perSecond(l.cpu)} | ${(l.cpu / t.cpu).toFixed(0)}× | ${ns(t.wall)} / ${ns(l.wall)} (${(l.wall / t.wall).toFixed(0)}×) |`,
    );
  }
}

const count = (family: 4 | 6) => prefixes.filter((p) => p.family === family).length;
process.stdout.write(
  `${[
    `prefixes: ${version} + CloudFront from ${feedsDir} (${count(4)} IPv4, ${count(6)} IPv6), node ${process.version}, ${ROUNDS} rounds, ${LOOKUPS} trie lookups and ${SCANS} scans per set (answers checked equal)`,
    "CPU time per lookup (process.cpuUsage: the time the process ran, not the time it waited for a core); wall time in the last column",
    "| family | addresses | hits | trie | trie lookups/s | linear scan | scan lookups/s | trie vs scan | wall: trie / scan |",
    "| ------ | --------- | ---- | ---- | -------------- | ----------- | -------------- | ------------ | ----------------- |",
    ...rows,
  ].join("\n")}\n`,
);
