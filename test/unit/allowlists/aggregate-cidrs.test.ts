import { describe, expect, it } from "vitest";
import { addressRange, aggregateCidrs } from "#shared/allowlists/aggregate-cidrs";

/** A small seeded PRNG (mulberry32), so a failing case can be replayed from its seed. */
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

/** A window of 256 addresses per family, so every address can be enumerated. */
const WINDOWS = {
  4: {
    base: "198.51.100.",
    bits: 24,
    format: (n: number, len: number) => `198.51.100.${n}/${len}`,
  },
  6: {
    base: "2001:db8::",
    bits: 120,
    format: (n: number, len: number) => `2001:db8::${n.toString(16)}/${len}`,
  },
} as const;

function randomEntries(next: () => number, family: 4 | 6): string[] {
  const window = WINDOWS[family];
  const count = 1 + Math.floor(next() * 12);
  return Array.from({ length: count }, () => {
    const hostBits = Math.floor(next() * 9) > 5 ? Math.floor(next() * 9) : 0;
    const offset = (Math.floor(next() * 256) >> hostBits) << hostBits;
    const length = window.bits + 8 - hostBits;
    const cidr = window.format(offset, length);
    // A host prefix is written as a bare IP half the time, as the allowlists do.
    return hostBits === 0 && next() < 0.5 ? (cidr.split("/")[0] ?? cidr) : cidr;
  });
}

/** The offsets (0-255) inside the window that the entries cover, one address at a time. */
function covered(entries: readonly string[], family: 4 | 6): Set<number> {
  const base = addressRange(`${WINDOWS[family].base}0/${WINDOWS[family].bits}`).first;
  const ranges = entries.map(addressRange).filter((range) => range.family === family);
  const set = new Set<number>();
  for (let offset = 0; offset < 256; offset++) {
    const address = base + BigInt(offset);
    if (ranges.some((range) => range.first <= address && address <= range.last)) set.add(offset);
  }
  return set;
}

/** The fewest prefixes that cover a set of offsets exactly, by splitting the window in halves. */
function minimalCount(set: ReadonlySet<number>, start = 0, size = 256): number {
  let inside = 0;
  for (let i = start; i < start + size; i++) if (set.has(i)) inside++;
  if (inside === 0) return 0;
  if (inside === size) return 1;
  return minimalCount(set, start, size / 2) + minimalCount(set, start + size / 2, size / 2);
}

describe("aggregateCidrs", () => {
  it("collapses contained and adjacent prefixes, per family", () => {
    expect(
      aggregateCidrs([
        "192.0.2.0/25",
        "192.0.2.128/25",
        "192.0.2.7",
        "203.0.113.5",
        "2001:db8::/33",
        "2001:db8:8000::/33",
        "2001:db8::1",
      ]),
    ).toEqual(["192.0.2.0/24", "203.0.113.5", "2001:db8::/32"]);
  });

  it("merges a run of host addresses into the aligned blocks it fills, never wider", () => {
    expect(aggregateCidrs(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"])).toEqual([
      "10.0.0.1",
      "10.0.0.2/31",
      "10.0.0.4",
    ]);
  });

  it("normalises a prefix written with host bits set and keeps an empty list empty", () => {
    expect(aggregateCidrs(["192.0.2.77/24"])).toEqual(["192.0.2.0/24"]);
    expect(aggregateCidrs([])).toEqual([]);
  });

  it("rejects an entry that is not an address, naming it", () => {
    expect(() => aggregateCidrs(["192.0.2.0/24", "example.com"])).toThrow(/"example.com"/);
    expect(() => aggregateCidrs(["192.0.2.0/33"])).toThrow(/"192.0.2.0\/33"/);
  });

  it("covers exactly the same addresses with the fewest prefixes (500 random lists per family)", () => {
    for (const family of [4, 6] as const) {
      for (let seed = 1; seed <= 500; seed++) {
        const next = random(seed * 7 + family);
        const entries = randomEntries(next, family);
        const aggregated = aggregateCidrs(entries);
        const context = { seed, family, entries, aggregated };

        expect(covered(aggregated, family), JSON.stringify(context)).toEqual(
          covered(entries, family),
        );
        expect(aggregated.length, JSON.stringify(context)).toBe(
          minimalCount(covered(entries, family)),
        );
        expect(aggregateCidrs(aggregated), JSON.stringify(context)).toEqual(aggregated);
        expect(aggregateCidrs([...entries].reverse()), JSON.stringify(context)).toEqual(aggregated);
      }
    }
  });

  it("aggregates a mixed-family list as each family alone", () => {
    const next = random(42);
    const v4 = randomEntries(next, 4);
    const v6 = randomEntries(next, 6);
    expect(aggregateCidrs([...v6, ...v4])).toEqual([...aggregateCidrs(v4), ...aggregateCidrs(v6)]);
  });
});
