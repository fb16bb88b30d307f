import { createSocket, type Socket } from "node:dgram";
import dns2 from "dns2";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type { HostObservation } from "#shared/domain/observation";
import { resolveRun } from "#test/helpers/dns-run";
import { startTestStack } from "#test/helpers/stack";

const { Packet } = dns2;
type DnsResource = InstanceType<typeof Packet>["answers"][number];

/**
 * A resolver that answers every A query with one public address and every other query with an
 * empty NOERROR: a DNS filter's block page, a captive portal, a hijack. Believed, the address
 * would enter every allowlist and, after the grace period, every real address would be removed.
 */
async function sinkholeResolver(address: string): Promise<Socket> {
  const socket = createSocket("udp4");
  socket.on("message", (message, peer) => {
    const request = Packet.parse(message);
    const response = Packet.createResponseFromRequest(request);
    const question = request.questions[0];
    if (question !== undefined && question.type === Packet.TYPE.A) {
      const record = { name: question.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60 };
      response.answers.push({ ...record, address } as DnsResource);
    }
    socket.send(response.toBuffer(), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return socket;
}

const T0 = new Date("2026-08-22T10:00:00.000Z");
const HOUR_MS = 3_600_000;
const BLOCK_PAGE = "23.192.228.80";

const activeIps = (observations: readonly HostObservation[]) =>
  new Map(observations.map((o) => [o.hostname, o.active.map((ip) => ip.ip).sort()]));

describe("fault: a resolver answers every name with one public address", () => {
  let catalogue: Catalogue;
  let stack: EmbeddedStack;
  let zone: ZoneDnsServer;
  let sinkhole: Socket;

  beforeAll(async () => {
    catalogue = await loadCatalogueFile("fixtures/catalogue/clearswift-seg-5.3.json");
  });
  beforeEach(async () => {
    stack = await startTestStack();
    zone = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    sinkhole = await sinkholeResolver(BLOCK_PAGE);
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => sinkhole.close(resolve));
    await zone.stop();
    await stack.stop();
  });

  const runAgainst = (servers: string[], runId: string, now: Date) =>
    resolveRun(stack, { servers, targets: catalogue, runId, now });

  it("never lets the address in, removes nothing over a day of runs, and raises suspicious-answer", async () => {
    // Prepare: a healthy baseline
    const baseline = await runAgainst([zone.address], "run-0", T0);
    const sinkholeAddress = `127.0.0.1:${sinkhole.address().port}`;

    // Act: runs every 2 hours against the sinkhole, past every grace period (rotating: 8 runs,
    // 24 h)
    const runs = [];
    for (let hour = 2; hour <= 26; hour += 2) {
      runs.push(
        await runAgainst([sinkholeAddress], `run-${hour}`, new Date(T0.getTime() + hour * HOUR_MS)),
      );
    }
    const last = runs.at(-1);
    const events = evaluateDrift({
      catalogue,
      observations: last?.observations ?? [],
      feeds: { results: [], matchers: new Map() },
      now: new Date(T0.getTime() + 26 * HOUR_MS),
      runId: "run-26",
      options: { failureThreshold: 3, unusedGrace: { hours: 24 * 30 } },
    });

    // Assess
    expect(baseline.observations.every((o) => o.outcome === "answered")).toBe(true);
    for (const run of runs) {
      expect(run.observations.flatMap((o) => o.entered)).toEqual([]);
      expect(run.observations.flatMap((o) => o.left)).toEqual([]);
    }
    const observations = last?.observations ?? [];
    expect(activeIps(observations)).toEqual(activeIps(baseline.observations));
    for (const observation of observations) {
      expect(observation.suspicious, observation.hostname).toEqual([
        { ip: BLOCK_PAGE, range: "sinkhole", resolver: sinkholeAddress },
      ]);
      expect(observation.answers[0]?.detail).toMatch(
        /23\.192\.228\.80 is a sinkhole: this resolver served it for 48 hostnames under \d+ registered domains/,
      );
    }
    expect(events.filter((e) => e.type === "ip-added" || e.type === "ip-removed")).toEqual([]);
    const suspicious = events.filter((e) => e.type === "suspicious-answer");
    expect(suspicious.length).toBeGreaterThan(40);
    expect(suspicious.every((e) => e.severity === "high")).toBe(true);
    expect(suspicious[0]?.reason).toContain(`with ${BLOCK_PAGE} (sinkhole)`);
  });

  it("keeps the honest resolver's answers when the sinkhole is a second vantage point", async () => {
    // Prepare
    const baseline = await runAgainst([zone.address], "run-0", T0);
    const sinkholeAddress = `127.0.0.1:${sinkhole.address().port}`;

    // Act
    const runs = [];
    for (let hour = 1; hour <= 4; hour++) {
      runs.push(
        await runAgainst(
          [zone.address, sinkholeAddress],
          `run-${hour}`,
          new Date(T0.getTime() + hour * HOUR_MS),
        ),
      );
    }

    // Assess: the real addresses are still seen (rotations aside), the block page never enters
    const entered = runs.flatMap((run) => run.observations.flatMap((o) => o.entered));
    expect(entered).not.toContain(BLOCK_PAGE);
    expect(runs.flatMap((run) => run.observations.flatMap((o) => o.left))).toEqual([]);
    const last = runs.at(-1)?.observations ?? [];
    expect(last.every((o) => o.consecutiveFailures === 0)).toBe(true);
    expect(last.every((o) => o.active.length > 0)).toBe(true);
    expect(baseline.observations.length).toBe(last.length);
  });
});
