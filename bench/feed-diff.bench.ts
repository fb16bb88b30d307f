/**
 * Feed benchmark: parse + diff of consecutive real ip-ranges.json versions, flap damping over the
 * whole replay, and the prefix trie (build + lookups).
 *
 *   npx tsx bench/feed-diff.bench.ts            # the 24 versions in ../shared/feeds
 *   DRIFTWATCH_FEEDS_DIR=fixtures/feeds npx tsx bench/feed-diff.bench.ts   # the shipped 4
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import type { FeedPrefix, FeedSnapshotMeta } from "#shared/domain/feed";
import { dampFeedChanges, EMPTY_DAMPING_STATE } from "#shared/observe/feeds/damping";
import { diffFeedPrefixes } from "#shared/observe/feeds/diff";
import { createRangeMatcher } from "#shared/observe/feeds/matcher";
import { type FeedSnapshot, parseFeedSnapshot } from "#shared/observe/feeds/snapshot";

const root = resolve(import.meta.dirname, "..");
const candidates = [
  process.env.DRIFTWATCH_FEEDS_DIR,
  join(root, "..", "shared", "feeds"),
  join(root, "fixtures", "feeds"),
].filter((dir): dir is string => dir !== undefined);
const feedsDir = candidates.find((dir) => existsSync(join(dir, "aws-ip-ranges"))) ?? "";
const versionsDir = join(feedsDir, "aws-ip-ranges");
const files = readdirSync(versionsDir)
  .filter((name) => name.endsWith(".json.gz"))
  .sort();
const raw = files.map((name) => gunzipSync(readFileSync(join(versionsDir, name))));

function time<T>(action: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const value = action();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms, max ${(sorted.at(-1) ?? 0).toFixed(2)} ms (n=${sorted.length})`;
}

const ROUNDS = Number(process.env.ROUNDS ?? 5);

// Warm-up: let the JIT see every path once.
for (let i = 0; i < 2; i++) {
  const a = parseFeedSnapshot("aws-ip-ranges", raw[0] as Uint8Array);
  const b = parseFeedSnapshot("aws-ip-ranges", raw[1] as Uint8Array);
  diffFeedPrefixes(a.prefixes, b.prefixes);
}

// Each version parsed and verified in full (no memo of validated CIDRs), then diffed with the one
// before it: the CPU part of one ingest.
const parseTimes: number[] = [];
const diffTimes: number[] = [];
const ingestTimes: number[] = [];
let snapshots: FeedSnapshot[] = [];
for (let round = 0; round < ROUNDS; round++) {
  snapshots = [];
  for (let i = 0; i < raw.length; i++) {
    const [snapshot, parseMs] = time(() =>
      parseFeedSnapshot("aws-ip-ranges", raw[i] as Uint8Array),
    );
    parseTimes.push(parseMs);
    snapshots.push(snapshot);
    const previous = snapshots[i - 1];
    if (previous !== undefined) {
      const [, diffMs] = time(() => diffFeedPrefixes(previous.prefixes, snapshot.prefixes));
      diffTimes.push(diffMs);
      ingestTimes.push(parseMs + diffMs);
    }
  }
}

// Flap damping over the replay, one ingest per published version at its createDate.
let rawRemovals = 0;
let rawAdditions = 0;
let dampedRemovals = 0;
let dampedAdditions = 0;
let state = EMPTY_DAMPING_STATE;
for (let i = 1; i < snapshots.length; i++) {
  const previous = snapshots[i - 1] as FeedSnapshot;
  const current = snapshots[i] as FeedSnapshot;
  const changes = diffFeedPrefixes(previous.prefixes, current.prefixes);
  rawAdditions += changes.added.length;
  rawRemovals += changes.removed.length;
  const [y, mo, d, h, mi, s] = (current.createDate ?? "").split("-").map(Number);
  const now = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s));
  const damped = dampFeedChanges({ state, changes, now, grace: { runs: 3, hours: 6 } });
  dampedAdditions += damped.added.length;
  dampedRemovals += damped.removed.length;
  state = damped.state;
}

// Trie: build per snapshot, then lookups of random addresses.
const last = snapshots.at(-1) as FeedSnapshot;
const meta: FeedSnapshotMeta = {
  feed: "aws-ip-ranges",
  sha256: last.sha256,
  fetchedAt: new Date(0).toISOString(),
  source: versionsDir,
  archiveKey: `feeds/aws-ip-ranges/${last.sha256}.json`,
  prefixCount: last.prefixCount,
};
const buildTimes: number[] = [];
let matcher = createRangeMatcher(meta, last.prefixes);
for (let i = 0; i < ROUNDS * 4; i++) {
  const [built, ms] = time(() => createRangeMatcher(meta, last.prefixes));
  matcher = built;
  buildTimes.push(ms);
}
let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed;
};
const v4 = Array.from({ length: 200_000 }, () =>
  [random() % 256, random() % 256, random() % 256, random() % 256].join("."),
);
const v6Prefixes = last.prefixes.filter((p: FeedPrefix) => p.family === 6);
const v6 = Array.from({ length: 50_000 }, (_, i) => {
  const base = (v6Prefixes[i % v6Prefixes.length] as FeedPrefix).prefix.split("/")[0] ?? "::";
  return base.endsWith("::") ? `${base}${(random() % 0xffff).toString(16)}` : base;
});
// Flat strings, as callers get them from a DNS answer or a JSON document (the concatenated ones
// above would make the first lookup of each pay for flattening it), and one warm-up pass: the
// lookups of bench/feed-matcher.bench.ts, in brief.
const flat = (ips: string[]) => ips.map((ip) => JSON.parse(JSON.stringify(ip)) as string);
const v4Flat = flat(v4);
const v6Flat = flat(v6);
let hits = 0;
for (const ip of [...v4Flat, ...v6Flat]) matcher.contains(ip);
const [, v4Ms] = time(() => {
  for (const ip of v4Flat) hits += matcher.contains(ip).length > 0 ? 1 : 0;
});
const [, v6Ms] = time(() => {
  for (const ip of v6Flat) hits += matcher.contains(ip).length > 0 ? 1 : 0;
});

const lines = [
  `feeds dir: ${feedsDir} (${files.length} consecutive versions, ${last.prefixCount.v4} v4 + ${last.prefixCount.v6} v6 prefixes), node ${process.version}, ${ROUNDS} rounds`,
  `parse + verify one version:        ${stats(parseTimes)}`,
  `diff two consecutive versions:     ${stats(diffTimes)}`,
  `parse + diff (one ingest):         ${stats(ingestTimes)}`,
  `trie build (one snapshot):         ${stats(buildTimes)}`,
  `trie lookup, IPv4 (random):        ${((v4Ms * 1e6) / v4.length).toFixed(0)} ns/lookup over ${v4.length}`,
  `trie lookup, IPv6 (in ranges):     ${((v6Ms * 1e6) / v6.length).toFixed(0)} ns/lookup over ${v6.length} (${hits} hits in all)`,
  `replay raw diff:    +${rawAdditions} -${rawRemovals} prefix entries over ${files.length - 1} transitions`,
  `replay damped (3 runs / 6 h): +${dampedAdditions} -${dampedRemovals}, ${state.pending.length} removals still pending`,
];
process.stdout.write(`${lines.join("\n")}\n`);
