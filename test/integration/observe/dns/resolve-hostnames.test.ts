import { readFile } from "node:fs/promises";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { parseZone } from "#shared/adapters/local/zone-dns-server/zone";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { type Catalogue, resolvableHostnames } from "#shared/catalogue/schema";
import type { HostObservation } from "#shared/domain/observation";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import { RunInFlightError, resolveHostnames } from "#shared/observe/dns/resolve-hostnames";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { runIdFor } from "#shared/observe/dns/run-id-for";
import { startTestStack } from "#test/helpers/stack";

const ZONE_V1 = "fixtures/dns/clearswift.zone";
const ZONE_V2 = "fixtures/dns/clearswift-v2.zone";
const T0 = new Date("2026-08-22T10:15:00.000Z");
const FAST = { timeoutMs: 300, tries: 1 };

/** What the zone answers for a name (all round-robin members), following CNAMEs. */
function zoneAddresses(zoneText: string, hostname: string): string[] {
  const zone = parseZone(zoneText);
  let entry = zone.names.get(hostname);
  while (entry?.cname) entry = zone.names.get(entry.cname.value);
  return [...(entry?.a ?? []), ...(entry?.aaaa ?? [])].map((r) => r.value).sort();
}

const ips = (observation: HostObservation | null | undefined) =>
  (observation?.active.map((ip) => ip.ip) ?? []).sort();

describe("resolveHostnames: the full catalogue against the loopback zone server and dynalite", () => {
  let stack: EmbeddedStack;
  let dns: ZoneDnsServer;
  let resolver: DnsResolver;
  let catalogue: Catalogue;
  let zoneV1: string;

  beforeAll(async () => {
    catalogue = await loadCatalogueFile("fixtures/catalogue/clearswift-seg-5.3.json");
    zoneV1 = await readFile(ZONE_V1, "utf8");
  });
  beforeEach(async () => {
    stack = await startTestStack();
    dns = await startZoneDnsServer({ zoneText: zoneV1, port: 0 });
    resolver = createCaresResolver({ servers: [dns.address], ...FAST });
  });
  afterEach(async () => {
    resolver.close();
    await dns.stop();
    await stack.stop();
  });

  const storeOf = () =>
    createDynamoObservationStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    });
  /** One invocation; like its callers, it releases the run's lease once done (judged). */
  const run = async (runId: string, now: Date, deadlineMs = 20_000) => {
    const store = storeOf();
    const result = await resolveHostnames(
      { resolver, store },
      { targets: catalogue, runId, now, deadline: Date.now() + deadlineMs },
    );
    await store.releaseRunLease(result.lease);
    return result;
  };

  it("resolves every hostname in one run and stores its state, history and IP index", async () => {
    // Prepare
    const hostnames = resolvableHostnames(catalogue);
    const progress: number[] = [];

    // Act
    const result = await resolveHostnames(
      { resolver, store: storeOf() },
      {
        targets: catalogue,
        runId: runIdFor(T0, 15),
        now: T0,
        deadline: Date.now() + 20_000,
        onProgress: (done) => progress.push(done),
      },
    );

    // Assess: every name answered, with every address the zone rotates through
    expect(result.duplicateRun).toBe(false);
    expect(result.observations.map((o) => o.hostname)).toEqual(hostnames);
    for (const observation of result.observations) {
      expect({ host: observation.hostname, outcome: observation.outcome }).toEqual({
        host: observation.hostname,
        outcome: "answered",
      });
      expect(ips(observation)).toEqual(zoneAddresses(zoneV1, observation.hostname));
      expect(observation.entered.sort()).toEqual(ips(observation));
    }
    expect(progress.at(-1)).toBe(hostnames.length);

    const store = storeOf();
    const latest = await store.latestObservations(hostnames);
    expect(latest.size).toBe(hostnames.length);
    const query = latest.get("query-api.eu1.apc.avira.com");
    expect(query?.answers[0]?.cnameChain).toEqual([
      "apc-eu1.query-api.avira-ops.net",
      "apc-eu1-ingress-1418855411.eu-central-1.elb.amazonaws.com",
    ]);
    expect(query?.runId).toBe("2026-08-22T10:15Z");
    const mirrors = await store.hostsForIp("185.155.104.24");
    expect(mirrors.map((m) => m.hostname).sort()).toEqual([
      "aav-update-1.clearswift.net",
      "kav-update-8-1.clearswift.net",
      "sav-update-1.clearswift.net",
    ]);
    const runRecord = await stack.clients.documents.send(
      new GetCommand({
        TableName: stack.tableName,
        Key: { pk: "RUN#2026-08-22T10:15Z", sk: "RUN" },
      }),
    );
    expect(runRecord.Item?.hostnames).toEqual(hostnames);
  });

  it("does not double count when the same run is delivered twice", async () => {
    // Prepare
    const first = await run("2026-08-22T10:15Z", T0);

    // Act: the same scheduled event, delivered again a minute later
    const again = await run("2026-08-22T10:15Z", new Date(T0.getTime() + 60_000));

    // Assess
    expect(again.duplicateRun).toBe(true);
    expect(again.observations).toEqual(first.observations);
    const history = await storeOf().history("www.clearswift.com");
    expect(history).toHaveLength(1);
    expect(history[0]?.active[0]?.timesSeen).toBe(1);
  });

  it("writes one observation per hostname when two invocations of a run race", async () => {
    // Act
    const outcomes = await Promise.allSettled([
      run("2026-08-22T10:15Z", T0),
      run("2026-08-22T10:15Z", new Date(T0.getTime() + 5)),
    ]);

    // Assess: one wrote the run; the twin found its lease live and wrote nothing
    const written = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []));
    expect(written).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(RunInFlightError);
    for (const hostname of ["ra.swisssign.net", "dnsbl7.mailshell.net"]) {
      const history = await storeOf().history(hostname);
      expect(history).toHaveLength(1);
      expect(history[0]).toEqual(written[0]?.observations.find((o) => o.hostname === hostname));
    }
  });

  it("refuses a twin while the first invocation holds the lease, then lets a redelivery in", async () => {
    // Prepare: the first delivery completed and still holds its lease (it is judging)
    const store = storeOf();
    const input = { targets: catalogue, runId: "2026-08-22T10:15Z", deadline: Date.now() + 20_000 };
    const first = await resolveHostnames({ resolver, store }, { ...input, now: T0 });

    // Act
    const twin = await resolveHostnames(
      { resolver, store: storeOf() },
      { ...input, now: new Date(T0.getTime() + 1_000) },
    ).catch((error: unknown) => error);
    await store.releaseRunLease(first.lease);
    const redelivered = await run("2026-08-22T10:15Z", new Date(T0.getTime() + 60_000));

    // Assess
    expect(twin).toBeInstanceOf(RunInFlightError);
    expect((twin as RunInFlightError).until).toBe(first.lease.until);
    expect(redelivered.duplicateRun).toBe(true);
    expect(redelivered.observations).toEqual(first.observations);
    expect(await storeOf().history("www.clearswift.com")).toHaveLength(1);
  });

  it("records a second run's changes against the first and keeps both in the history", async () => {
    // Prepare
    await run("2026-08-22T10:15Z", T0);
    dns.reload(await readFile(ZONE_V2, "utf8"));
    const t1 = new Date(T0.getTime() + 15 * 60_000);

    // Act
    const second = await run("2026-08-22T10:30Z", t1);

    // Assess
    const by = new Map(second.observations.map((o) => [o.hostname, o]));
    const moved = by.get("applianceupdate.clearswift.com");
    expect(moved?.entered).toEqual(["40.113.232.250"]);
    expect(ips(moved)).toEqual(["40.113.232.243", "40.113.232.250"]); // the old one is in grace
    const failing = by.get("ra.swisssign.net");
    expect(failing?.outcome).toBe("servfail");
    expect(failing?.consecutiveFailures).toBe(1);
    expect(ips(failing)).toEqual(["91.208.105.24"]);
    const hijacked = by.get("www.clearswift.com");
    expect(hijacked?.suspicious).toEqual([
      { ip: "10.20.30.40", range: "private", resolver: dns.address },
    ]);
    expect(ips(hijacked)).toEqual(["23.185.0.1"]);

    const store = storeOf();
    expect(await store.history("applianceupdate.clearswift.com")).toHaveLength(2);
    const before = await store.observationAt(
      "applianceupdate.clearswift.com",
      "2026-08-22T10:20:00Z",
    );
    expect(before?.runId).toBe("2026-08-22T10:15Z");
    expect(ips(before)).toEqual(["40.113.232.243"]);
    const onTheDay = await store.observationAt("applianceupdate.clearswift.com", "2026-08-22");
    expect(onTheDay?.runId).toBe("2026-08-22T10:30Z");
    expect(await store.observationAt("applianceupdate.clearswift.com", "2026-08-21")).toBeNull();
    expect(
      (await store.history("applianceupdate.clearswift.com", { from: "2026-08-22T10:16:00Z" })).map(
        (o) => o.runId,
      ),
    ).toEqual(["2026-08-22T10:30Z"]);
    expect((await store.hostsForIp("40.113.232.250")).map((s) => s.hostname)).toEqual([
      "applianceupdate.clearswift.com",
    ]);
  });

  it("stops at the run deadline when the resolver stops answering, and records timeouts", async () => {
    // Prepare: every name dropped; c-ares would wait 5 s x 3 tries per query
    dns.reload(
      resolvableHostnames(catalogue)
        .map((hostname) => `${hostname} DROP`)
        .join("\n"),
    );
    resolver.close();
    resolver = createCaresResolver({ servers: [dns.address], timeoutMs: 5_000, tries: 3 });
    const started = Date.now();

    // Act
    const result = await run("2026-08-22T10:45Z", T0, 500);

    // Assess
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.observations).toHaveLength(resolvableHostnames(catalogue).length);
    for (const observation of result.observations) {
      expect(observation.outcome).toBe("timeout");
      expect(observation.answers[0]?.detail).toBe("run deadline");
      expect(observation.consecutiveFailures).toBe(1);
    }
  });
});

describe("resolveHostnames with several resolvers (vantage points)", () => {
  let stack: EmbeddedStack;
  const servers: ZoneDnsServer[] = [];

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await stack?.stop();
  });

  it("keeps the union and which resolver gave which answer", async () => {
    // Prepare: two vantage points see different CloudFront edges; one is dead
    stack = await startTestStack();
    const europe = await startZoneDnsServer({
      zoneText: "products.clearswift.net 60 A 13.32.121.18 13.32.121.67",
    });
    const america = await startZoneDnsServer({
      zoneText: "products.clearswift.net 60 A 18.161.21.8 13.32.121.18",
    });
    const dead = await startZoneDnsServer({ zoneText: "products.clearswift.net DROP" });
    servers.push(europe, america, dead);
    const resolver = createCaresResolver({
      servers: [europe.address, america.address, dead.address],
      timeoutMs: 200,
      tries: 1,
    });

    // Act
    const result = await resolveHostnames(
      {
        resolver,
        store: createDynamoObservationStore({
          documents: stack.clients.documents,
          tableName: stack.tableName,
        }),
      },
      {
        targets: [{ hostname: "products.clearswift.net", policy: "cloudfront" }],
        runId: "vantage-1",
        now: T0,
        deadline: Date.now() + 10_000,
        options: { retries: 0 },
      },
    );
    resolver.close();

    // Assess
    const [observation] = result.observations;
    expect(observation?.outcome).toBe("answered");
    expect(observation?.active.map((ip) => [ip.ip, ip.resolvers])).toEqual([
      ["13.32.121.18", [america.address, europe.address].sort()],
      ["13.32.121.67", [europe.address]],
      ["18.161.21.8", [america.address]],
    ]);
    expect(observation?.answers.map((a) => [a.resolver, a.outcome])).toEqual([
      [europe.address, "answered"],
      [america.address, "answered"],
      [dead.address, "timeout"],
    ]);
  });
});
