import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";
import {
  MAX_OBSERVATION_ITEM_BYTES,
  ObservationTooLargeError,
} from "#shared/adapters/dynamodb/observation-store/observation-item";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import type { HostObservation, ObservedIp } from "#shared/domain/observation";
import { startTestStack } from "#test/helpers/stack";
import { observation } from "#test/helpers/verdict-fixtures";

let stack: EmbeddedStack;
beforeEach(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack.stop();
});

const store = () =>
  createDynamoObservationStore({ documents: stack.clients.documents, tableName: stack.tableName });

const HOSTNAME = "rotating.example.net";
const RESOLVERS = ["192.0.2.53:53", "198.51.100.53:53", "203.0.113.53:53"];
const RUN_AT = "2026-08-22T12:00:00.000Z";
const RUN_ID = "2026-08-22T12:00Z";

/** A deterministic pseudo-random source (mulberry32), so the sizes measured are repeatable. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A rotating hostname as it looks after many runs: cloud-like addresses (IPv4 in a few /8s,
 * IPv6 in one /32, the rest random), first and last seen at one of the last 96 run times
 * (15 minutes apart, 24 h), seen by one to three resolvers; the run itself answered 24 of them.
 */
function rotatingObservation(ipv4: number, ipv6: number, seed = 1): HostObservation {
  const next = random(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const runTime = (runsAgo: number) =>
    new Date(Date.parse(RUN_AT) - runsAgo * 15 * 60_000).toISOString();
  const hex = () => pick(0x10000).toString(16);
  const addresses = new Set<string>();
  const departedIps = 256;
  while (addresses.size < ipv4 + departedIps) {
    addresses.add(`${[3, 18, 34, 52, 54][pick(5)]}.${pick(256)}.${pick(256)}.${pick(256)}`);
  }
  while (addresses.size < ipv4 + departedIps + ipv6) {
    addresses.add(`2600:1f18:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}`);
  }
  const ips = [...addresses].map((ip): ObservedIp => {
    const lastRunsAgo = pick(96);
    const resolvers = RESOLVERS.filter(() => next() < 0.6);
    return {
      ip,
      family: ip.includes(":") ? 6 : 4,
      firstSeen: runTime(lastRunsAgo + pick(96 - lastRunsAgo)),
      lastSeen: runTime(lastRunsAgo),
      timesSeen: 1 + pick(8),
      resolvers: resolvers.length > 0 ? resolvers : [RESOLVERS[0] as string],
      ...(lastRunsAgo > 0 ? { absentRuns: Math.min(lastRunsAgo, 8) } : {}),
    };
  });
  const active = ips.slice(departedIps);
  const answered = active.slice(-24);
  const departed = ips
    .slice(0, departedIps)
    .map((ip): ObservedIp => ({ ...ip, absentRuns: 9, leftAt: runTime(1) }));
  return {
    hostname: HOSTNAME,
    runId: RUN_ID,
    observedAt: RUN_AT,
    outcome: "answered",
    consecutiveFailures: 0,
    active,
    entered: answered.map((ip) => ip.ip),
    left: [],
    departed,
    trackedSince: "2026-01-05T00:00:00.000Z",
    suspicious: [],
    answers: RESOLVERS.map((resolver) => ({
      resolver,
      outcome: "answered",
      cnameChain: [`${HOSTNAME}.cdn.example.com`],
      a: answered.filter((ip) => ip.family === 4).map((ip) => ({ ip: ip.ip, ttl: 60 })),
      aaaa: answered.filter((ip) => ip.family === 6).map((ip) => ({ ip: ip.ip, ttl: 60 })),
      families: { a: "answered", aaaa: "answered" },
    })),
    grace: { runs: 8, hours: 24 },
  };
}

const storedItem = async (saved: HostObservation) =>
  (
    await stack.clients.documents.send(
      new GetCommand({
        TableName: stack.tableName,
        Key: { pk: `HOST#${saved.hostname}`, sk: `RUN#${saved.observedAt}#${saved.runId}` },
      }),
    )
  ).Item;

describe("the observation store: observations too large for a plain item", () => {
  it("saves and reads back 6,000 IPv4 and 2,000 IPv6 active addresses through every read", async () => {
    // Prepare: ~1.2 MB as plain attributes, three times what a DynamoDB item may hold
    const observations = store();
    const large = rotatingObservation(6_000, 2_000);
    const runAfter = { runId: "2026-08-22T12:15Z", observedAt: "2026-08-22T12:15:00.000Z" };

    // Act
    const result = await observations.saveObservation(large);
    const again = await observations.saveObservation(large);
    const saved = await observations.savedObservations(large, [HOSTNAME]);
    const previous = await observations.previousObservations([HOSTNAME], runAfter);
    const latest = await observations.latestObservations([HOSTNAME]);
    const at = await observations.observationAt(HOSTNAME, "2026-08-22");
    const history = await observations.history(HOSTNAME);
    const newest = await observations.history(HOSTNAME, { limit: 1 });
    const item = await storedItem(large);

    // Assess: nothing lost, the lists gzipped in one attribute, the rest as plain attributes
    expect(result.saved).toBe(true);
    expect(again).toEqual({ saved: false, observation: large });
    expect(saved.get(HOSTNAME)).toEqual(large);
    expect(previous.get(HOSTNAME)).toEqual(large);
    expect(latest.get(HOSTNAME)).toEqual(large);
    expect(at).toEqual(large);
    expect(history).toEqual([large]);
    expect(newest).toEqual([large]);
    expect(item).toMatchObject({
      hostname: HOSTNAME,
      outcome: "answered",
      trackedSince: "2026-01-05T00:00:00.000Z",
    });
    expect(item?.active).toBeUndefined();
    expect(item?.answers).toBeUndefined();
    expect(item?.listsGz).toBeInstanceOf(Uint8Array);
    expect(Buffer.byteLength(item?.listsGz ?? "")).toBeLessThan(MAX_OBSERVATION_ITEM_BYTES / 2);
  });

  it("keeps an observation of ordinary size as plain attributes, readable beside gzipped ones", async () => {
    // Prepare
    const observations = store();
    const small = observation(HOSTNAME, {
      runId: "2026-08-22T11:45Z",
      observedAt: "2026-08-22T11:45:00.000Z",
      active: ["52.1.2.3", "2600:1f18::1"],
    });
    const large = rotatingObservation(3_000, 1_000);

    // Act
    await observations.saveObservation(small);
    await observations.saveObservation(large);
    const history = await observations.history(HOSTNAME);
    const item = await storedItem(small);

    // Assess: the small item is exactly the layout written before gzip existed
    expect(history).toEqual([small, large]);
    expect(item?.listsGz).toBeUndefined();
    expect(item?.active).toEqual(small.active);
    expect(item?.answers).toEqual(small.answers);
    expect(item?.entered).toEqual(small.entered);
  });

  it("refuses an observation too large even gzipped, naming the hostname and size, writing nothing", async () => {
    // Prepare: random addresses barely compress; this many cannot fit in 400 KB
    const observations = store();
    const huge = rotatingObservation(45_000, 15_000, 7);
    huge.entered = huge.active.map((ip) => ip.ip);

    // Act
    const failure = await observations.saveObservation(huge).catch((error: unknown) => error);
    const written = await stack.clients.documents.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `IP#${huge.active[0]?.ip}` },
      }),
    );
    const latest = await observations.latestObservations([HOSTNAME]);

    // Assess
    expect(failure).toBeInstanceOf(ObservationTooLargeError);
    const tooLarge = failure as ObservationTooLargeError;
    expect(tooLarge.hostname).toBe(HOSTNAME);
    expect(tooLarge.bytes).toBeGreaterThan(MAX_OBSERVATION_ITEM_BYTES);
    expect(tooLarge.message).toContain(HOSTNAME);
    expect(tooLarge.message).toContain(String(tooLarge.bytes));
    expect(written.Items).toEqual([]);
    expect(latest.size).toBe(0);
  });
});
