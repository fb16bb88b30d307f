import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AwsClients } from "#shared/adapters/aws/clients";
import { createDynamoFeedPointerStore } from "#shared/adapters/dynamodb/feed-pointer-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { FeedIngestResult, FeedPrefix } from "#shared/domain/feed";
import { feedChangeId } from "#shared/observe/feeds/changes";
import type { FeedGrace } from "#shared/observe/feeds/damping";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";
import type { FeedPointer, UnjudgedFeedChange } from "#shared/observe/feeds/ports";
import { feedDeps } from "#test/helpers/feed-deps";
import { type AwsVersion, awsIpRangesUrl, awsSnapshot } from "#test/helpers/feed-fixtures";
import { startTestStack } from "#test/helpers/stack";

const GRACE: FeedGrace = { runs: 2, hours: 1 };
const show = (prefixes: readonly FeedPrefix[] | undefined) =>
  (prefixes ?? []).map((p) => `${p.prefix} ${p.service} ${p.region}`);

let stack: EmbeddedStack;
beforeEach(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack.stop();
});

const pointers = (clients: AwsClients = stack.clients) =>
  createDynamoFeedPointerStore({ documents: clients.documents, tableName: stack.tableName });

async function ingestAws(version: AwsVersion, at: string, runId: string) {
  const [result] = await ingestFeeds(feedDeps(stack), {
    feeds: [{ id: "aws-ip-ranges", url: awsIpRangesUrl(version) }],
    now: new Date(at),
    options: { grace: GRACE },
    runId,
  });
  return result as FeedIngestResult;
}

describe("accepted feed changes kept on the pointer until judged", () => {
  it("keeps a new snapshot's change with its run and time, and nothing for the baseline", async () => {
    // Act
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z", "feeds-baseline");
    const baseline = await pointers().get("aws-ip-ranges");
    const changed = await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z", "feeds-2120");
    const pointer = await pointers().get("aws-ip-ranges");

    // Assess
    expect(baseline?.unjudged).toBeUndefined();
    expect(pointer?.unjudged).toHaveLength(1);
    const [change] = pointer?.unjudged ?? [];
    expect(change).toMatchObject({
      changeId: changed.diff && feedChangeId(changed.diff),
      runId: "feeds-2120",
      acceptedAt: "2026-08-21T21:20:00.000Z",
      diff: {
        feed: "aws-ip-ranges",
        from: { syncToken: "1787338625" },
        to: { syncToken: "1787347025" },
        removed: [],
      },
    });
    expect(show(change?.diff.added)).toEqual([
      "23.254.40.0/23 AMAZON ca-central-1",
      "23.254.40.0/23 EC2 ca-central-1",
    ]);
  });

  it("keeps removals that came due on an unchanged feed after the change, and marks each apart", async () => {
    // Prepare
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z", "feeds-baseline");
    const changed = await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z", "feeds-2120");
    await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:50:00Z", "feeds-2150");
    const due = await ingestAws("2026-08-21-21-17-05", "2026-08-21T22:20:00Z", "feeds-2220");
    const before = (await pointers().get("aws-ip-ranges")) as FeedPointer;

    // Act
    await pointers().markChangesJudged("aws-ip-ranges", [
      feedChangeId(changed.diff as NonNullable<FeedIngestResult["diff"]>),
    ]);
    const afterFirst = (await pointers().get("aws-ip-ranges")) as FeedPointer;
    await pointers().markChangesJudged("aws-ip-ranges", [
      feedChangeId(due.diff as NonNullable<FeedIngestResult["diff"]>),
    ]);
    const afterBoth = (await pointers().get("aws-ip-ranges")) as FeedPointer;

    // Assess
    expect(before.unjudged?.map((c) => [c.runId, show(c.diff.removed).length])).toEqual([
      ["feeds-2120", 0],
      ["feeds-2220", 2],
    ]);
    expect(afterFirst.unjudged?.map((c) => c.runId)).toEqual(["feeds-2220"]);
    expect(afterBoth.unjudged).toBeUndefined();
    // Marking leaves the optimistic lock alone: an ingest that read the pointer still writes.
    expect(afterBoth.version).toBe(before.version);
  });

  it("changes nothing when the change is not on the list, or the feed has no pointer", async () => {
    // Prepare
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z", "feeds-baseline");
    await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z", "feeds-2120");
    const before = await pointers().get("aws-ip-ranges");

    // Act
    await pointers().markChangesJudged("aws-ip-ranges", ["not-a-change-id"]);
    await pointers().markChangesJudged("cloudfront", ["not-a-change-id"]);

    // Assess
    expect(await pointers().get("aws-ip-ranges")).toEqual(before);
    expect(await pointers().get("cloudfront")).toBeNull();
  });

  it("re-reads and marks again when an ingest moved the pointer between its read and its write", async () => {
    // Prepare: the first mark's write finds the pointer rewritten by an ingest (version + 1).
    await ingestAws("2026-08-21-18-57-05", "2026-08-21T19:00:00Z", "feeds-baseline");
    await ingestAws("2026-08-21-21-17-05", "2026-08-21T21:20:00Z", "feeds-2120");
    const read = (await pointers().get("aws-ip-ranges")) as FeedPointer;
    const [change] = read.unjudged ?? [];
    let raced = false;
    const send = stack.clients.documents.send.bind(stack.clients.documents);
    const racing = {
      ...stack.clients,
      documents: new Proxy(stack.clients.documents, {
        get(target, property, receiver) {
          if (property !== "send") return Reflect.get(target, property, receiver);
          return async (command: unknown) => {
            if (command instanceof UpdateCommand && !raced) {
              raced = true;
              const now = "2026-08-21T21:21:00.000Z";
              await pointers().put(
                { ...read, version: read.version + 1, confirmedAt: now, updatedAt: now },
                read.version,
              );
            }
            return (send as (c: unknown) => Promise<unknown>)(command);
          };
        },
      }),
    } satisfies AwsClients;

    // Act
    await pointers(racing).markChangesJudged("aws-ip-ranges", [change?.changeId ?? ""]);
    const after = (await pointers().get("aws-ip-ranges")) as FeedPointer;

    // Assess
    expect(raced).toBe(true);
    expect(after.version).toBe(read.version + 1);
    expect(after.confirmedAt).toBe("2026-08-21T21:21:00.000Z");
    expect(after.unjudged).toBeUndefined();
  });

  it("keeps a list too large for an item inline, compressed, and marks it", async () => {
    // Prepare: a change of 6,000 prefixes (a large withdrawal), beside a small one.
    const snapshot = await awsSnapshot("2026-08-21-21-17-05");
    const meta = {
      feed: "aws-ip-ranges" as const,
      sha256: snapshot.sha256,
      fetchedAt: "2026-08-21T21:20:00.000Z",
      source: "file:///x",
      archiveKey: `feeds/aws-ip-ranges/${snapshot.sha256}.json`,
      prefixCount: snapshot.prefixCount,
    };
    const change = (removed: FeedPrefix[], runId: string): UnjudgedFeedChange => {
      const diff = { feed: "aws-ip-ranges" as const, from: meta, to: meta, added: [], removed };
      return { changeId: feedChangeId(diff), runId, acceptedAt: meta.fetchedAt, diff };
    };
    const large = change(snapshot.prefixes.slice(0, 6000), "feeds-large");
    const small = change(snapshot.prefixes.slice(0, 1), "feeds-small");
    const stored: FeedPointer = {
      feed: "aws-ip-ranges",
      version: 1,
      meta,
      url: "file:///x",
      damping: { pending: [] },
      confirmedAt: meta.fetchedAt,
      updatedAt: meta.fetchedAt,
      unjudged: [large, small],
    };

    // Act
    await pointers().put(stored, null);
    const read = await pointers().get("aws-ip-ranges");
    await pointers().markChangesJudged("aws-ip-ranges", [large.changeId]);
    const marked = await pointers().get("aws-ip-ranges");

    // Assess
    expect(read).toEqual(stored);
    expect(marked?.unjudged).toEqual([small]);
  });
});
