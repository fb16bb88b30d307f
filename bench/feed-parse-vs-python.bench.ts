/**
 * Feed parse + verify + diff of two real ip-ranges.json versions: driftwatch
 * (`parseFeedSnapshot` twice, then `diffFeedPrefixes`) against a Python reference doing the same
 * work with `json` + `ipaddress` + `hashlib` (bench/feed_parse_reference.py), on the same files
 * in the same run. Target: ours ≤ 0.3× Python's time.
 *
 *   npx tsx bench/feed-parse-vs-python.bench.ts [--rounds 9] [--blocks 3]
 *     [--old 2026-08-21-18-57-05] [--new 2026-08-21-21-17-05]
 *   DRIFTWATCH_FEEDS_DIR=fixtures/feeds PYTHON=python3 npx tsx bench/feed-parse-vs-python.bench.ts
 *
 * Both sides read and gunzip the files before timing and time only the work, in-process (Python's
 * start-up is not counted). The sides take turns in `blocks` (ours, Python, ours, Python, ...;
 * `rounds` runs each per block), so a change in machine load falls on both. Before printing, the
 * two results are checked to agree: md5, sha256, prefix counts, the added and removed entries.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import type { FeedPrefix } from "#shared/domain/feed";
import { diffFeedPrefixes } from "#shared/observe/feeds/diff";
import { parseFeedSnapshot } from "#shared/observe/feeds/snapshot";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "9" },
    blocks: { type: "string", default: "3" },
    old: { type: "string", default: "2026-08-21-18-57-05" },
    new: { type: "string", default: "2026-08-21-21-17-05" },
  },
});
const ROUNDS = Number(values.rounds);
const BLOCKS = Number(values.blocks);

const root = resolve(import.meta.dirname, "..");
const path = (dir: string, version: string) =>
  join(dir, "aws-ip-ranges", `ip-ranges-${version}.json.gz`);
const feedsDir =
  [
    process.env.DRIFTWATCH_FEEDS_DIR,
    join(root, "..", "shared", "feeds"),
    join(root, "fixtures", "feeds"),
  ]
    .filter((dir): dir is string => dir !== undefined)
    .find((dir) => existsSync(path(dir, values.old)) && existsSync(path(dir, values.new))) ?? "";
const files = [path(feedsDir, values.old), path(feedsDir, values.new)] as const;
const oldBytes: Uint8Array = gunzipSync(readFileSync(files[0]));
const newBytes: Uint8Array = gunzipSync(readFileSync(files[1]));

interface Outcome {
  old: { md5: string; sha256: string; counts: { v4: number; v6: number } };
  new: { md5: string; sha256: string; counts: { v4: number; v6: number } };
  added: string[];
  removed: string[];
}

const show = (p: FeedPrefix) => `${p.prefix} ${p.service} ${p.region} ${p.networkBorderGroup}`;

/** Our side of one run: what an ingest does with the archived previous version and the new one. */
function ours(): Outcome {
  const before = parseFeedSnapshot("aws-ip-ranges", oldBytes);
  const after = parseFeedSnapshot("aws-ip-ranges", newBytes);
  const changes = diffFeedPrefixes(before.prefixes, after.prefixes);
  const side = (s: typeof before) => ({ md5: s.md5, sha256: s.sha256, counts: s.prefixCount });
  return {
    old: side(before),
    new: side(after),
    added: changes.added.map(show),
    removed: changes.removed.map(show),
  };
}

function oursTimed(rounds: number): { times: number[]; outcome: Outcome } {
  const times: number[] = [];
  let outcome = ours();
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    outcome = ours();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { times, outcome };
}

function pythonTimed(rounds: number): { times: number[]; outcome: Outcome; version: string } {
  const script = join(import.meta.dirname, "feed_parse_reference.py");
  const output = execFileSync(
    process.env.PYTHON ?? "python3",
    [script, "--rounds", String(rounds), ...files],
    { encoding: "utf8" },
  );
  const parsed = JSON.parse(output) as Outcome & { timesMs: number[]; python: string };
  return { times: parsed.timesMs, outcome: parsed, version: parsed.python };
}

/** Both sides found the same: hashes, counts, and the same entries added and removed. */
function sameOutcome(a: Outcome, b: Outcome): boolean {
  const sorted = (list: string[]) => JSON.stringify([...list].sort());
  const facts = ({ old, new: next }: Outcome) =>
    JSON.stringify(
      [old, next].map(({ md5, sha256, counts }) => [md5, sha256, counts.v4, counts.v6]),
    );
  return (
    facts(a) === facts(b) &&
    sorted(a.added) === sorted(b.added) &&
    sorted(a.removed) === sorted(b.removed)
  );
}

const median = (samples: number[]) =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;
const min = (samples: number[]) => Math.min(...samples);

const firstStart = process.hrtime.bigint();
const first = ours();
const firstMs = Number(process.hrtime.bigint() - firstStart) / 1e6;
const oursTimes: number[] = [];
const pythonTimes: number[] = [];
let python = "";
for (let block = 0; block < BLOCKS; block++) {
  const mine = oursTimed(ROUNDS);
  const theirs = pythonTimed(ROUNDS);
  if (!sameOutcome(mine.outcome, theirs.outcome) || !sameOutcome(first, mine.outcome)) {
    throw new Error(
      `driftwatch and the Python reference disagree: ${JSON.stringify({ mine: mine.outcome, theirs: theirs.outcome })}`,
    );
  }
  oursTimes.push(...mine.times);
  pythonTimes.push(...theirs.times);
  python = theirs.version;
}

const row = (name: string, times: number[]) =>
  `| ${name} | ${median(times).toFixed(1)} ms | ${min(times).toFixed(1)} ms | ${times.length} |`;
process.stdout.write(
  `${[
    `${values.old} -> ${values.new} from ${feedsDir}: +${first.added.length} -${first.removed.length} entries, ${first.new.counts.v4} v4 + ${first.new.counts.v6} v6 prefixes; node ${process.version}, Python ${python}, ${BLOCKS} blocks of ${ROUNDS} rounds each`,
    "| side (parse + verify both, diff) | median | min | runs |",
    "| -------------------------------- | ------ | --- | ---- |",
    row("driftwatch", oursTimes),
    row("Python json + ipaddress", pythonTimes),
    `ours / Python: ${(median(oursTimes) / median(pythonTimes)).toFixed(3)} (medians), ${(min(oursTimes) / min(pythonTimes)).toFixed(3)} (minimums); our first run (JIT cold) ${firstMs.toFixed(1)} ms`,
  ].join("\n")}\n`,
);
