import { readFile } from "node:fs/promises";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDetectionStores, createJudgeDrift } from "#shared/adapters/compose";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { type Catalogue, resolvableHostnames } from "#shared/catalogue/schema";
import {
  type ResolveAndJudgeDeps,
  type ResolveAndJudgeResult,
  resolveAndJudge,
} from "#shared/detect/resolve-and-judge";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import type { DnsResolver } from "#shared/observe/dns/resolver";
import { type Delivered, drainQueue, subscribeQueue } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";

/**
 * Gap: EventBridge and Lambda deliver at least once, so two invocations of one scheduled run
 * (the same run id) may run at the same time. The run's history items are written by batch,
 * unconditionally, under the run's lease: the twin that finds the lease live must write no
 * observation and judge, commit and publish nothing, so the run has one set of observations
 * and its change events are notified once.
 */

const T0 = new Date("2026-08-22T10:15:00.000Z");

function eventIds(delivered: readonly Delivered[]): string[] {
  return delivered.flatMap(({ notification }) => notification.events.map((e) => e.eventId));
}

describe("fault: two invocations of the same scheduled run at once", () => {
  let stack: EmbeddedStack;
  let dns: ZoneDnsServer;
  let resolver: DnsResolver;
  let catalogue: Catalogue;
  let queueUrl: string;

  beforeEach(async () => {
    catalogue = await loadCatalogueFile();
    stack = await startTestStack();
    dns = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
    resolver = createCaresResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 });
    queueUrl = subscribeQueue(stack, "every-change");
  });
  afterEach(async () => {
    resolver.close();
    await dns.stop();
    await stack.stop();
  });

  /** One invocation's dependencies, as the resolve function builds them (own clients' stores). */
  const invocation = (warnings: string[]): ResolveAndJudgeDeps => {
    const stores = createDetectionStores(stack.clients, stack);
    return {
      catalogues: async () => catalogue,
      resolver,
      observations: stores.observations,
      feedPointers: stores.feedPointers,
      archive: stores.archive,
      judgeDrift: createJudgeDrift(stores),
      logger: {
        info: () => {},
        warn: (message) => void warnings.push(message),
        error: () => {},
      },
      metrics: new Metrics({ namespace: "driftwatch-test" }),
      clock: () => T0.getTime(),
    };
  };
  const deliver = (deps: ResolveAndJudgeDeps, runId: string) =>
    resolveAndJudge(deps, {
      catalogueIds: [catalogue.id],
      runId,
      deadline: Date.now() + 20_000,
      invocationEnd: Date.now() + 60_000,
      options: {},
    });

  it("writes one set of observations and notifies each change once; the twin does nothing", async () => {
    // Prepare: a baseline run, then the zone changes before the next scheduled run
    await deliver(invocation([]), "2026-08-22T10:00Z");
    await drainQueue(stack, queueUrl);
    dns.reload(await readFile("fixtures/dns/clearswift-v2.zone", "utf8"));
    const warnings: string[] = [];

    // Act: the same scheduled event delivered twice at once, then once more later
    const twins = await Promise.all([
      deliver(invocation(warnings), "2026-08-22T10:15Z"),
      deliver(invocation(warnings), "2026-08-22T10:15Z"),
    ]);
    const delivered = await drainQueue(stack, queueUrl);
    const later = await deliver(invocation([]), "2026-08-22T10:15Z");
    const afterLater = await drainQueue(stack, queueUrl);

    // Assess: one invocation judged the run, the other found its lease live
    const holder = twins.find((t) => t.inFlightElsewhere === undefined) as ResolveAndJudgeResult;
    const twin = twins.find((t) => t.inFlightElsewhere !== undefined) as ResolveAndJudgeResult;
    expect(holder).toBeDefined();
    expect(twin).toBeDefined();
    expect(holder.committed).toBeGreaterThan(0);
    expect(twin).toMatchObject({ committed: 0, driftEvents: 0, historyArchive: null });
    expect(warnings).toContain("run in flight in another invocation: nothing written or judged");
    // one observation of the run per hostname: a history item when its state changed, else a
    // confirmation of its revision, listed by one invocation only
    const observations = createDetectionStores(stack.clients, stack).observations;
    const run = { runId: "2026-08-22T10:15Z", observedAt: T0.toISOString() };
    const hostnames = resolvableHostnames(catalogue);
    const ofRun = await observations.observationsOfRun(run, hostnames);
    expect([...ofRun.keys()].sort()).toEqual([...new Set(hostnames)].sort());
    expect([...ofRun.values()].every((o) => o.runId === run.runId)).toBe(true);
    let written = 0;
    for (const hostname of hostnames) {
      const history = await observations.history(hostname);
      const own = history.filter((o) => o.runId === run.runId);
      expect(own.length).toBeLessThanOrEqual(1);
      written += own.length;
    }
    expect(written).toBeGreaterThan(0);
    const confirmations = await stack.clients.documents.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": `RUN#${run.runId}`, ":prefix": "CONFIRMED#" },
      }),
    );
    const owners = new Set(
      (confirmations.Items ?? []).map((item) => String(item.sk).split("#")[2]),
    );
    expect(owners.size).toBe(written < new Set(hostnames).size ? 1 : 0);
    // each change notified once; the later redelivery commits and notifies nothing
    const ids = eventIds(delivered);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect(later.duplicateRun).toBe(true);
    expect(later.committed).toBe(0);
    expect(afterLater).toEqual([]);
    expect(await observations.unjudgedRuns()).toEqual([]);
  });
});
