import { describe, expect, it } from "vitest";
import {
  compareAddresses,
  mergeSortedAddresses,
  sortAddresses,
  unionOfSortedAddresses,
} from "#shared/domain/addresses";

describe("sortAddresses", () => {
  it("orders IPv4 before IPv6, numerically, a shorter prefix first, what is no address last", () => {
    const sorted = sortAddresses([
      "2001:db8::1",
      "not-an-ip",
      "10.0.0.0/8",
      "9.255.255.255",
      "10.0.0.0",
      "10.0.0.0/16",
      "::ffff:0:0/96",
      "2001:db8::/32",
      "10.0.0.0/8",
      "192.0.2.1",
      "*.apc.example.com",
      "2001:db8::1/128",
    ]);

    expect(sorted).toEqual([
      "9.255.255.255",
      "10.0.0.0/8",
      "10.0.0.0/16",
      "10.0.0.0",
      "192.0.2.1",
      "::ffff:0:0/96",
      "2001:db8::/32",
      "2001:db8::1",
      "2001:db8::1/128",
      "*.apc.example.com",
      "not-an-ip",
    ]);
  });

  it("sorts exactly as compareAddresses, duplicates removed, on a mixed list", () => {
    // Prepare: addresses of both families, prefixes of every length class, two spellings of one
    // IPv6 address, numbers that sort differently as text and as bytes, and names.
    const addresses: string[] = [];
    for (let i = 0; i < 300; i++) {
      const a = (i * 37) % 256;
      const b = (i * 101) % 256;
      addresses.push(`${a}.${b}.${i % 7}.${(i * 13) % 256}`);
      addresses.push(`${a}.${b}.0.0/${8 + (i % 25)}`);
      addresses.push(`2001:db8:${(i * 7919).toString(16)}::${(i % 17).toString(16)}`);
      addresses.push(`2001:db8:${(i * 7919).toString(16)}::/${32 + (i % 97)}`);
      if (i % 50 === 0) addresses.push(`host-${i}.example.com`, "2001:0db8::1", "2001:db8::1");
    }
    addresses.push(...addresses.slice(0, 100));

    // Act
    const sorted = sortAddresses(addresses);

    // Assess
    expect(sorted).toEqual([...new Set(addresses)].sort(compareAddresses));
    expect(sorted).toHaveLength(new Set(addresses).size);
  });
});

describe("mergeSortedAddresses", () => {
  it("gives what sortAddresses gives of both lists, in one pass", () => {
    // Prepare: two overlapping mixed lists, each sorted; two spellings of one IPv6 address, names
    const all: string[] = [];
    for (let i = 0; i < 200; i++) {
      all.push(`${(i * 37) % 256}.${(i * 101) % 256}.0.0/${8 + (i % 25)}`);
      all.push(`2001:db8:${(i * 7919).toString(16)}::${(i % 17).toString(16)}`);
      if (i % 40 === 0) all.push(`host-${i}.example.com`, "2001:0db8::1", "2001:db8::1");
    }
    const a = sortAddresses(all.filter((_, n) => n % 3 !== 0));
    const b = sortAddresses(all.filter((_, n) => n % 2 === 0));

    // Act
    const merged = mergeSortedAddresses(a, b);

    // Assess
    expect(merged).toEqual(sortAddresses([...a, ...b]));
    expect(mergeSortedAddresses(a, [])).toEqual(a);
    expect(mergeSortedAddresses([], b)).toEqual(b);
  });
});

describe("unionOfSortedAddresses", () => {
  it("gives what sortAddresses gives of every list, a shared list counted once", () => {
    // Prepare: one long list three endpoints share, two short ones overlapping it
    const shared = sortAddresses(
      Array.from({ length: 300 }, (_, i) => `${(i * 37) % 256}.${i % 256}.0.0/${8 + (i % 17)}`),
    );
    const lists = [
      shared,
      sortAddresses(["2001:db8::1", "9.9.9.9", shared[10] ?? ""]),
      shared,
      sortAddresses(["host.example.com", "2001:0db8::1"]),
      shared,
    ];

    // Act
    const union = unionOfSortedAddresses(lists);

    // Assess
    expect(union).toEqual(sortAddresses(lists.flat()));
    expect(unionOfSortedAddresses([])).toEqual([]);
    expect(unionOfSortedAddresses([shared])).toEqual(shared);
  });
});
