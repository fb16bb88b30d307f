import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openRuntime } from "#cli/runtime";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import type { DetectionReport } from "#shared/detect/report";
import { type CliRun, spawnDriftwatch } from "#test/helpers/cli-process";
import { type AwsVersion, awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";

/**
 * `driftwatch detect` killed with SIGKILL while it publishes (no clean-up runs): every
 * notification it marked published is already under `notifications/`, and the changes it
 * committed are new for the next run, which exits 2 for them (its report was never delivered).
 */

/** As a file URL, so a checkout path with spaces survives NODE_OPTIONS. */
const KILL_AFTER_NOTIFICATIONS = new URL(
  "../../helpers/kill-after-notifications.mjs",
  import.meta.url,
).href;
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function detectArgs(stateDir: string, zone: string, ipRanges: AwsVersion): string[] {
  return [
    "detect",
    "--json",
    "--zone",
    join("fixtures/dns", zone),
    "--samples",
    "1",
    "--state-dir",
    stateDir,
    "--aws-ip-ranges-url",
    awsIpRangesUrl(ipRanges),
    "--cloudfront-url",
    CLOUDFRONT_URL,
  ];
}

function report(run: CliRun): DetectionReport {
  try {
    return JSON.parse(run.stdout) as DetectionReport;
  } catch (error) {
    throw new Error(`stdout is not JSON (exit ${run.code}); stderr:\n${run.stderr}`, {
      cause: error,
    });
  }
}

/** The event ids the notification files under `folder` carry. */
async function notifiedEventIds(folder: string): Promise<Set<string>> {
  const names = (await readdir(folder).catch(() => [])).filter((n) => n.endsWith(".json"));
  const ids = new Set<string>();
  for (const name of names) {
    const message = JSON.parse(await readFile(join(folder, name), "utf8")) as {
      events: { eventId: string }[];
    };
    for (const event of message.events) ids.add(event.eventId);
  }
  return ids;
}

/** The ids of the events whose records say they were published. */
async function publishedEventIds(stateDir: string): Promise<Set<string>> {
  const runtime = await openRuntime({ stateDir, env: {} });
  try {
    const events = createDynamoEventStore({
      documents: runtime.clients.documents,
      tableName: runtime.tableName,
    });
    const ids = (await events.listChangeSets()).flatMap((c) => c.events.map((e) => e.eventId));
    const records = await events.getEventRecords(ids);
    return new Set([...records.values()].filter((r) => r.published).map((r) => r.eventId));
  } finally {
    await runtime.close();
  }
}

describe("driftwatch detect killed with SIGKILL while publishing", () => {
  it("has every published notification on disk, and the next run exits 2 for what it committed, the one after 0", async () => {
    // Prepare: a first run records the healthy state
    const stateDir = await mkdtemp(join(tmpdir(), "driftwatch-e2e-killed-"));
    dirs.push(stateDir);
    const folder = join(stateDir, "notifications");
    const first = await spawnDriftwatch(
      detectArgs(stateDir, "clearswift.zone", "2026-08-21-18-17-05"),
    ).exited;
    expect(first.code).toBe(0);

    // Act: the changed state; the process kills itself (SIGKILL, no clean-up) right after its
    // second notification file is on disk (the first change set is then marked published: change
    // sets are published one after the other). A preloaded fault injector, so the kill point
    // does not depend on how fast a poll sees the files.
    const changed = detectArgs(stateDir, "clearswift-v2.zone", "2026-08-21-22-37-05");
    const killed = await spawnDriftwatch(changed, 60_000, {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${KILL_AFTER_NOTIFICATIONS}`.trim(),
      DRIFTWATCH_TEST_KILL_AFTER_NOTIFICATIONS: "2",
    }).exited;
    const published = await publishedEventIds(stateDir);
    const onDisk = await notifiedEventIds(folder);
    const second = await spawnDriftwatch(changed).exited;
    const third = await spawnDriftwatch(changed).exited;

    // Assess
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.stdout).toBe("");
    expect(published.size).toBeGreaterThan(0);
    for (const eventId of published) expect(onDisk).toContain(eventId);
    const next = report(second);
    expect(second.code).toBe(2);
    const high = next.events.filter((e) => e.severity === "high");
    expect(high.map((e) => e.subject.key).sort()).toEqual([
      "endpoint:license-key-validation/applianceupdate.clearswift.com",
      "endpoint:product-and-os-updates/products.clearswift.net",
      "endpoint:product-and-os-updates/products.clearswift.net",
      "endpoint:rss-feed/www.clearswift.com",
    ]);
    expect(high.every((e) => e.new)).toBe(true);
    expect(next.summary.newEvents).toBeGreaterThanOrEqual(4);
    expect(third.code).toBe(0);
    // (its only new event may be the third SERVFAIL in a row of ra.swisssign.net, medium)
    expect(report(third).events.filter((e) => e.new && e.severity === "high")).toEqual([]);
  }, 120_000);
});
