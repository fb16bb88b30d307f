import { describe, expect, it } from "vitest";
import {
  familyCidrs,
  MODIFY_BATCH_MAX,
  type PrefixListLimits,
  planPrefixList,
  prefixListCidr,
} from "#shared/notify/prefix-lists/plan";

const NO_RESIZE: PrefixListLimits = { allowResize: false, maxEntriesCeiling: 1000 };
const RESIZE: PrefixListLimits = { allowResize: true, maxEntriesCeiling: 1000 };

/** A deterministic pseudo-random generator (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct /32s out of a pool of `pool` addresses in 198.18.0.0/15. */
function someCidrs(next: () => number, count: number, pool: number): string[] {
  const chosen = new Set<string>();
  while (chosen.size < count) {
    const n = Math.floor(next() * pool);
    chosen.add(`198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}/32`);
  }
  return [...chosen];
}

/** Applies the plan's batches to `current` as AWS would, checking MaxEntries after each call. */
function applyPlan(current: string[], target: string[], maxEntries: number, limits = NO_RESIZE) {
  const plan = planPrefixList(current, target, maxEntries, limits);
  if (plan.kind !== "apply") return { plan, entries: new Set(current), peak: current.length };
  const capacity = plan.resizeTo ?? maxEntries;
  const entries = new Set(current);
  let peak = entries.size;
  for (const batch of plan.batches) {
    expect(batch.add.length).toBeLessThanOrEqual(MODIFY_BATCH_MAX);
    expect(batch.remove.length).toBeLessThanOrEqual(MODIFY_BATCH_MAX);
    for (const cidr of batch.remove) expect(entries.delete(cidr), cidr).toBe(true);
    for (const cidr of batch.add) entries.add(cidr);
    peak = Math.max(peak, entries.size);
    expect(entries.size).toBeLessThanOrEqual(capacity);
  }
  return { plan, entries, peak };
}

describe("prefixListCidr", () => {
  it("writes a bare IP as a host prefix and clears host bits, per family", () => {
    expect(prefixListCidr("185.155.104.24", "IPv4")).toBe("185.155.104.24/32");
    expect(prefixListCidr("3.172.1.9/18", "IPv4")).toBe("3.172.0.0/18");
    expect(prefixListCidr("2600:9000:0000::1", "IPv6")).toBe("2600:9000::1/128");
    expect(prefixListCidr("2600:9000:2000::/40", "IPv6")).toBe("2600:9000:2000::/40");
  });

  it("leaves out the other family and what is not an address", () => {
    expect(prefixListCidr("2600:9000::1", "IPv4")).toBeUndefined();
    expect(prefixListCidr("185.155.104.24", "IPv6")).toBeUndefined();
    expect(prefixListCidr("*.apc.avira.com", "IPv4")).toBeUndefined();
    expect(prefixListCidr("10.0.0.0/33", "IPv4")).toBeUndefined();
  });

  it("familyCidrs keeps one of each, sorted numerically", () => {
    expect(
      familyCidrs(["70.33.161.213", "3.10.94.193/32", "70.33.161.213/32", "::1", "x"], "IPv4"),
    ).toEqual(["3.10.94.193/32", "70.33.161.213/32"]);
  });
});

describe("planPrefixList", () => {
  it("is unchanged when the list already lists the target", () => {
    expect(planPrefixList(["10.0.0.0/8"], ["10.0.0.0/8"], 10, NO_RESIZE)).toEqual({
      kind: "unchanged",
      entries: 1,
    });
  });

  it("adds and removes the difference in one call when it fits", () => {
    const plan = planPrefixList(
      ["10.0.0.1/32", "10.0.0.2/32"],
      ["10.0.0.2/32", "10.0.0.3/32"],
      2,
      NO_RESIZE,
    );

    expect(plan).toEqual({
      kind: "apply",
      add: ["10.0.0.3/32"],
      remove: ["10.0.0.1/32"],
      batches: [{ add: ["10.0.0.3/32"], remove: ["10.0.0.1/32"] }],
    });
  });

  it("splits into batches of at most 100, removing first so a full list never overflows", () => {
    const next = random(7);
    const current = someCidrs(next, 250, 1000);
    const target = someCidrs(random(8), 250, 100_000).filter((c) => !current.includes(c));

    const { plan, entries, peak } = applyPlan(current, target, 250);

    expect(plan.kind).toBe("apply");
    expect([...entries].sort()).toEqual([...target].sort());
    expect(peak).toBe(250);
    if (plan.kind === "apply") expect(plan.batches.length).toBeGreaterThanOrEqual(3);
  });

  it("refuses a target larger than MaxEntries when resizing is not allowed, naming both numbers", () => {
    const plan = planPrefixList([], someCidrs(random(1), 12, 1000), 10, NO_RESIZE);

    expect(plan).toMatchObject({ kind: "refused", targetEntries: 12, maxEntries: 10 });
    if (plan.kind === "refused") {
      expect(plan.reason).toBe("12 entries exceed MaxEntries 10 and resizing is not allowed");
      expect(plan.add).toHaveLength(12);
    }
  });

  it("grows MaxEntries to exactly the target when allowed, within the ceiling", () => {
    const target = someCidrs(random(2), 12, 1000);

    const { plan, entries } = applyPlan([], target, 10, RESIZE);
    const beyond = planPrefixList([], target, 10, { allowResize: true, maxEntriesCeiling: 11 });

    expect(plan).toMatchObject({ kind: "apply", resizeTo: 12 });
    expect(entries.size).toBe(12);
    expect(beyond).toMatchObject({
      kind: "refused",
      reason: "12 entries exceed the largest size allowed (11)",
    });
  });

  it("converges from random starting states to random targets, never past MaxEntries", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const maxEntries = 1 + Math.floor(next() * 400);
      const pool = 1 + Math.floor(next() * 800);
      const current = someCidrs(next, Math.floor(next() * Math.min(maxEntries, pool)), pool);
      const target = someCidrs(next, Math.floor(next() * Math.min(maxEntries, pool)), pool);

      const { plan, entries } = applyPlan(current, target, maxEntries);

      expect(plan.kind, `seed ${seed}`).not.toBe("refused");
      expect([...entries].sort(), `seed ${seed}`).toEqual([...target].sort());
      // A second plan from the converged state has nothing left to do (redelivery).
      expect(planPrefixList([...entries], target, maxEntries, NO_RESIZE).kind).toBe("unchanged");
    }
  });
});
