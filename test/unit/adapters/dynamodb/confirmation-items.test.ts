import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type Confirmation,
  confirmationItems,
  parseConfirmationItem,
} from "#shared/adapters/dynamodb/observation-store/confirmations";

const RUN = { runId: "r7", observedAt: "2026-08-22T07:00:00.000Z" };
const LEASE = { scope: "run", owner: "owner-1" };
const SK = "RUN#2026-08-22T01:00:00.000Z#r1";

/** A confirmation whose listed revision carries `noiseBytes` of random (incompressible) text. */
function confirmation(n: number, noiseBytes: number): Confirmation {
  const hostname = `host-${n}.example-av.com`;
  return {
    hostname,
    revisionSk: SK,
    runsSince: 6,
    revision: { hostname, noise: randomBytes(noiseBytes).toString("base64") },
  };
}

const gzippedSizes = (items: Record<string, unknown>[]) =>
  items.map((item) => (item.confirmedGz as Uint8Array).length);

describe("the items of a run's confirmations", () => {
  it("lists each confirmation with its revision, read back as it was given", () => {
    // Prepare
    const confirmations = [confirmation(1, 100), confirmation(2, 100)];

    // Act
    const items = confirmationItems(RUN, LEASE, confirmations, 1_800_000_000);

    // Assess
    expect(items.map((item) => item.sk)).toEqual(["CONFIRMED#run#owner-1#0"]);
    expect(items.flatMap(parseConfirmationItem)).toEqual(confirmations);
  });

  it("splits a list that gzipped would pass 350,000 bytes, each item below it", () => {
    // Prepare: 8 revisions of ~130 KB of random text, ~1 MB gzipped together
    const confirmations = Array.from({ length: 8 }, (_, n) => confirmation(n, 100_000));

    // Act
    const items = confirmationItems(RUN, LEASE, confirmations, 1_800_000_000);

    // Assess: cut in order, every revision still listed
    expect(items.length).toBeGreaterThanOrEqual(3);
    for (const size of gzippedSizes(items)) expect(size).toBeLessThanOrEqual(350_000);
    expect(items.map((item) => item.sk)).toEqual(items.map((_, n) => `CONFIRMED#run#owner-1#${n}`));
    expect(items.flatMap(parseConfirmationItem)).toEqual(confirmations);
  });

  it("lists a revision too large for an item alone by its key only", () => {
    // Prepare: ~530 KB of random text in one revision, beside a small one
    const huge = confirmation(1, 400_000);
    const small = confirmation(2, 100);

    // Act
    const items = confirmationItems(RUN, LEASE, [huge, small], 1_800_000_000);

    // Assess: the huge one by key (its reader gets its history item), the small one whole
    for (const size of gzippedSizes(items)) expect(size).toBeLessThanOrEqual(350_000);
    const { revision: _, ...byKey } = huge;
    expect(items.flatMap(parseConfirmationItem)).toEqual([byKey, small]);
  });
});
