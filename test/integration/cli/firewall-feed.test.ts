import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import type { Catalogue, Endpoint } from "#shared/catalogue/schema";
import type { VersionView } from "#shared/query/firewall-feed/feed-queries";
import type { AllowlistChange } from "#shared/record/allowlist-versions/allowlist-change";
import { driftwatchInProcess as driftwatch } from "#test/helpers/cli-in-process";
import { type CliProcess, spawnDriftwatch } from "#test/helpers/cli-process";
import { detectJsonArgs } from "#test/helpers/detect-args";

/**
 * A scripted sequence of real detection cycles (`driftwatch detect` against a loopback DNS
 * server, the embedded store) and what the firewall feed answers after it: `version`,
 * `changes --since-version N`, `allowlist GROUP`, and `serve` over real HTTP.
 */

const CATALOGUE_ID = "firewall-feed-test";
const T0 = Date.parse("2026-09-01T00:00:00.000Z");
const HOUR = 3_600_000;
const TOKEN = "lab-firewall-token-0123456789";

function endpoint(id: string, group: string, hostname: string): Endpoint {
  return {
    id,
    group,
    service: `Service ${id}`,
    purpose: "A host the firewall must reach",
    scope: "external",
    hostname,
    ports: [{ protocol: "tcp", port: 443, direction: "out" }],
    policy: "hostname-only",
    ips: [],
    retiredIps: [],
    provenance: { document: "Test ports and protocols", issue: "1", section: "External" },
  };
}

const APP = endpoint("app/app.example.com", "web", "app.example.com");
const MX = endpoint("mx/mx.example.com", "mail", "mx.example.com");
const API = endpoint("api/api.example.com", "web", "api.example.com");

type Revision = 1 | 2 | 3 | 4;

/**
 * The catalogue at each of its revisions: the first, a host added, that host moved to `api`,
 * the mail host (all of group `mail`) removed.
 */
function catalogue(revision: Revision): Catalogue {
  const endpoints =
    revision === 1
      ? [APP, MX]
      : revision === 2
        ? [APP, MX, API]
        : revision === 3
          ? [APP, MX, { ...API, group: "api" }]
          : [APP, { ...API, group: "api" }];
  return {
    schemaVersion: 1,
    id: CATALOGUE_ID,
    vendor: "Example",
    product: "Example gateway",
    document: { title: "Test ports and protocols", issue: String(revision), date: "2026-09" },
    review: "reviewed",
    endpoints,
    pools: [],
    feeds: [],
    mentions: [],
  } satisfies Catalogue;
}

const zone = (records: Record<string, string>) =>
  `$TTL 300\n${Object.entries(records)
    .map(([name, ips]) => `${name} 300 A ${ips}`)
    .join("\n")}\n`;

interface ExpectedChange {
  group: string;
  added: string[];
  removed: string[];
}

interface Step {
  name: string;
  hours: number;
  revision: Revision;
  records: Record<string, string>;
  /** The allowlist changes this run makes, in group order. */
  expected: ExpectedChange[];
}

const TWO = { "app.example.com": "20.1.1.1 20.1.1.2", "mx.example.com": "20.2.2.1" };
const GONE = { "app.example.com": "20.1.1.2", "mx.example.com": "20.2.2.1" };
const WITH_API = { ...GONE, "api.example.com": "20.3.3.3" };

/**
 * The script. hostname-only lists the observed set; an IP leaves it after 3 successful runs
 * without it and 1 hour since it was last seen (DEFAULT_GRACE), so runs 5 and 6 change nothing.
 */
const STEPS: Step[] = [
  {
    name: "first run",
    hours: 0,
    revision: 1,
    records: { "app.example.com": "20.1.1.1", "mx.example.com": "20.2.2.1" },
    expected: [
      { group: "mail", added: ["20.2.2.1"], removed: [] },
      { group: "web", added: ["20.1.1.1"], removed: [] },
    ],
  },
  {
    name: "an IP added",
    hours: 2,
    revision: 1,
    records: TWO,
    expected: [{ group: "web", added: ["20.1.1.2"], removed: [] }],
  },
  { name: "the same run retried (same run id)", hours: 2, revision: 1, records: TWO, expected: [] },
  { name: "unchanged", hours: 4, revision: 1, records: TWO, expected: [] },
  { name: "an IP gone, 1st run of its grace", hours: 6, revision: 1, records: GONE, expected: [] },
  { name: "an IP gone, 2nd run of its grace", hours: 8, revision: 1, records: GONE, expected: [] },
  {
    name: "an IP gone past its grace",
    hours: 10,
    revision: 1,
    records: GONE,
    expected: [{ group: "web", added: [], removed: ["20.1.1.1"] }],
  },
  {
    name: "catalogue revision adds a host",
    hours: 12,
    revision: 2,
    records: WITH_API,
    expected: [{ group: "web", added: ["20.3.3.3"], removed: [] }],
  },
  {
    name: "catalogue revision moves the host to another group",
    hours: 14,
    revision: 3,
    records: WITH_API,
    expected: [
      { group: "api", added: ["20.3.3.3"], removed: [] },
      { group: "web", added: [], removed: ["20.3.3.3"] },
    ],
  },
  {
    // The group's file and version must not keep allowing what the catalogue no longer lists.
    name: "catalogue revision removes the last endpoint of a group",
    hours: 16,
    revision: 4,
    records: WITH_API,
    expected: [{ group: "mail", added: [], removed: ["20.2.2.1"] }],
  },
  {
    name: "unchanged after the group emptied",
    hours: 18,
    revision: 4,
    records: WITH_API,
    expected: [],
  },
];

interface Observed {
  step: Step;
  runId: string;
  at: string;
  exit: number;
  version: VersionView;
  /** Each group's EDL as the cycle left it on disk. */
  files: Record<string, string>;
}

/** The entries of an EDL (its header lines dropped). */
const entriesOf = (edl: string) =>
  edl.split("\n").filter((line) => line !== "" && !line.startsWith("#"));

describe("firewall feed after a scripted sequence of detection cycles", () => {
  let stateDir: string;
  let dns: ZoneDnsServer;
  const catalogueFiles: Record<number, string> = {};
  const observed: Observed[] = [];
  let allChanges: AllowlistChange[] = [];

  const ask = async (args: string[]) => {
    const run = await driftwatch([...args, "--state-dir", stateDir]);
    expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(0);
    return run.stdout;
  };
  const bucketFile = (group: string, ext: "txt" | "json") =>
    join(stateDir, "s3", "driftwatch-local", "allowlists", `${group}.${ext}`);
  const readEdls = async () => {
    const files: Record<string, string> = {};
    for (const group of ["api", "mail", "web"]) {
      const text = await readFile(bucketFile(group, "txt"), "utf8").catch(() => null);
      if (text !== null) files[group] = text;
    }
    return files;
  };

  beforeAll(async () => {
    vi.stubEnv("AWS_REGION", undefined);
    vi.stubEnv("DRIFTWATCH_TABLE_NAME", undefined);
    stateDir = await mkdtemp(join(tmpdir(), "driftwatch-firewall-feed-"));
    for (const revision of [1, 2, 3, 4] as const) {
      catalogueFiles[revision] = join(stateDir, `catalogue-${revision}.json`);
      await writeFile(catalogueFiles[revision], JSON.stringify(catalogue(revision), null, 2));
    }
    dns = await startZoneDnsServer({ zoneText: zone(STEPS[0]?.records ?? {}) });
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      for (const step of STEPS) {
        const at = new Date(T0 + step.hours * HOUR);
        vi.setSystemTime(at);
        dns.reload(zone(step.records));
        if (step.revision > 1 && observed.at(-1)?.step.revision !== step.revision) {
          await ask(["catalogue", "import", catalogueFiles[step.revision] ?? ""]);
        }
        const run = await driftwatch([
          ...detectJsonArgs(dns.address, stateDir, "2026-08-21-18-57-05"),
          "--catalogue",
          catalogueFiles[step.revision] ?? "",
        ]);
        expect(run.code, `${step.name}: ${run.stderr}`).not.toBe(1);
        const version = JSON.parse(
          await ask(["version", "--json", "--catalogue", CATALOGUE_ID]),
        ) as VersionView;
        observed.push({
          step,
          runId: `cli-${at.toISOString()}`,
          at: at.toISOString(),
          exit: run.code,
          version,
          files: await readEdls(),
        });
      }
    } finally {
      vi.useRealTimers();
    }
    allChanges = (
      JSON.parse(
        await ask(["changes", "--since-version", "0", "--json", "--catalogue", CATALOGUE_ID]),
      ) as { changes: AllowlistChange[] }
    ).changes;
  }, 240_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    await dns?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("moves the version exactly when an allowlist's content changes: never on an unchanged or retried run", () => {
    let previous: Record<string, string> = {};
    let version = 0;
    for (const { step, version: view, files } of observed) {
      const changedGroups = Object.keys(files).filter(
        (group) =>
          JSON.stringify(entriesOf(files[group] ?? "")) !==
          JSON.stringify(entriesOf(previous[group] ?? "")),
      );
      expect(changedGroups.sort(), step.name).toEqual(step.expected.map((c) => c.group));
      expect(view.version, step.name).toBe(version + step.expected.length);
      version = view.version;
      previous = files;
    }
    expect(version).toBe(8);
  });

  it("records each change with its group, entries, both sides, endpoints, run, events and time", () => {
    const expected = observed.flatMap(({ step, runId, at }) =>
      step.expected.map((change) => ({ ...change, runId, at })),
    );
    expect(allChanges.map((c) => c.version)).toEqual(expected.map((_, i) => i + 1));
    const lastSide = new Map<string, AllowlistChange["current"]>();
    allChanges.forEach((change, i) => {
      const want = expected[i];
      expect(change, `v${change.version}`).toMatchObject({
        catalogueId: CATALOGUE_ID,
        group: want?.group,
        added: want?.added,
        removed: want?.removed,
        runId: want?.runId,
        at: want?.at,
      });
      // The previous side is the group's last current side; the counts follow the entries.
      const before = lastSide.get(change.group) ?? null;
      expect(change.previous, `v${change.version} previous`).toEqual(before);
      expect(change.current.entries).toBe(
        (before?.entries ?? 0) + change.added.length - change.removed.length,
      );
      // An emptied group (its last endpoint gone) lists no ports either.
      expect(change.current.ports).toEqual(
        change.current.entries === 0 ? [] : [{ protocol: "tcp", port: 443, direction: "out" }],
      );
      lastSide.set(change.group, change.current);
      // Each endpoint whose entries changed, before and after.
      expect(change.endpoints.length, `v${change.version} endpoints`).toBeGreaterThan(0);
      for (const e of change.endpoints) {
        const beforeSet = new Set(e.previous ?? []);
        const afterSet = new Set(e.current ?? []);
        expect(change.added.every((ip) => !beforeSet.has(ip) || afterSet.has(ip))).toBe(true);
      }
    });
    const removal = allChanges.find((c) => c.removed.includes("20.1.1.1"));
    expect(removal?.endpoints).toEqual([
      {
        id: APP.id,
        hostname: "app.example.com",
        previous: ["20.1.1.1", "20.1.1.2"],
        current: ["20.1.1.2"],
      },
    ]);
    const emptied = allChanges.find((c) => c.group === "mail" && c.removed.length > 0);
    expect(emptied?.endpoints).toEqual([
      { id: MX.id, hostname: "mx.example.com", previous: ["20.2.2.1"], current: null },
    ]);
    expect(emptied?.current.entries).toBe(0);
  });

  it("names the change events that caused each change (committed by the same run, about its group)", async () => {
    const { events } = JSON.parse(await ask(["events", "--json"])) as {
      events: { eventId: string; type: string; group?: string | null; runId?: string }[];
    };
    const byId = new Map(events.map((e) => [e.eventId, e]));
    const added = allChanges.find((c) => c.added.includes("20.1.1.2"));
    const removed = allChanges.find((c) => c.removed.includes("20.1.1.1"));
    for (const change of [added, removed]) {
      expect(change?.eventIds.length, `v${change?.version} events`).toBeGreaterThan(0);
    }
    for (const change of allChanges) {
      for (const id of change.eventIds) {
        expect(byId.get(id), `v${change.version} event ${id}`).toMatchObject({
          group: change.group,
        });
      }
    }
    expect(added?.eventIds.map((id) => byId.get(id)?.type)).toContain("ip-added");
    expect(removed?.eventIds.map((id) => byId.get(id)?.type)).toContain("ip-removed");
  });

  it("answers, for every N from 0 to the last version, exactly the changes after N", async () => {
    const last = observed.at(-1)?.version.version ?? 0;
    for (let n = 0; n <= last; n++) {
      const answer = JSON.parse(
        await ask(["changes", "--since-version", String(n), "--json", "--catalogue", CATALOGUE_ID]),
      ) as { since: number; version: number; changes: AllowlistChange[] };
      expect(answer.since).toBe(n);
      expect(answer.version).toBe(last);
      expect(answer.changes, `since ${n}`).toEqual(allChanges.slice(n));
    }
    const text = await ask([
      "changes",
      "--since-version",
      String(last),
      "--catalogue",
      CATALOGUE_ID,
    ]);
    expect(text).toContain(`no allowlist change after version ${last}`);
  });

  it("refuses a version after the current one, or not a number, naming the value", async () => {
    const ahead = await driftwatch([
      "changes",
      "--since-version",
      "9",
      "--catalogue",
      CATALOGUE_ID,
      "--state-dir",
      stateDir,
    ]);
    const bad = await driftwatch(["changes", "--since-version", "-1", "--state-dir", stateDir]);
    const both = await driftwatch(["changes", "--since-version", "1", "--from", "2026-09-01"]);

    expect(ahead.code).toBe(1);
    expect(ahead.stderr).toContain("--since-version: 9 is after the current allowlist version 8");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      '--since-version: must be a whole number (0 for every change), not "-1"',
    );
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("--since-version cannot be combined with --from");
  });

  it("prints each group's allowlist as the cycle wrote it (EDL and JSON)", async () => {
    const files = observed.at(-1)?.files ?? {};
    expect(Object.keys(files).sort()).toEqual(["api", "mail", "web"]);
    for (const group of Object.keys(files)) {
      expect(await ask(["allowlist", group, "--catalogue", CATALOGUE_ID])).toBe(files[group]);
      expect(await ask(["allowlist", group, "--format", "json"])).toBe(
        await readFile(bucketFile(group, "json"), "utf8"),
      );
    }
    expect(entriesOf(files.web ?? "")).toEqual(["20.1.1.2"]);
    expect(entriesOf(files.api ?? "")).toEqual(["20.3.3.3"]);
    // The catalogue's last revision took group mail's only endpoint: its list is empty.
    expect(entriesOf(files.mail ?? "")).toEqual([]);
    const unknown = await driftwatch(["allowlist", "nope", "--state-dir", stateDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no allowlist written for group "nope"');
  });

  describe("driftwatch serve, over HTTP on loopback", () => {
    let serve: CliProcess;
    let url: string;
    let output = "";
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const basic = { authorization: `Basic ${Buffer.from(`panos:${TOKEN}`).toString("base64")}` };

    beforeAll(async () => {
      const tokenFile = join(stateDir, "feed-token");
      await writeFile(tokenFile, `${TOKEN}\n`);
      serve = spawnDriftwatch(
        [
          "serve",
          "--port",
          "0",
          "--token-file",
          tokenFile,
          "--catalogue",
          catalogueFiles[3] ?? "",
          "--state-dir",
          stateDir,
        ],
        120_000,
      );
      url = await new Promise<string>((resolve, reject) => {
        serve.child.stdout?.on("data", (chunk: Buffer) => {
          output += chunk.toString("utf8");
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        serve.exited.then((run) => reject(new Error(`serve exited: ${run.stderr}`)), reject);
      });
    }, 120_000);

    afterAll(() => {
      if (serve.child.exitCode === null) serve.child.kill("SIGKILL");
    });

    it("answers /version and /changes?since=N as the CLI does", async () => {
      const version = await fetch(`${url}/version`, { headers: bearer });
      expect(version.status).toBe(200);
      expect(await version.json()).toEqual(observed.at(-1)?.version);
      for (const n of [0, 3, 6, 7, 8]) {
        const page = await fetch(`${url}/changes?since=${n}`, { headers: basic });
        expect(page.status).toBe(200);
        const body = (await page.json()) as { changes: AllowlistChange[]; next: number | null };
        expect(body.changes, `since ${n}`).toEqual(allChanges.slice(n));
        expect(body.next).toBeNull();
      }
    });

    it("serves the EDL with an ETag, a 304 without a body when unchanged, and 401 without the token", async () => {
      const first = await fetch(`${url}/allowlists/web.txt`, { headers: basic });
      const etag = first.headers.get("etag");
      const again = await fetch(`${url}/allowlists/web.txt`, {
        headers: { ...basic, "if-none-match": etag ?? "" },
      });
      const none = await fetch(`${url}/allowlists/web.txt`);
      const wrong = await fetch(`${url}/allowlists/web.txt`, {
        headers: { authorization: "Bearer not-the-token-at-all" },
      });
      const wrongBasic = await fetch(`${url}/allowlists/web.txt`, {
        headers: { authorization: `Basic ${Buffer.from("panos:nope").toString("base64")}` },
      });

      expect(first.status).toBe(200);
      expect(first.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await first.text()).toBe(observed.at(-1)?.files.web);
      expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
      expect(again.headers.get("etag")).toBe(etag);
      for (const refused of [none, wrong, wrongBasic]) {
        expect(refused.status).toBe(401);
        expect(refused.headers.get("www-authenticate")).toContain("Bearer");
        expect(await refused.text()).not.toContain("20.1.1.2");
      }
    });

    it("serves /changes.atom as well-formed Atom, one entry per change, newest first", async () => {
      const response = await fetch(`${url}/changes.atom`, { headers: bearer });
      const body = await response.text();

      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/atom\+xml/);
      const { XMLValidator, XMLParser } = await import("fast-xml-parser");
      expect(XMLValidator.validate(body)).toBe(true);
      const feed = new XMLParser({ ignoreAttributes: false }).parse(body) as {
        feed: { "@_xmlns": string; entry: { id: string }[] };
      };
      expect(feed.feed["@_xmlns"]).toBe("http://www.w3.org/2005/Atom");
      expect(feed.feed.entry.map((e) => e.id)).toEqual(
        [...allChanges]
          .reverse()
          .map((c) => `urn:driftwatch:${CATALOGUE_ID}:allowlist-change:${c.version}`),
      );
    });

    it("stops cleanly on SIGTERM: exit 0, the state directory released", async () => {
      serve.child.kill("SIGTERM");
      const run = await serve.exited;

      expect(run.signal).toBeNull();
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain("driftwatch serve: SIGTERM: stopped");
      expect(await ask(["version", "--json", "--catalogue", CATALOGUE_ID])).toContain(
        '"version": 8',
      );
    });
  });
});
