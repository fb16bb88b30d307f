import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import { ObservationStoreError } from "#shared/adapters/dynamodb/observation-store/observation-store-error";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { type Catalogue, resolvableHostnames } from "#shared/catalogue/schema";
import type { HostObservation } from "#shared/domain/observation";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import type { ObservationStore } from "#shared/observe/dns/observation-store";
import { ObservationSaveError, resolveHostnames } from "#shared/observe/dns/resolve-hostnames";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { startTestStack } from "#test/helpers/stack";

const RUN_ID = "2026-08-22T10:15Z";
const T0 = new Date("2026-08-22T10:15:00.000Z");

/**
 * The real DynamoDB store, with DynamoDB "failing" (throttled, then unreachable) after a number
 * of saves: the failure is injected at the adapter boundary, like an SDK error would surface.
 */
function failingAfter(store: ObservationStore, saves: number): ObservationStore {
  let count = 0;
  const throttled = (hostname: string) =>
    new ObservationStoreError(`saving ${hostname} failed`, {
      cause: Object.assign(new Error("Rate exceeded"), {
        name: "ProvisionedThroughputExceededException",
      }),
    });
  return {
    beginRun: (run) => store.beginRun(run),
    takeRunLease: (request) => store.takeRunLease(request),
    releaseRunLease: (lease) => store.releaseRunLease(lease),
    savedObservations: (run, hostnames) => store.savedObservations(run, hostnames),
    previousObservations: (hostnames, before) => store.previousObservations(hostnames, before),
    async saveObservation(observation: HostObservation) {
      count++;
      if (count > saves) throw throttled(observation.hostname);
      return store.saveObservation(observation);
    },
    async saveObservations(observations, lease) {
      const allowed = observations.slice(0, Math.max(0, saves - count));
      count += observations.length;
      const result = await store.saveObservations(allowed, lease);
      const failed = observations
        .slice(allowed.length)
        .map((o) => ({ hostname: o.hostname, error: throttled(o.hostname) }));
      return { saved: result.saved, failed: [...result.failed, ...failed] };
    },
  };
}

describe("resolve run when the observation store fails mid-run", () => {
  let stack: EmbeddedStack;
  let dns: ZoneDnsServer;
  let resolver: DnsResolver;
  let catalogue: Catalogue;

  beforeEach(async () => {
    catalogue = await loadCatalogueFile("fixtures/catalogue/clearswift-seg-5.3.json");
    stack = await startTestStack();
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    resolver = createCaresResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 });
  });
  afterEach(async () => {
    resolver.close();
    await dns.stop();
    await stack.stop();
  });

  const realStore = () =>
    createDynamoObservationStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    });
  // As the callers do: the run's lease is released once the run is done (judged).
  const attempt = async (store: ObservationStore, now: Date) => {
    const result = await resolveHostnames(
      { resolver, store },
      { targets: catalogue, runId: RUN_ID, now, deadline: Date.now() + 20_000 },
    );
    await store.releaseRunLease(result.lease);
    return result;
  };

  it("fails the run naming what was not saved, and a retry completes it without double counting", async () => {
    // Prepare
    const hostnames = resolvableHostnames(catalogue);

    // Act: the first delivery dies after 10 saves; Lambda retries the same event later
    const failure = await attempt(failingAfter(realStore(), 10), T0).catch((error) => error);
    const retry = await attempt(realStore(), new Date(T0.getTime() + 120_000));
    const third = await attempt(realStore(), new Date(T0.getTime() + 240_000));

    // Assess
    expect(failure).toBeInstanceOf(ObservationSaveError);
    expect((failure as ObservationSaveError).hostnames).toHaveLength(hostnames.length - 10);
    expect((failure as ObservationSaveError).cause).toBeInstanceOf(ObservationStoreError);

    expect(retry.duplicateRun).toBe(false);
    expect(retry.reused).toBe(10);
    expect(retry.observations.map((o) => o.hostname)).toEqual(hostnames);
    // The retry keeps the first attempt's observation time, so its items share the run's key.
    expect(new Set(retry.observations.map((o) => o.observedAt))).toEqual(
      new Set([T0.toISOString()]),
    );
    for (const hostname of hostnames) {
      const history = await realStore().history(hostname);
      expect(history.map((o) => o.runId)).toEqual([RUN_ID]);
      for (const ip of history[0]?.active ?? []) expect(ip.timesSeen).toBe(1);
    }
    expect(third.duplicateRun).toBe(true);
    expect(third.observations).toEqual(retry.observations);
  });

  it("loses nothing when the store is down from the start: the retry runs the whole run", async () => {
    // Act
    const failure = await attempt(failingAfter(realStore(), 0), T0).catch((error) => error);
    const retry = await attempt(realStore(), new Date(T0.getTime() + 60_000));

    // Assess
    expect(failure).toBeInstanceOf(ObservationSaveError);
    expect(retry.reused).toBe(0);
    expect(retry.observations.every((o) => o.outcome === "answered")).toBe(true);
    expect(retry.observations.every((o) => o.consecutiveFailures === 0)).toBe(true);
  });
});
