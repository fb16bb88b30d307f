import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_DRIFT, EXIT_ERROR, EXIT_OK } from "#cli/exit-codes";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { type CliProcess, type CliRun, spawnDriftwatch } from "#test/helpers/cli-process";
import { detectJsonArgs } from "#test/helpers/detect-args";

/**
 * Two catalogues in one deployment, as a user runs them: both imported at once, then detect
 * cycles over both against one loopback zone serving both vendors' hostnames, then the firewall
 * feed of both through `driftwatch serve --catalogue A --catalogue B`.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLEARSWIFT = join(ROOT, "fixtures/catalogue/clearswift-seg-5.3.json");
const SOPHOS = join(ROOT, "fixtures/catalogue/sophos-email-appliance.json");
const SHARED = "cls.sophosxl.net";
const TOKEN = "e2e-feed-token-5c1d9a7b3e";

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

describe("driftwatch serve of the two catalogues", () => {
  let stateDir: string;
  let dns: ZoneDnsServer;
  let serve: CliProcess;
  let url: string;

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, {
      headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    });
    return {
      status: response.status,
      etag: response.headers.get("etag") ?? "",
      body: await response.text(),
    };
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-serve-catalogues-"));
    const imported = await run([
      "catalogue",
      "import",
      CLEARSWIFT,
      SOPHOS,
      "--state-dir",
      stateDir,
    ]);
    expect(imported.code, imported.stderr).toBe(EXIT_OK);
    dns = await startZoneDnsServer({ zoneFile: join(ROOT, "fixtures/dns/clearswift.zone") });
    dns.reload(await zone("clearswift.zone", "sophos-email-appliance.zone"));
    const detected = await run([
      ...detectJsonArgs(dns.address, stateDir, "2026-08-21-18-57-05"),
      "--catalogue",
      CLEARSWIFT,
      "--catalogue",
      SOPHOS,
    ]);
    expect(detected.code, detected.stderr).toBe(EXIT_OK);
    serve = spawnDriftwatch(
      [
        "serve",
        "--port",
        "0",
        "--state-dir",
        stateDir,
        "--catalogue",
        CLEARSWIFT,
        "--catalogue",
        "sophos-email-appliance",
      ],
      90_000,
      { DRIFTWATCH_FEED_TOKEN: TOKEN },
    );
    url = await new Promise<string>((resolve, reject) => {
      let out = "";
      serve.child.stdout?.on("data", (chunk: string) => {
        out += chunk;
        const listening = /listening on (\S+)/.exec(out);
        if (listening?.[1] !== undefined) resolve(listening[1]);
      });
      serve.exited.then((exit) => reject(new Error(`serve exited: ${exit.stderr}`)), reject);
    });
  }, 240_000);
  afterAll(async () => {
    serve?.child.kill("SIGKILL");
    await dns?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("answers each catalogue's version, changes and allowlists from its own, with ETags per catalogue", async () => {
    // Act
    const catalogues = JSON.parse((await get("/catalogues")).body) as {
      defaultCatalogueId: string;
      catalogues: { catalogueId: string; version: number; groups: Record<string, unknown> }[];
    };
    const plain = await get("/version");
    const sophos = await get("/version?catalogue=sophos-email-appliance");
    const sophosAgain = await get("/version?catalogue=sophos-email-appliance", {
      "if-none-match": sophos.etag,
    });
    const sophosWithPlain = await get("/version?catalogue=sophos-email-appliance", {
      "if-none-match": plain.etag,
    });
    const plainAgain = await get("/version", { "if-none-match": plain.etag });
    const changes = JSON.parse(
      (await get("/changes?since=0&catalogue=sophos-email-appliance")).body,
    ) as {
      catalogueId: string;
      changes: { catalogueId: string; group: string }[];
    };
    const own = await get(
      "/allowlists/sophos-live-protection.txt?catalogue=sophos-email-appliance",
    );
    const other = await get("/allowlists/sophos-live-protection.txt?catalogue=clearswift-seg-5.3");
    const unknown = await get("/version?catalogue=no-such-vendor");
    serve.child.kill("SIGTERM");
    const stopped = await serve.exited;

    // Assess
    expect(catalogues.defaultCatalogueId).toBe("clearswift-seg-5.3");
    expect(catalogues.catalogues.map((c) => c.catalogueId)).toEqual([
      "clearswift-seg-5.3",
      "sophos-email-appliance",
    ]);
    const [clearswiftVersion, sophosVersion] = catalogues.catalogues;
    expect(Object.keys(sophosVersion?.groups ?? {}).sort()).toEqual([
      "sophos-central",
      "sophos-live-protection",
      "sophos-update-mirrors",
    ]);
    expect(Object.keys(clearswiftVersion?.groups ?? {})).toContain("av-cloud-lookups");
    expect(Object.keys(clearswiftVersion?.groups ?? {})).not.toContain("sophos-live-protection");
    expect(JSON.parse(plain.body)).toEqual(clearswiftVersion);
    expect(JSON.parse(sophos.body)).toEqual(sophosVersion);
    expect(plain.etag).not.toBe(sophos.etag);
    expect([sophosAgain.status, sophosWithPlain.status, plainAgain.status]).toEqual([
      304, 200, 304,
    ]);
    expect(changes.catalogueId).toBe("sophos-email-appliance");
    expect(changes.changes).toHaveLength(sophosVersion?.version ?? -1);
    expect(new Set(changes.changes.map((c) => c.catalogueId))).toEqual(
      new Set(["sophos-email-appliance"]),
    );
    expect(own.status).toBe(200);
    expect(own.body).toMatch(/\(catalogue sophos-email-appliance\)/);
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toMatch(/^no catalogue "no-such-vendor" in this feed/);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain("(catalogue clearswift-seg-5.3, sophos-email-appliance, ");
  });
});
