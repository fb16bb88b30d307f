import { describe, expect, it } from "vitest";
import type { FeedIngestResult } from "#shared/domain/feed";
import { acceptSnapshot, lostRaceResult } from "#shared/observe/feeds/accept-snapshot";
import { confirmUnchanged, unchangedAfterConflict } from "#shared/observe/feeds/confirm-unchanged";
import type { FeedGrace } from "#shared/observe/feeds/damping";
import { feedFetchRequest } from "#shared/observe/feeds/feed-fetch-request";
import { type DownloadContext, judgeDownload } from "#shared/observe/feeds/judge-download";
import type { FeedPointer } from "#shared/observe/feeds/ports";
import type { IpSpaceChangedNotification } from "#shared/observe/feeds/schema";
import type { FeedSnapshot } from "#shared/observe/feeds/snapshot";
import {
  staleVersionReason,
  storedVersion,
  withVersionWarning,
} from "#shared/observe/feeds/stored-version";
import {
  AWS_VERSIONS,
  type AwsVersion,
  awsSnapshot,
  readAwsIpRanges,
} from "#test/helpers/feed-fixtures";

const URL = "https://ip-ranges.amazonaws.com/ip-ranges.json";
const SOURCE = { id: "aws-ip-ranges" as const, url: URL };
const T0 = new Date("2026-08-21T19:00:00Z");
const GRACE: FeedGrace = { runs: 3, hours: 6 };
const HOUR = 3_600_000;
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);
const FLAPPING = "1.178.86.0/24";

/** The pointer after a feed's first snapshot was accepted at `T0`. */
function firstPointer(snapshot: FeedSnapshot): FeedPointer {
  return acceptSnapshot({
    source: SOURCE,
    pointer: null,
    previous: null,
    snapshot,
    fetched: { url: URL, etag: '"v1"', lastModified: "Fri, 21 Aug 2026 18:17:05 GMT" },
    now: T0,
    grace: GRACE,
    runId: "run-1",
    warning: {},
  }).pointer;
}

function context(pointer: FeedPointer | null, extra: Partial<DownloadContext> = {}) {
  return {
    feed: "aws-ip-ranges" as const,
    pointer,
    stored: storedVersion("aws-ip-ranges", pointer?.meta ?? null, T0, 3_600),
    notification: undefined,
    // After every fixture version's date.
    now: at(4),
    toleranceSeconds: 3_600,
    minPrefixRatio: 0.5,
    ...extra,
  } satisfies DownloadContext;
}

function notificationOf(version: AwsVersion, md5?: string): IpSpaceChangedNotification {
  return {
    syncToken: AWS_VERSIONS[version].syncToken,
    md5: md5 ?? AWS_VERSIONS[version].md5,
    createTime: version,
    url: URL,
  };
}

describe("the stored version", () => {
  it("orders new versions against the current syncToken", async () => {
    // Prepare
    const pointer = firstPointer(await awsSnapshot("2026-08-21-18-57-05"));

    // Act
    const stored = storedVersion("aws-ip-ranges", pointer.meta, T0, 3_600);

    // Assess
    expect(stored).toEqual({ syncToken: "1787338625", warning: undefined });
    expect(staleVersionReason("fetched", "1787336225", stored)).toBe(
      "fetched syncToken 1787336225 is not newer than the stored 1787338625",
    );
    expect(staleVersionReason("notification", "1787338625", stored)).toBe(
      "notification syncToken 1787338625 is not newer than the stored 1787338625",
    );
    expect(staleVersionReason("fetched", "1787347025", stored)).toBeNull();
    expect(staleVersionReason("fetched", undefined, stored)).toBeNull();
  });

  it("does not use a syncToken dated past the tolerance, and warns about it on every result", async () => {
    const meta = { ...firstPointer(await awsSnapshot("2026-08-21-18-57-05")).meta };
    meta.syncToken = "4102444800";

    const stored = storedVersion("aws-ip-ranges", meta, T0, 3_600);

    expect(stored.syncToken).toBeUndefined();
    expect(stored.warning).toBe(
      "feed aws-ip-ranges: the stored syncToken 4102444800 is more than 3600 s after now " +
        "(2026-08-21T19:00:00.000Z); it is not used to order versions",
    );
    expect(staleVersionReason("fetched", "1787336225", stored)).toBeNull();
    const result: FeedIngestResult = { feed: "aws-ip-ranges", status: "updated", current: meta };
    expect(withVersionWarning(result, stored).warning).toBe(stored.warning);
    expect(withVersionWarning({ ...result, warning: "first" }, stored).warning).toBe(
      `first; ${stored.warning}`,
    );
    expect(withVersionWarning(result, { syncToken: "1", warning: undefined })).toBe(result);
  });
});

describe("the download request", () => {
  it("sends the validators of the last download from the same URL", async () => {
    const pointer = firstPointer(await awsSnapshot("2026-08-21-18-17-05"));

    expect(feedFetchRequest(SOURCE, pointer, true)).toEqual({
      feed: "aws-ip-ranges",
      url: URL,
      etag: '"v1"',
      lastModified: "Fri, 21 Aug 2026 18:17:05 GMT",
    });
  });

  it("sends none for a first download, another URL, or an unreadable current snapshot", async () => {
    const pointer = firstPointer(await awsSnapshot("2026-08-21-18-17-05"));
    const bare = { feed: "aws-ip-ranges", url: URL };

    expect(feedFetchRequest(SOURCE, null, true)).toEqual(bare);
    expect(feedFetchRequest(SOURCE, pointer, false)).toEqual(bare);
    expect(feedFetchRequest({ ...SOURCE, url: `${URL}?v=2` }, pointer, true)).toEqual({
      feed: "aws-ip-ranges",
      url: `${URL}?v=2`,
    });
  });
});

describe("judging a download", () => {
  it("calls the bytes of the current snapshot `current`", async () => {
    const bytes = await readAwsIpRanges("2026-08-21-18-17-05");
    const pointer = firstPointer(await awsSnapshot("2026-08-21-18-17-05"));

    expect(judgeDownload({ bytes }, context(pointer))).toEqual({ verdict: "current", pointer });
  });

  it("calls a newer version `new`, and an older one `stale`", async () => {
    const pointer = firstPointer(await awsSnapshot("2026-08-21-18-57-05"));

    const newer = judgeDownload(
      { bytes: await readAwsIpRanges("2026-08-21-21-17-05") },
      context(pointer),
    );
    const older = judgeDownload(
      { bytes: await readAwsIpRanges("2026-08-21-18-17-05") },
      context(pointer),
    );

    expect(newer.verdict).toBe("new");
    expect(newer.verdict === "new" && newer.snapshot.syncToken).toBe("1787347025");
    expect(older).toEqual({
      verdict: "stale",
      reason: "fetched syncToken 1787336225 is not newer than the stored 1787338625",
    });
  });

  it("rejects bytes whose md5 is not the one notified for their syncToken", async () => {
    const notification = notificationOf("2026-08-21-21-17-05", "0".repeat(32));

    const judged = judgeDownload(
      { bytes: await readAwsIpRanges("2026-08-21-21-17-05") },
      context(null, { notification }),
    );

    expect(judged.verdict).toBe("rejected");
    expect(judged.verdict === "rejected" && judged.error.reason).toMatch(
      /^md5 mismatch for syncToken 1787347025/,
    );
  });

  it("notes a notification about another version (its md5 says nothing about these bytes)", async () => {
    const notification = notificationOf("2026-08-21-22-37-05");

    const judged = judgeDownload(
      { bytes: await readAwsIpRanges("2026-08-21-21-17-05") },
      context(null, { notification }),
    );

    expect(judged.verdict).toBe("new");
    expect(judged.otherVersionNotified).toEqual({
      notified: "1787351825",
      fetched: "1787347025",
    });
  });

  it("rejects an HTML page and a collapsed prefix count", async () => {
    const pointer = firstPointer(await awsSnapshot("2026-08-21-18-57-05"));
    const html = new TextEncoder().encode("<html><body>maintenance</body></html>");

    const page = judgeDownload({ bytes: html, contentType: "text/html" }, context(pointer));
    const collapsed = judgeDownload(
      { bytes: await readAwsIpRanges("2026-08-21-21-17-05") },
      context(pointer, { minPrefixRatio: 1.5 }),
    );

    expect(page.verdict).toBe("rejected");
    expect(collapsed.verdict === "rejected" && collapsed.error.reason).toMatch(
      /^prefix count collapsed: v4 /,
    );
  });
});

describe("accepting a new snapshot", () => {
  it("takes a feed's first snapshot as a baseline: everything added, nothing to judge", async () => {
    const snapshot = await awsSnapshot("2026-08-21-18-17-05");

    const accepted = acceptSnapshot({
      source: SOURCE,
      pointer: null,
      previous: null,
      snapshot,
      fetched: { url: URL },
      now: T0,
      grace: GRACE,
      runId: undefined,
      warning: {},
    });

    expect(accepted.expectedVersion).toBeNull();
    expect(accepted.meta.archiveKey).toBe(`feeds/aws-ip-ranges/${snapshot.sha256}.json`);
    expect(accepted.archiveMetadata).toEqual({
      feed: "aws-ip-ranges",
      syncToken: "1787336225",
      createDate: "2026-08-21-18-17-05",
      fetchedAt: T0.toISOString(),
      source: URL,
    });
    expect(accepted.pointer).toMatchObject({ version: 1, damping: { pending: [] }, unjudged: [] });
    expect(accepted.result.diff?.from).toBeNull();
    expect(accepted.result.diff?.added).toHaveLength(snapshot.prefixes.length);
  });

  it("damps a withdrawn prefix, and puts the counted change on the unjudged list", async () => {
    const previous = await awsSnapshot("2026-08-21-18-57-05");
    const snapshot = await awsSnapshot("2026-08-21-21-17-05");
    const pointer = firstPointer(previous);

    const accepted = acceptSnapshot({
      source: SOURCE,
      pointer,
      previous,
      snapshot,
      fetched: { url: URL, etag: '"v2"' },
      now: at(2),
      grace: GRACE,
      runId: undefined,
      warning: {},
    });

    expect(accepted.expectedVersion).toBe(1);
    expect(accepted.pointer.version).toBe(2);
    expect(accepted.pointer.etag).toBe('"v2"');
    expect(accepted.result.diff?.removed).toEqual([]);
    expect(accepted.result.diff?.pendingRemovals?.map((p) => p.prefix)).toContain(FLAPPING);
    expect(accepted.result.diff?.added.map((p) => p.prefix)).toContain("23.254.40.0/23");
    expect(accepted.pointer.unjudged).toHaveLength(1);
    expect(accepted.pointer.unjudged?.[0]?.runId).toBe(`feeds-${at(2).toISOString()}`);
  });

  it("accepts a snapshot without a readable previous one as a baseline without a diff", async () => {
    const previous = await awsSnapshot("2026-08-21-18-57-05");
    const withdrawn = acceptSnapshot({
      source: SOURCE,
      pointer: firstPointer(previous),
      previous,
      snapshot: await awsSnapshot("2026-08-21-21-17-05"),
      fetched: { url: URL },
      now: at(2),
      grace: GRACE,
      runId: "run-2",
      warning: {},
    }).pointer;

    const lost = acceptSnapshot({
      source: SOURCE,
      pointer: withdrawn,
      previous: null,
      snapshot: await awsSnapshot("2026-08-21-22-37-05"),
      fetched: { url: URL },
      now: at(3),
      grace: GRACE,
      runId: "run-3",
      warning: { warning: "lost" },
    });

    expect(lost.result).toMatchObject({ status: "updated", warning: "lost" });
    expect(lost.result.diff).toBeUndefined();
    expect(lost.pointer.unjudged).toEqual(withdrawn.unjudged);
    // 22-37 publishes the flapping prefix again: its pending removal is dropped.
    expect(lost.pointer.damping.pending.map((p) => p.prefix.prefix)).not.toContain(FLAPPING);
  });

  it("reports a lost race as unchanged when the winner stored the same snapshot", async () => {
    const pointer = firstPointer(await awsSnapshot("2026-08-21-18-57-05"));
    const other = firstPointer(await awsSnapshot("2026-08-21-21-17-05"));

    expect(lostRaceResult("aws-ip-ranges", pointer, pointer.meta)).toMatchObject({
      status: "unchanged",
      reason: "stored by a concurrent ingest",
    });
    expect(lostRaceResult("aws-ip-ranges", other, pointer.meta)).toMatchObject({
      status: "stale-ignored",
      reason: `a concurrent ingest stored ${other.meta.sha256} first`,
      current: other.meta,
    });
  });
});

describe("confirming an unchanged feed", () => {
  it("refreshes the validators and confirmation time, with nothing to judge", async () => {
    const pointer = firstPointer(await awsSnapshot("2026-08-21-18-57-05"));

    const confirmed = confirmUnchanged({
      pointer,
      url: URL,
      validators: { etag: '"v9"' },
      now: at(1),
      grace: GRACE,
      runId: undefined,
      warning: {},
    });

    expect(confirmed.pointer).toMatchObject({
      version: 2,
      etag: '"v9"',
      lastModified: pointer.lastModified,
      confirmedAt: at(1).toISOString(),
      unjudged: [],
    });
    expect(confirmed.result).toEqual({
      feed: "aws-ip-ranges",
      status: "unchanged",
      current: pointer.meta,
      confirmedAt: at(1).toISOString(),
    });
  });

  it("reports a removal that came due, and keeps it to judge", async () => {
    const previous = await awsSnapshot("2026-08-21-18-57-05");
    let pointer = acceptSnapshot({
      source: SOURCE,
      pointer: firstPointer(previous),
      previous,
      snapshot: await awsSnapshot("2026-08-21-21-17-05"),
      fetched: { url: URL },
      now: T0,
      grace: GRACE,
      runId: "run-2",
      warning: {},
    }).pointer;
    const confirm = (hours: number) =>
      confirmUnchanged({
        pointer,
        url: URL,
        validators: {},
        now: at(hours),
        grace: GRACE,
        runId: `run-${hours}`,
        warning: {},
      });

    pointer = confirm(1).pointer;
    const due = confirm(7);

    expect(due.result.diff?.removed.map((p) => p.prefix)).toContain(FLAPPING);
    expect(due.pointer.unjudged?.at(-1)?.runId).toBe("run-7");
    expect(due.pointer.damping.pending.map((p) => p.prefix.prefix)).not.toContain(FLAPPING);
  });

  it("reports the winner's snapshot when another ingest moved the pointer first", async () => {
    const pointer = firstPointer(await awsSnapshot("2026-08-21-18-57-05"));
    const other = firstPointer(await awsSnapshot("2026-08-21-21-17-05"));

    expect(unchangedAfterConflict(pointer, other, { warning: "w" })).toEqual({
      feed: "aws-ip-ranges",
      status: "unchanged",
      warning: "w",
      current: other.meta,
      confirmedAt: other.confirmedAt,
    });
    expect(unchangedAfterConflict(pointer, null, {}).current).toBe(pointer.meta);
  });
});
