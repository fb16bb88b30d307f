import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { judgeDrift } from "#shared/detect/judge-drift";
import type {
  FeedIngestResult,
  FeedPrefix,
  FeedSnapshotMeta,
  RangeMatcher,
} from "#shared/domain/feed";
import { createRangeMatcher } from "#shared/observe/feeds/matcher";
import type { FeedSnapshot } from "#shared/observe/feeds/snapshot";
import { awsSnapshot } from "#test/helpers/feed-fixtures";
import { drainQueue, notifyDeps, subscribeQueue } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import {
  CLOUDFRONT_META,
  CLOUDFRONT_PREFIXES,
  HOSTS,
  matcher,
  observation,
  recordInput,
  steadyState,
} from "#test/helpers/verdict-fixtures";

/** services1.clearswift.net's address in the shipped zone: EC2 eu-west-2 in the real feed. */
const SERVICES1_IP = "35.176.44.12";
/** QA's noeu.json: passes the count check, drops eu-central-1 and eu-west-2. */
const DROPPED_REGIONS = new Set(["eu-central-1", "eu-west-2"]);

function meta(snapshot: FeedSnapshot, sha256: string): FeedSnapshotMeta {
  return {
    feed: "aws-ip-ranges",
    sha256,
    ...(snapshot.syncToken === undefined ? {} : { syncToken: snapshot.syncToken }),
    fetchedAt: "2026-08-21T18:20:00.000Z",
    source: "https://ip-ranges.amazonaws.com/ip-ranges.json",
    archiveKey: `feeds/aws-ip-ranges/${sha256}.json`,
    prefixCount: snapshot.prefixCount,
  };
}

async function edl(stack: EmbeddedStack, group: string): Promise<string[]> {
  const object = await stack.clients.s3.send(
    new GetObjectCommand({ Bucket: stack.bucketName, Key: `allowlists/${group}.txt` }),
  );
  const text = (await object.Body?.transformToString()) ?? "";
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

describe("a feed that drops the regions a host is served from (noeu)", () => {
  let snapshot: FeedSnapshot;
  let stack: EmbeddedStack;
  beforeAll(async () => {
    snapshot = await awsSnapshot("2026-08-21-18-17-05");
  });
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it("keeps the host's address in the allowlist and raises ip-outside-published-ranges once", async () => {
    // Prepare: a baseline run on the full feed, then the regions' withdrawal comes due
    const before = meta(snapshot, snapshot.sha256);
    const after = meta(snapshot, "e".repeat(64));
    const withdrawn: FeedPrefix[] = snapshot.prefixes.filter((p) => DROPPED_REGIONS.has(p.region));
    const kept = snapshot.prefixes.filter((p) => !DROPPED_REGIONS.has(p.region));
    const cloudfront = matcher(CLOUDFRONT_META, CLOUDFRONT_PREFIXES);
    const matchers = (aws: RangeMatcher) =>
      new Map([
        ["cloudfront" as const, cloudfront],
        ["aws-ip-ranges" as const, aws],
      ]);
    const withdrawal: FeedIngestResult = {
      feed: "aws-ip-ranges",
      status: "updated",
      current: after,
      diff: { feed: "aws-ip-ranges", from: before, to: after, added: [], removed: withdrawn },
    };
    const observations = steadyState(observation(HOSTS.aws, { active: [SERVICES1_IP] }));
    const deps = notifyDeps(stack);
    const queue = subscribeQueue(stack, "all");
    await judgeDrift(deps, {
      ...recordInput("r1", 0, observations),
      feeds: { results: [], matchers: matchers(createRangeMatcher(before, snapshot.prefixes)) },
    });
    const listedBefore = await edl(stack, "service-availability");
    const noeu = { results: [withdrawal], matchers: matchers(createRangeMatcher(after, kept)) };

    // Act: the run that accepts the change, then the same change judged again (a retry, or the
    // unjudged-change backlog), then a run with the feed unchanged
    const first = await judgeDrift(deps, { ...recordInput("r2", 4, observations), feeds: noeu });
    const again = await judgeDrift(deps, { ...recordInput("r3", 8, observations), feeds: noeu });
    const unchanged = {
      results: [{ feed: "aws-ip-ranges" as const, status: "unchanged" as const, current: after }],
      matchers: noeu.matchers,
    };
    const later = await judgeDrift(deps, {
      ...recordInput("r4", 12, observations),
      feeds: unchanged,
    });
    const listedLater = await edl(stack, "service-availability");
    await judgeDrift(deps, { ...recordInput("r5", 16, observations), feeds: unchanged });
    const listedStill = await edl(stack, "service-availability");
    // The host stops using the address (absent for the grace period)
    await judgeDrift(deps, {
      ...recordInput(
        "r6",
        20,
        steadyState(observation(HOSTS.aws, { active: [], left: [SERVICES1_IP] })),
      ),
      feeds: unchanged,
    });

    // Assess: the list never empties while the host resolves, carried from the written document
    // on the runs without a feed change, and drops the address once the host no longer uses it
    expect(listedBefore).toContain("35.176.0.0/15");
    expect(listedLater).toEqual([SERVICES1_IP]);
    expect(listedStill).toEqual([SERVICES1_IP]);
    expect(await edl(stack, "service-availability")).toEqual([]);
    const raised = (result: typeof first) =>
      result.changeSets
        .flatMap((set) => set.events)
        .filter((e) => e.type === "ip-outside-published-ranges")
        .map((e) => [e.subject.key, e.severity, e.added]);
    expect(raised(first)).toEqual([
      ["endpoint:service-availability-list/services1.clearswift.net", "high", [SERVICES1_IP]],
    ]);
    expect(raised(again)).toEqual([]);
    expect(raised(later)).toEqual([]);
    const delivered = await drainQueue(stack, queue);
    const outside = delivered.flatMap((d) =>
      d.notification.events.filter((e) => e.type === "ip-outside-published-ranges"),
    );
    expect(outside.map((e) => e.added)).toEqual([[SERVICES1_IP]]);
  });

  it("never lists an address that enters outside every range, with the feed unchanged", async () => {
    // Prepare: a baseline run on the full feed
    const current = meta(snapshot, snapshot.sha256);
    const feeds = {
      results: [{ feed: "aws-ip-ranges" as const, status: "unchanged" as const, current }],
      matchers: new Map([
        ["cloudfront" as const, matcher(CLOUDFRONT_META, CLOUDFRONT_PREFIXES)],
        ["aws-ip-ranges" as const, createRangeMatcher(current, snapshot.prefixes)],
      ]),
    };
    const deps = notifyDeps(stack);
    const outsider = "198.51.100.77";
    await judgeDrift(deps, {
      ...recordInput("r1", 0, steadyState(observation(HOSTS.aws, { active: [SERVICES1_IP] }))),
      feeds,
    });

    // Act: the host newly resolves to an address no published range contains, over two runs
    const first = await judgeDrift(deps, {
      ...recordInput(
        "r2",
        4,
        steadyState(observation(HOSTS.aws, { active: [SERVICES1_IP], entered: [outsider] })),
      ),
      feeds,
    });
    const listedFirst = await edl(stack, "service-availability");
    await judgeDrift(deps, {
      ...recordInput(
        "r3",
        8,
        steadyState(observation(HOSTS.aws, { active: [SERVICES1_IP, outsider] })),
      ),
      feeds,
    });

    // Assess
    expect(listedFirst).toContain("35.176.0.0/15");
    expect(listedFirst).not.toContain(outsider);
    expect(await edl(stack, "service-availability")).not.toContain(outsider);
    const outside = first.events.find((e) => e.type === "ip-outside-published-ranges");
    expect(outside?.added).toEqual([outsider]);
    expect(outside?.action).toContain(
      "neither the published-range rule nor allowlists/service-availability.txt covers it",
    );
  });
});
