import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EXIT_DRIFT, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM } from "#cli/exit-codes";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/local/zone-dns-server";
import { type CliProcess, type CliRun, spawnDriftwatch } from "#test/helpers/cli-process";
import { detectJsonArgs } from "#test/helpers/detect-args";
import { type AwsVersion, awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";

/**
 * `driftwatch detect` stopped part-way, as a user or a scheduler stops it: killed outright, or
 * interrupted by SIGINT (Ctrl-C) or SIGTERM. The run is held in DNS resolution by a resolver that
 * never answers (long per-query timeout, long deadline) while the feeds, read from local files, are
 * already archived and their pointers moved. Whatever stopped it, the next run must succeed.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const VERSION: AwsVersion = "2026-08-21-18-17-05";
const FEEDS = ["aws-ip-ranges", "cloudfront"] as const;

/** A UDP socket that takes every query and never answers: a resolver that is down. */
async function silentResolver(): Promise<Socket> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return socket;
}

/** The feed archives the bucket's mirror holds on disk, by feed. */
async function archivedOnDisk(stateDir: string): Promise<Record<string, string[]>> {
  const archived: Record<string, string[]> = {};
  for (const feed of FEEDS) {
    const folder = join(stateDir, "s3", "driftwatch-local", "feeds", feed);
    archived[feed] = (await readdir(folder).catch(() => [])).filter((f) => f.endsWith(".json"));
  }
  return archived;
}

/** Polls until both feeds have an archive on disk; false when `withinMs` passes first. */
async function bothArchivesOnDisk(stateDir: string, withinMs: number): Promise<boolean> {
  const until = performance.now() + withinMs;
  while (performance.now() < until) {
    const archived = await archivedOnDisk(stateDir);
    if (FEEDS.every((feed) => (archived[feed]?.length ?? 0) > 0)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** The completed run's report, as far as these tests read it. */
function reportOf(run: CliRun): {
  exit: { code: number };
  feeds: { status: string; warning?: string }[];
} {
  try {
    return JSON.parse(run.stdout);
  } catch (error) {
    throw new Error(`stdout is not JSON (exit ${run.code}); stderr:\n${run.stderr}`, {
      cause: error,
    });
  }
}

describe("driftwatch detect, stopped while resolving", () => {
  let dns: ZoneDnsServer;
  let silent: Socket;
  const dirs: string[] = [];
  const children: CliProcess[] = [];

  /** A run whose feeds are ingested at once and whose DNS lookups hang for minutes. */
  const stuckRun = (stateDir: string) => {
    const run = spawnDriftwatch(
      [
        ...detectJsonArgs(`127.0.0.1:${silent.address().port}`, stateDir, VERSION),
        "--timeout-ms",
        "60000",
        "--deadline",
        "600",
      ],
      90_000,
    );
    children.push(run);
    return run;
  };
  const workingRun = (stateDir: string) =>
    spawnDriftwatch(detectJsonArgs(dns.address, stateDir, VERSION)).exited;
  const newStateDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "driftwatch-e2e-interrupt-"));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    dns = await startZoneDnsServer({ zoneFile: join(ROOT, "fixtures/dns/clearswift.zone") });
    silent = await silentResolver();
  });
  afterAll(async () => {
    await dns?.stop();
    await new Promise<void>((resolve) => silent.close(resolve));
  });
  afterEach(async () => {
    // A failed assertion must not leave a run hanging in resolution.
    for (const run of children.splice(0)) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
      await run.exited;
    }
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("killed outright after archiving the feeds: the archives are on disk and the next run succeeds", async () => {
    // Prepare: a run held in resolution, its feed archives written (or 20 s gone by)
    const stateDir = await newStateDir();
    const stuck = stuckRun(stateDir);
    const archivedBeforeKill = await bothArchivesOnDisk(stateDir, 20_000);
    // Leave the feed pointers that follow each archive time to land.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // Act
    stuck.child.kill("SIGKILL");
    const killed = await stuck.exited;
    const next = await workingRun(stateDir);

    // Assess
    expect(killed.signal).toBe("SIGKILL");
    expect([EXIT_OK, EXIT_DRIFT], next.stderr).toContain(next.code);
    const report = reportOf(next);
    expect(report.feeds.map((f) => f.status)).toEqual(["unchanged", "unchanged"]);
    // Not even a recovered loss: the archive each pointer names was there.
    expect(report.feeds.map((f) => f.warning)).toEqual([undefined, undefined]);
    expect(archivedBeforeKill).toBe(true);
  }, 90_000);

  it.each([
    ["SIGINT", EXIT_SIGINT],
    ["SIGTERM", EXIT_SIGTERM],
  ] as const)(
    "%s: exits %i within seconds, says what was kept, and the next run succeeds",
    async (signal, code) => {
      // Prepare
      const stateDir = await newStateDir();
      const stuck = stuckRun(stateDir);
      expect(await bothArchivesOnDisk(stateDir, 20_000)).toBe(true);

      // Act
      const sentAt = performance.now();
      stuck.child.kill(signal);
      const interrupted = await stuck.exited;
      const stoppedWithinMs = performance.now() - sentAt;
      const next = await workingRun(stateDir);

      // Assess
      expect(interrupted.code, interrupted.stderr).toBe(code);
      expect(stoppedWithinMs).toBeLessThan(10_000);
      expect(interrupted.stderr).toContain(
        "driftwatch detect: interrupted; what was saved is kept and the next run judges it\n",
      );
      expect(interrupted.stdout).toBe("");
      expect([EXIT_OK, EXIT_DRIFT], next.stderr).toContain(next.code);
      expect(reportOf(next).feeds.map((f) => f.status)).toEqual(["unchanged", "unchanged"]);
    },
    90_000,
  );
});

describe("driftwatch resolve and feeds, interrupted while waiting for an answer", () => {
  let dns: ZoneDnsServer;
  let silent: Socket;
  let hanging: Server;
  const dirs: string[] = [];

  beforeAll(async () => {
    dns = await startZoneDnsServer({ zoneFile: join(ROOT, "fixtures/dns/clearswift.zone") });
    silent = await silentResolver();
    // Takes every request and never answers it: a feed server that hangs.
    hanging = createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await dns?.stop();
    await new Promise<void>((resolve) => silent.close(resolve));
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  const newStateDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "driftwatch-e2e-interrupt-"));
    dirs.push(dir);
    return dir;
  };

  it("resolve: SIGINT while the resolver is silent exits 130 within seconds, and the next run records", async () => {
    // Prepare: a run whose first query has reached the silent resolver
    const stateDir = await newStateDir();
    const queried = once(silent, "message");
    const stuck = spawnDriftwatch([
      "resolve",
      "--json",
      "--dns-server",
      `127.0.0.1:${silent.address().port}`,
      "--timeout-ms",
      "60000",
      "--deadline",
      "600",
      "--state-dir",
      stateDir,
    ]);
    await queried;

    // Act
    const sentAt = performance.now();
    stuck.child.kill("SIGINT");
    const interrupted = await stuck.exited;
    const stoppedWithinMs = performance.now() - sentAt;
    const next = await spawnDriftwatch([
      "resolve",
      "--json",
      "--dns-server",
      dns.address,
      "--state-dir",
      stateDir,
    ]).exited;

    // Assess
    expect(interrupted.code, interrupted.stderr).toBe(EXIT_SIGINT);
    expect(stoppedWithinMs).toBeLessThan(10_000);
    expect(interrupted.stderr).toContain(
      "driftwatch resolve: interrupted; what was saved is kept and the next run judges it\n",
    );
    expect(next.code, next.stderr).toBe(EXIT_OK);
  }, 60_000);

  it("feeds: SIGTERM while a download hangs exits 143 within seconds, and the next run ingests", async () => {
    // Prepare: a run whose download has reached the hanging server
    const stateDir = await newStateDir();
    const requested = once(hanging, "request");
    const { port } = hanging.address() as AddressInfo;
    const stuck = spawnDriftwatch([
      "feeds",
      "--json",
      "--aws-ip-ranges-url",
      `http://127.0.0.1:${port}/ip-ranges.json`,
      "--cloudfront-url",
      CLOUDFRONT_URL,
      "--state-dir",
      stateDir,
    ]);
    await requested;

    // Act
    const sentAt = performance.now();
    stuck.child.kill("SIGTERM");
    const interrupted = await stuck.exited;
    const stoppedWithinMs = performance.now() - sentAt;
    const next = await spawnDriftwatch([
      "feeds",
      "--json",
      "--aws-ip-ranges-url",
      awsIpRangesUrl(VERSION),
      "--cloudfront-url",
      CLOUDFRONT_URL,
      "--state-dir",
      stateDir,
    ]).exited;

    // Assess
    expect(interrupted.code, interrupted.stderr).toBe(EXIT_SIGTERM);
    expect(stoppedWithinMs).toBeLessThan(10_000);
    expect(interrupted.stderr).toContain(
      "driftwatch feeds: interrupted; what was saved is kept and the next run judges it\n",
    );
    expect(next.code, next.stderr).toBe(EXIT_OK);
    const feeds = (JSON.parse(next.stdout) as { feeds: { status: string }[] }).feeds;
    expect(feeds.map((f) => f.status)).not.toContain("unreachable");
  }, 60_000);
});
