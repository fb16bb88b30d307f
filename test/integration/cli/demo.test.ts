import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemoCommand } from "#cli/commands/demo";
import { matchesExactFilter } from "#cli/demo/subscribers";
import { type DemoTourResult, runDemoTour } from "#cli/demo/tour";
import { DRIFT_EVENT_TYPES } from "#shared/compare/drift-event";
import { expectValidNotifications } from "#test/helpers/notify-schema";

const TOUR_TIMEOUT_MS = 60_000;

describe("driftwatch demo (the scripted tour, in-process)", () => {
  let keepDir: string;
  let tour: DemoTourResult;
  let text = "";

  beforeAll(async () => {
    keepDir = join(await mkdtemp(join(tmpdir(), "driftwatch-demo-test-")), "kept");
    tour = await runDemoTour({
      write: (chunk) => {
        text += chunk;
      },
      keep: keepDir,
    });
  }, TOUR_TIMEOUT_MS);
  afterAll(async () => {
    await rm(join(keepDir, ".."), { recursive: true, force: true });
  });

  it("shows every one of the nine verdict types and says so", () => {
    // Assess
    const reported = new Set(tour.runs.flatMap((run) => run.report.events.map((e) => e.type)));
    expect([...reported].sort()).toEqual([...DRIFT_EVENT_TYPES].sort());
    expect(tour.missing).toEqual([]);
    expect(tour.exitCode).toBe(0);
    for (const type of DRIFT_EVENT_TYPES) {
      expect(text).toMatch(new RegExp(`^  ${type} +\\d`, "m"));
    }
    expect(text).toContain("All 9 verdict types shown in 5 runs.");
  });

  it("notifies each verdict type once, when it first happens, not on every run", () => {
    // Assess
    const notified = tour.sightings.map((s) => [s.type, s.notifiedIn]);
    expect(notified).toEqual([
      ["ip-added", [2]],
      ["ip-removed", [4]],
      ["ip-outside-published-ranges", [2]],
      ["documented-ip-unused", [3]],
      ["retired-ip-seen", [3]],
      ["resolution-failed", [3]],
      ["suspicious-answer", [2]],
      ["feed-ranges-changed", [3]],
      ["feed-rejected", [4]],
    ]);
    expect(tour.runs.at(-1)?.inbox).toEqual([]);
  });

  it("delivers to the filtered queue exactly the inbox messages that match its group and severity", () => {
    // Prepare
    const { group: groups, severity: severities } = tour.filterPolicy;

    // Act
    const automation = tour.runs.flatMap((run) => run.automation);
    const inbox = tour.runs.flatMap((run) => run.inbox);

    // Assess
    expect(automation.length).toBeGreaterThan(0);
    for (const delivery of automation) {
      expect(groups).toContain(delivery.notification.group);
      expect(severities).toContain(delivery.notification.severity);
      expect(matchesExactFilter(tour.filterPolicy, delivery.attributes)).toBe(true);
    }
    const expected = inbox
      .filter(
        (d) =>
          groups?.includes(d.notification.group ?? "") &&
          severities?.includes(d.notification.severity),
      )
      .map((d) => d.notification.eventId);
    expect(automation.map((d) => d.notification.eventId)).toEqual(expected);
    expect(inbox.length).toBeGreaterThan(automation.length);
    expectValidNotifications([...automation, ...inbox].map((d) => d.json));
  });

  it("gives the inbox every message as e-mail text, with a subject", () => {
    // Assess
    const inbox = tour.runs.flatMap((run) => run.inbox);
    for (const delivery of inbox) {
      expect(delivery.email?.subject).toMatch(/^driftwatch (HIGH|MEDIUM|LOW): /);
      expect(delivery.email?.text).toContain("What changed:");
    }
  });

  it("never reports ip-removed for a host that merely failed to resolve", async () => {
    // Prepare
    const failing = new Set(tour.runs.flatMap((r) => r.report.failures.map((f) => f.hostname)));

    // Act
    const removedHosts = tour.runs.flatMap((run) =>
      run.report.events.filter((e) => e.type === "ip-removed").map((e) => e.endpoint?.hostname),
    );
    const swisssign = await readFile(
      join(keepDir, "state/s3/driftwatch-local/allowlists/swisssign-mpki.txt"),
      "utf8",
    );

    // Assess
    expect([...failing]).toEqual(["ra.swisssign.net"]);
    expect(removedHosts).toEqual(["products.clearswift.net"]);
    expect(swisssign).toContain("\n91.208.105.24\n");
  });

  it("writes the allowlist files, rewriting only those whose content changed", async () => {
    // Prepare
    const allowlistsDir = join(keepDir, "state/s3/driftwatch-local/allowlists");

    // Act
    const written = tour.runs.map((run) => run.allowlists.map((a) => a.key));
    const serviceAvailability = await readFile(
      join(allowlistsDir, "service-availability.txt"),
      "utf8",
    );

    // Assess
    expect(written[0]).toContain("allowlists/license-validation.txt");
    expect(written[0]?.length).toBeGreaterThan(10);
    expect(written[2]).toContain("allowlists/service-availability.txt");
    expect(written[4]).toEqual([]);
    expect(serviceAvailability).toMatch(
      /^# driftwatch allowlist for firewall group service-availability/,
    );
    expect(serviceAvailability).toContain("\n51.25.0.0/16\n");
    await expect(access(join(allowlistsDir, "service-availability.json"))).resolves.toBeUndefined();
    expect(text).toContain("allowlists/service-availability.txt  (+1 -0)");
  });

  it("keeps the last good CloudFront snapshot when a download is rejected", () => {
    // Act
    const feeds = tour.runs.map((run) => run.report.feeds.find((f) => f.feed === "cloudfront"));

    // Assess
    expect(feeds[3]?.status).toBe("rejected");
    expect(feeds[3]?.sha256).toBe(feeds[0]?.sha256);
    expect(feeds[4]?.status).toBe("unchanged");
  });
});

describe("driftwatch demo (the command)", () => {
  it(
    "removes its temporary directory, prints a short tour with --quiet and exits 0",
    async () => {
      // Prepare
      let stdout = "";
      let stderr = "";

      // Act
      const code = await runDemoCommand(
        { quiet: true },
        {
          stdout: (chunk) => {
            stdout += chunk;
          },
          stderr: (chunk) => {
            stderr += chunk;
          },
        },
      );
      const directory = /directory: +(\S+) \(removed/.exec(stdout)?.[1] ?? "";

      // Assess
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(stdout.split("\n").length).toBeLessThan(120);
      expect(directory).not.toBe("");
      await expect(access(directory)).rejects.toThrow();
    },
    TOUR_TIMEOUT_MS,
  );

  it("refuses to keep its state in a directory that is not empty, and leaves it alone", async () => {
    // Prepare
    const busy = await mkdtemp(join(tmpdir(), "driftwatch-demo-busy-"));
    await writeFile(join(busy, "notes.txt"), "mine\n");
    let stderr = "";

    // Act
    const code = await runDemoCommand(
      { keep: busy, quiet: true },
      {
        stdout: () => {},
        stderr: (chunk) => {
          stderr += chunk;
        },
      },
    );
    const left = await readFile(join(busy, "notes.txt"), "utf8");
    await rm(busy, { recursive: true, force: true });

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/must be new or empty/);
    expect(left).toBe("mine\n");
  });
});
