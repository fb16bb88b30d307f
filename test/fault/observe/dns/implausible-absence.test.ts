import { createSocket, type Socket } from "node:dgram";
import { readFile } from "node:fs/promises";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import type { HostObservation } from "#shared/domain/observation";
import { resolveRun } from "#test/helpers/dns-run";
import { startTestStack } from "#test/helpers/stack";

/**
 * A resolver that answers every name with NODATA: here a UDP socket that sends each query back
 * as it came (what a c-ares socket connected to itself, or a reflecting middlebox, gives: c-ares
 * reads its own query as an empty NOERROR answer). Believed for the grace period, it would empty
 * the observed set of every hostname and notify every address as removed.
 */
async function echoResolver(): Promise<Socket> {
  const socket = createSocket("udp4");
  socket.on("message", (message, peer) => socket.send(message, peer.port, peer.address));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return socket;
}

const T0 = new Date("2026-08-22T10:00:00.000Z");
const HOUR_MS = 3_600_000;

const activeIps = (observations: readonly HostObservation[]) =>
  new Map(observations.map((o) => [o.hostname, o.active.map((ip) => ip.ip).sort()]));

describe("fault: a resolver answers NODATA for every name", () => {
  let catalogue: Catalogue;
  let stack: EmbeddedStack;
  let zone: ZoneDnsServer;
  let echo: Socket;

  beforeAll(async () => {
    catalogue = await loadCatalogueFile("fixtures/catalogue/clearswift-seg-5.3.json");
  });
  beforeEach(async () => {
    stack = await startTestStack();
    zone = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    echo = await echoResolver();
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => echo.close(resolve));
    await zone.stop();
    await stack.stop();
  });

  const runAgainst = (server: string, runId: string, now: Date) =>
    resolveRun(stack, { servers: [server], targets: catalogue, runId, now });

  it("removes no address however long it lasts, and reports every name as failing with why", async () => {
    // Prepare: a healthy baseline
    const baseline = await runAgainst(zone.address, "run-0", T0);
    const echoAddress = `127.0.0.1:${echo.address().port}`;

    // Act: six hourly runs well past every non-rotating grace period (3 runs and 1 h)
    const runs = [];
    for (let hour = 1; hour <= 6; hour++) {
      runs.push(
        await runAgainst(echoAddress, `run-${hour}`, new Date(T0.getTime() + hour * HOUR_MS)),
      );
    }

    // Assess
    const last = runs.at(-1)?.observations ?? [];
    expect(baseline.observations.every((o) => o.outcome === "answered")).toBe(true);
    expect(activeIps(last)).toEqual(activeIps(baseline.observations));
    for (const run of runs) {
      expect(run.observations.flatMap((o) => o.left)).toEqual([]);
    }
    for (const observation of last) {
      expect(observation.outcome, observation.hostname).toBe("error");
      expect(observation.consecutiveFailures).toBe(6);
      expect(observation.answers[0]?.detail).toMatch(
        /A NODATA not trusted: \d+ of the \d+ hostnames with IPv4 addresses got none/,
      );
    }
  });

  it("still honours one hostname's NODATA among answers: its address leaves after the grace period", async () => {
    // Prepare: the baseline, then a zone where one pinned name has no A record any more
    const hostname = "applianceupdate.clearswift.com";
    await runAgainst(zone.address, "run-0", T0);
    const healthy = await readFile("fixtures/dns/clearswift.zone", "utf8");
    const withoutA = healthy
      .split("\n")
      .filter((line) => !line.trim().toLowerCase().startsWith(hostname))
      .concat(`${hostname} AAAA 2001:4860:4860::8888`)
      .join("\n");
    zone.reload(withoutA);

    // Act
    const runs = [];
    for (let hour = 1; hour <= 4; hour++) {
      runs.push(
        await runAgainst(zone.address, `run-${hour}`, new Date(T0.getTime() + hour * HOUR_MS)),
      );
    }

    // Assess
    const left = runs.flatMap((run) =>
      run.observations.flatMap((o) => o.left.map((ip) => [o.hostname, ip.ip])),
    );
    expect(left).toEqual([[hostname, "40.113.232.243"]]);
    const last = runs.at(-1)?.observations.find((o) => o.hostname === hostname);
    expect(last?.outcome).toBe("answered");
  });
});
