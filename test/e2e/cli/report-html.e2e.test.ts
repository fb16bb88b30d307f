import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { checkPageInChromium, type PageCheck, pngColours } from "#test/helpers/chromium";
import { driftwatchInProcess as driftwatch } from "#test/helpers/cli-in-process";
import { awsIpRangesUrl, CLOUDFRONT_URL } from "#test/helpers/feed-fixtures";

/**
 * `driftwatch report --html` over real detection runs (the shipped zone, then the v2 zone with
 * a move, a CloudFront host outside the ranges, a SERVFAIL, a private answer and a later
 * ip-ranges.json), opened in headless Chromium (Debian's `chromium`, which .ci/run installs
 * with scripts/ensure-chromium.sh): it loads with no console error and no request but itself,
 * and its screenshot is not blank. The screenshot and the PDF are kept in
 * `$TMPDIR/driftwatch-report-check/` to look at.
 */

const KEEP = join(tmpdir(), "driftwatch-report-check");

function detectArgs(zone: string, stateDir: string, ipRanges: "first" | "second"): string[] {
  const version = ipRanges === "first" ? "2026-08-21-18-17-05" : "2026-08-21-22-37-05";
  return [
    "detect",
    "--quiet",
    "--zone",
    zone,
    "--state-dir",
    stateDir,
    "--aws-ip-ranges-url",
    awsIpRangesUrl(version),
    "--cloudfront-url",
    CLOUDFRONT_URL,
  ];
}

describe("driftwatch report --html, in headless Chromium", () => {
  let stateDir: string;
  let htmlFile: string;
  let page: string;
  let check: PageCheck;

  beforeAll(async () => {
    vi.stubEnv("AWS_REGION", undefined);
    vi.stubEnv("DRIFTWATCH_TABLE_NAME", undefined);
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-report-"));
    const first = await driftwatch(detectArgs("fixtures/dns/clearswift.zone", stateDir, "first"));
    expect(first.code, first.stderr).toBe(0);
    const second = await driftwatch(
      detectArgs("fixtures/dns/clearswift-v2.zone", stateDir, "second"),
    );
    expect(second.code, second.stderr).toBe(2);
    htmlFile = join(stateDir, "audit report.html");
    const report = await driftwatch(["report", "--html", htmlFile, "--state-dir", stateDir]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain("5 events, 4 notifications");
    page = await readFile(htmlFile, "utf8");
    check = await checkPageInChromium(htmlFile);
    await mkdir(KEEP, { recursive: true });
    await writeFile(join(KEEP, "report.html"), page);
    await writeFile(join(KEEP, "report.png"), check.screenshot);
    await writeFile(join(KEEP, "report.pdf"), check.pdf);
  }, 180_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("shows the runs' changes: the statuses, the moved host's timeline, the events and notifications", () => {
    expect(check.title).toBe("driftwatch audit report: Clearswift SECURE Email Gateway 5.3");
    expect(page).toContain('aria-label="IP timeline of applianceupdate.clearswift.com"');
    expect(page).toMatch(/40\.113\.232\.250 entered at 20/);
    expect(page).toContain('<span class="badge failing">failing</span>');
    expect(page).toContain('<span class="badge suspicious">suspicious</span>');
    expect(page).toContain("driftwatch HIGH: ip-added - applianceupdate.clearswift.com");
    expect(page).toContain("syncToken 1787351825");
  });

  it("loads with no console error and no request but the page itself", () => {
    expect(check.consoleErrors).toEqual([]);
    expect(check.requests).toEqual([]);
  });

  it("renders a screenshot that is not blank, and prints", () => {
    const { width, height, colours } = pngColours(check.screenshot);
    expect(width).toBeGreaterThanOrEqual(1000);
    expect(height).toBeGreaterThan(2000);
    expect(colours).toBeGreaterThan(50);
    expect(check.pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  });

  it("would see a request and a console error: the check is not blind", async () => {
    // Prepare: a page that asks a closed loopback port for an image and logs an error
    const bad = join(stateDir, "bad.html");
    await writeFile(
      bad,
      `<!DOCTYPE html><title>bad</title><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script>`,
    );

    // Act
    const badCheck = await checkPageInChromium(bad);

    // Assess
    expect(badCheck.requests).toContain("http://127.0.0.1:9/x.png");
    expect(badCheck.consoleErrors.some((text) => text.includes("boom"))).toBe(true);
  }, 60_000);
});
