import { describe, expect, it } from "vitest";
import { historyInstant } from "#shared/adapters/dynamodb/observation-store/history-instant";
import {
  ipSightingItem,
  parseIpSighting,
} from "#shared/adapters/dynamodb/observation-store/ip-sighting-item";
import {
  observationItem,
  parseObservation,
} from "#shared/adapters/dynamodb/observation-store/observation-item";
import { ObservationStoreError } from "#shared/adapters/dynamodb/observation-store/observation-store-error";
import { parseRun, runItem } from "#shared/adapters/dynamodb/observation-store/run-item";
import { HOSTS, observation, observedIp } from "#test/helpers/verdict-fixtures";

const EXPIRES_AT = 1_800_000_000;

/** `count` distinct IPv4 addresses in 10.0.0.0/8. */
function manyIps(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  );
}

describe("the history item of an observation", () => {
  it("keeps a small observation as plain attributes under its hostname and run", () => {
    // Prepare
    const observed = observation(HOSTS.pinned, {
      active: ["3.10.94.193"],
      entered: ["3.10.94.200"],
    });

    // Act
    const item = observationItem(observed, EXPIRES_AT);

    // Assess
    expect(item).toMatchObject({
      pk: `HOST#${HOSTS.pinned}`,
      sk: `RUN#${observed.observedAt}#${observed.runId}`,
      kind: "dns-observation",
      schemaVersion: 1,
      expiresAt: EXPIRES_AT,
      active: observed.active,
    });
    expect(item.listsGz).toBeUndefined();
    expect(parseObservation(item)).toEqual(observed);
  });

  it("gzips the lists of an observation over 100 kB and reads them back whole", () => {
    // Prepare: ~146 bytes per active IP inline, so 1,000 IPs are well over the inline limit
    const observed = observation(HOSTS.rotating, { active: manyIps(1_000) });

    // Act
    const item = observationItem(observed, EXPIRES_AT);

    // Assess
    expect(item.listsGz).toBeInstanceOf(Uint8Array);
    for (const name of ["active", "entered", "left", "departed", "suspicious", "answers"]) {
      expect(item[name]).toBeUndefined();
    }
    expect(parseObservation(item)).toEqual(observed);
  });

  it("names the item of a malformed or unreadable stored observation", () => {
    // Prepare
    const item = observationItem(
      observation(HOSTS.pinned, { active: ["3.10.94.193"] }),
      EXPIRES_AT,
    );

    // Act / Assess
    expect(() => parseObservation({ ...item, outcome: "maybe" })).toThrow(
      new ObservationStoreError(`stored observation ${item.pk} ${item.sk} is malformed`),
    );
    expect(() => parseObservation({ ...item, listsGz: new Uint8Array([1, 2, 3]) })).toThrow(
      new ObservationStoreError(`stored observation ${item.pk} ${item.sk} has unreadable listsGz`),
    );
  });
});

describe("the run record", () => {
  it("is in the unjudged index, ordered by observation time, and reads back as the run", () => {
    // Prepare
    const run = { runId: "run-1", observedAt: "2026-08-21T12:00:00.000Z", hostnames: ["a.test"] };

    // Act
    const item = runItem(run, EXPIRES_AT);

    // Assess
    expect(item).toMatchObject({
      pk: "RUN#run-1",
      sk: "RUN",
      kind: "dns-run",
      gsi1pk: "UNJUDGED_RUN",
      gsi1sk: "2026-08-21T12:00:00.000Z#run-1",
      expiresAt: EXPIRES_AT,
    });
    expect(parseRun(item, "run-1")).toEqual(run);
    expect(() => parseRun({ runId: "run-1" }, "run-1")).toThrow("stored run run-1 is malformed");
  });
});

describe("the IP index item", () => {
  it("is keyed by IP, then hostname, and reads back as the sighting", () => {
    // Prepare
    const observed = observation(HOSTS.pinned, { entered: ["2600:9000::1"] });
    const ip = observedIp("2600:9000::1", { firstSeen: observed.observedAt });

    // Act
    const item = ipSightingItem(observed, ip);

    // Assess
    expect(item).toMatchObject({ pk: "IP#2600:9000::1", sk: `HOST#${HOSTS.pinned}` });
    expect(parseIpSighting(item)).toEqual({
      ip: "2600:9000::1",
      hostname: HOSTS.pinned,
      family: 6,
      firstSeen: observed.observedAt,
      runId: observed.runId,
    });
  });
});

describe("history bounds", () => {
  it("reads a date as the start or end of its UTC day, and an instant as ISO", () => {
    expect(historyInstant("2026-08-21", false)).toBe("2026-08-21T00:00:00.000Z");
    expect(historyInstant("2026-08-21", true)).toBe("2026-08-21T23:59:59.999Z");
    expect(historyInstant("2026-08-21T14:00:00+02:00", true)).toBe("2026-08-21T12:00:00.000Z");
    expect(() => historyInstant("yesterday", false)).toThrow(RangeError);
  });
});
