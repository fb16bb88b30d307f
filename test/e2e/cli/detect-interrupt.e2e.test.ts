import { createSocket, type Socket } from "node:dgram";
import { EventEmitter, once } from "node:events";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DetectCommandOptions, runDetectCommand } from "#cli/commands/detect";
import { EXIT_DRIFT, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM } from "#cli/exit-codes";
import { type Interruption, watchInterrupts } from "#cli/interrupt";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/load";
import { type CliProcess, type CliRun, spawnDriftwatch } from "#test/helpers/cli-process";
import { detectJsonArgs } from "#test/helpers/detect-args";
import {
  type AwsVersion,
  awsIpRangesUrl,
  CLOUDFRONT_URL,
  readAwsIpRanges,
} from "#test/helpers/feed-fixtures";

/**
 * `driftwatch detect` stopped part-way, as a user or a scheduler stops it: killed outright, or
 * interrupted by SIGINT (Ctrl-C) or SIGTERM. The run is held in DNS resolution by a resolver that
 * never answers (long per-query timeout, long deadline) while the feeds, read from local files, are
 * already archived and their pointers moved. Whatever stopped it, the next run must succeed.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
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

/**
 * The next run reads both feeds after a stopped one. An archive on disk does not mean its pointer
 * has moved: a run stopped in between leaves the old pointer, and the feed is read again as
 * `updated`. What is promised is that no pointer names an archive that is not there: that would
 * be a `warning` (a lost snapshot recovered) or a failing feed.
 */
function expectFeedsReadAfterStop(report: ReturnType<typeof reportOf>): void {
  for (const feed of report.feeds) expect(["unchanged", "updated"]).toContain(feed.status);
  expect(report.feeds.map((f) => f.warning)).toEqual([undefined, undefined]);
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

    // Act
    stuck.child.kill("SIGKILL");
    const killed = await stuck.exited;
    const next = await workingRun(stateDir);

    // Assess
    expect(killed.signal).toBe("SIGKILL");
    expect([EXIT_OK, EXIT_DRIFT], next.stderr).toContain(next.code);
    expectFeedsReadAfterStop(reportOf(next));
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
      expectFeedsReadAfterStop(reportOf(next));
    },
    90_000,
  );
});

describe("driftwatch detect, interrupted at a given stage of its cycle (in process)", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  /** One run's inputs; `at`: the signal is sent as soon as the progress line first matches it. */
  interface StagedRun {
    stateDir: string;
    zone: "clearswift.zone" | "clearswift-v2.zone";
    awsIpRangesUrl: string;
    at?: RegExp;
    signal?: "SIGINT" | "SIGTERM";
    /** Sees every progress line. */
    watch?: (line: string) => void;
  }

  /** One `detect` run, as the action runs it, with a real signal listener on a fake process. */
  async function detect(run: StagedRun) {
    const signals = new EventEmitter();
    const exits: number[] = [];
    const interruption: Interruption = watchInterrupts({
      signals: signals as unknown as Pick<NodeJS.Process, "on" | "off">,
      exit: (code) => exits.push(code),
    });
    let sent = false;
    const terminal = {
      isTTY: true,
      columns: 200,
      write(line: string) {
        run.watch?.(line);
        if (run.at !== undefined && !sent && run.at.test(line)) {
          sent = true;
          signals.emit(run.signal ?? "SIGINT");
        }
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    const options: DetectCommandOptions = {
      dnsServer: [],
      stateDir: run.stateDir,
      awsIpRangesUrl: run.awsIpRangesUrl,
      cloudfrontUrl: CLOUDFRONT_URL,
      catalogue: DEFAULT_CATALOGUE_PATH,
      samples: 1,
      timeoutMs: 2_000,
      deadline: 30,
      failureThreshold: 3,
      zone: join(ROOT, "fixtures/dns", run.zone),
    };
    const stdout: string[] = [];
    const stderr: string[] = [];
    try {
      const code = await runDetectCommand(
        options,
        {
          stdout: (text) => stdout.push(text),
          stderr: (text) => stderr.push(text),
          progressStream: terminal,
        },
        {},
        () => new Date(),
        interruption,
      );
      return { code, sent, exits, stdout: stdout.join(""), stderr: stderr.join("") };
    } finally {
      interruption.dispose();
    }
  }

  /** A state directory where a healthy first run (clearswift.zone) has been recorded. */
  async function afterFirstRun(): Promise<string> {
    const stateDir = await mkdtemp(join(tmpdir(), "driftwatch-e2e-interrupt-stage-"));
    dirs.push(stateDir);
    const first = await detect({
      stateDir,
      zone: "clearswift.zone",
      awsIpRangesUrl: awsIpRangesUrl("2026-08-21-18-57-05"),
    });
    expect(first.code, first.stderr).toBe(EXIT_OK);
    return stateDir;
  }

  /** The scripted drift (new `high` events) of clearswift-v2.zone, with a newer ip-ranges.json. */
  const drifted = (stateDir: string): StagedRun => ({
    stateDir,
    zone: "clearswift-v2.zone",
    awsIpRangesUrl: awsIpRangesUrl("2026-08-21-21-17-05"),
  });

  const notificationsIn = async (stateDir: string) =>
    (await readdir(join(stateDir, "notifications")).catch(() => [])).filter((f) =>
      f.endsWith(".json"),
    );

  it.each([["SIGINT"], ["SIGTERM"]] as const)(
    "%s once observation is done: the run is completed, notified and exits 2 for its new drift",
    async (signal) => {
      // Prepare
      const stateDir = await afterFirstRun();
      const notifiedBefore = await notificationsIn(stateDir);

      // Act: the signal comes as the cycle starts comparing and committing
      const interrupted = await detect({ ...drifted(stateDir), at: /comparing/, signal });
      const next = await detect(drifted(stateDir));

      // Assess
      expect(interrupted.sent).toBe(true);
      expect(interrupted.code, interrupted.stderr).toBe(EXIT_DRIFT);
      expect(interrupted.stderr).toContain(
        `driftwatch detect: ${signal} came after observation was done; the run was completed\n`,
      );
      expect(interrupted.stderr).not.toContain("interrupted;");
      expect(interrupted.stdout).toContain("applianceupdate.clearswift.com");
      expect(interrupted.exits).toEqual([]);
      expect((await notificationsIn(stateDir)).length).toBeGreaterThan(notifiedBefore.length);
      // Its events were committed by it: the next run has nothing new to act on.
      expect(next.code, next.stderr).toBe(EXIT_OK);
    },
    60_000,
  );

  it("SIGINT as the last observation lands, just before comparing: abandoned (130), and the next run acts on the drift", async () => {
    // Prepare: ip-ranges.json is answered only once every lookup is done, so the feeds are the
    // last observation, and the signal comes with them, just before the cycle would compare.
    const stateDir = await afterFirstRun();
    const body = await readAwsIpRanges("2026-08-21-21-17-05");
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const feedServer = createServer((_, response) => {
      void released.then(() => response.end(body));
    });
    await new Promise<void>((resolve) => feedServer.listen(0, "127.0.0.1", resolve));
    const { port } = feedServer.address() as AddressInfo;

    // Act
    const interrupted = await detect({
      ...drifted(stateDir),
      awsIpRangesUrl: `http://127.0.0.1:${port}/ip-ranges.json`,
      at: /feeds fetched 2\/2/,
      // Leave the lookups' observations time to be saved before the feed is answered.
      watch: (line) => {
        if (/hosts resolved ([1-9]\d*)\/\1(?!\d)/.test(line)) setTimeout(release, 300);
      },
    });
    await new Promise<void>((resolve) => feedServer.close(() => resolve()));
    const next = await detect(drifted(stateDir));

    // Assess
    expect(interrupted.sent).toBe(true);
    expect(interrupted.code, interrupted.stderr).toBe(EXIT_SIGINT);
    expect(interrupted.stdout).toBe("");
    expect(next.code, next.stderr).toBe(EXIT_DRIFT);
    expect(next.stdout).toContain("applianceupdate.clearswift.com");
  }, 60_000);
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
