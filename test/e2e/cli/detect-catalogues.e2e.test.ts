import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_DRIFT, EXIT_ERROR, EXIT_OK } from "#cli/exit-codes";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { type CliRun, spawnDriftwatch } from "#test/helpers/cli-process";
import { detectJsonArgs } from "#test/helpers/detect-args";

/**
 * Two catalogues in one deployment, as a user runs them: both imported at once, then detect
 * cycles over both against one loopback zone serving both vendors' hostnames.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLEARSWIFT = join(ROOT, "fixtures/catalogue/clearswift-seg-5.3.json");
const SOPHOS = join(ROOT, "fixtures/catalogue/sophos-email-appliance.json");
const SHARED = "cls.sophosxl.net";

interface CatalogueReport {
  catalogue: { id: string };
  events: { eventId: string; group: string | null; endpoint: { hostname: string | null } | null }[];
}

const zone = async (...files: string[]) =>
  (await Promise.all(files.map((f) => readFile(join(ROOT, "fixtures/dns", f), "utf8")))).join("\n");

const run = (args: string[]): Promise<CliRun> => spawnDriftwatch(args, 90_000).exited;

describe("two catalogues imported at once, one detect cycle over both", () => {
  let dns: ZoneDnsServer;
  let stateDir: string;
  let clash: CliRun;
  let imported: CliRun;
  let second: CliRun;

  const detect = (version: "2026-08-21-18-57-05" | "2026-08-21-21-17-05") =>
    run([
      ...detectJsonArgs(dns.address, stateDir, version),
      "--catalogue",
      CLEARSWIFT,
      "--catalogue",
      SOPHOS,
    ]);

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-catalogues-"));
    const clashing = JSON.parse(await readFile(SOPHOS, "utf8")) as {
      endpoints: { group: string }[];
    };
    for (const endpoint of clashing.endpoints) endpoint.group = "av-cloud-lookups";
    await writeFile(join(stateDir, "clash.json"), JSON.stringify(clashing));
    clash = await run([
      "catalogue",
      "import",
      CLEARSWIFT,
      join(stateDir, "clash.json"),
      "--state-dir",
      stateDir,
    ]);
    imported = await run(["catalogue", "import", CLEARSWIFT, SOPHOS, "--state-dir", stateDir]);
    dns = await startZoneDnsServer({ zoneFile: join(ROOT, "fixtures/dns/clearswift.zone") });
    dns.reload(await zone("clearswift.zone", "sophos-email-appliance.zone"));
    const first = await detect("2026-08-21-18-57-05");
    expect(first.code, first.stderr).toBe(EXIT_OK);
    dns.reload(await zone("clearswift-v2.zone", "sophos-email-appliance-v2.zone"));
    second = await detect("2026-08-21-21-17-05");
  }, 240_000);
  afterAll(async () => {
    await dns?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("refuses a group two catalogues share, naming it and both catalogues, importing nothing", () => {
    expect(clash.code).toBe(EXIT_ERROR);
    expect(clash.stderr).toMatch(
      /group "av-cloud-lookups" is used by catalogue clearswift-seg-5.3 and by catalogue sophos-email-appliance/,
    );
    expect(imported.code, imported.stderr).toBe(EXIT_OK);
    // The refused import wrote nothing: the later one adds every Sophos endpoint afresh.
    expect(imported.stdout).toMatch(
      /imported sophos-email-appliance[^\n]*\n {2}endpoints: 4 added/,
    );
  });

  it("raises a change of one catalogue's host in that catalogue only, a shared host's in both", () => {
    expect(second.code, second.stderr).toBe(EXIT_DRIFT);
    const report = JSON.parse(second.stdout) as { catalogues: CatalogueReport[] };
    const [clearswift, sophos] = report.catalogues;
    expect([clearswift?.catalogue.id, sophos?.catalogue.id]).toEqual([
      "clearswift-seg-5.3",
      "sophos-email-appliance",
    ]);
    const hosts = (r?: CatalogueReport) => r?.events.map((e) => e.endpoint?.hostname) ?? [];
    expect(hosts(sophos)).toContain("d2.sophosupd.com");
    expect(hosts(clearswift)).not.toContain("d2.sophosupd.com");
    expect(hosts(clearswift)).toContain("applianceupdate.clearswift.com");
    expect(hosts(sophos)).not.toContain("applianceupdate.clearswift.com");
    const shared = (r?: CatalogueReport) => r?.events.find((e) => e.endpoint?.hostname === SHARED);
    expect(shared(clearswift)?.group).toBe("av-cloud-lookups");
    expect(shared(sophos)?.group).toBe("sophos-live-protection");
    expect(shared(clearswift)?.eventId).not.toBe(shared(sophos)?.eventId);
  });

  it("resolves the shared host once per run and writes each catalogue's allowlists under its id", async () => {
    const historyDir = join(stateDir, "s3/driftwatch-local/history");
    const [day] = await readdir(historyDir);
    const runs = await readdir(join(historyDir, day ?? ""));
    expect(runs).toHaveLength(2);
    for (const file of runs) {
      const lines = gunzipSync(await readFile(join(historyDir, day ?? "", file)))
        .toString("utf8")
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as { hostname: string }).hostname);
      expect(lines.filter((hostname) => hostname === SHARED)).toHaveLength(1);
      expect(lines).toHaveLength(48 + 3);
    }
    const allowlists = join(stateDir, "s3/driftwatch-local/allowlists");
    expect(await readFile(join(allowlists, "sophos-live-protection.txt"), "utf8")).toMatch(
      /\(catalogue sophos-email-appliance\)/,
    );
    expect(await readFile(join(allowlists, "av-cloud-lookups.txt"), "utf8")).toMatch(
      /\(catalogue clearswift-seg-5.3\)/,
    );
  });
});
