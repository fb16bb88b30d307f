import { describe, expect, it } from "vitest";
import type { ObservedIp, ResolverAnswer } from "#shared/domain/observation";
import { distrustImplausibleAbsence } from "#shared/observe/dns/implausible-absence";

const GOOD = "192.0.2.53:53";
const BROKEN = "198.51.100.53:53";

function had(...ips: string[]): { active: ObservedIp[] } {
  return {
    active: ips.map((ip) => ({
      ip,
      family: ip.includes(":") ? 6 : 4,
      firstSeen: "2026-08-22T09:00:00.000Z",
      lastSeen: "2026-08-22T09:00:00.000Z",
      timesSeen: 1,
      resolvers: [GOOD, BROKEN],
    })),
  };
}

function answer(resolver: string, a: string[], aaaa: string[] = []): ResolverAnswer {
  const outcome = (records: string[]) => (records.length > 0 ? "answered" : "nodata");
  return {
    resolver,
    outcome: a.length + aaaa.length > 0 ? "answered" : "nodata",
    cnameChain: [],
    a: a.map((ip) => ({ ip, ttl: 300 })),
    aaaa: aaaa.map((ip) => ({ ip, ttl: 300 })),
    families: { a: outcome(a), aaaa: outcome(aaaa) },
  };
}

describe("distrustImplausibleAbsence", () => {
  it("turns a resolver's NODATA into failures when most names with addresses got none from it", () => {
    // Prepare: three names with IPv4; BROKEN empties all three, GOOD answers them
    const previous = new Map([
      ["a.example.net", had("203.0.113.1")],
      ["b.example.net", had("203.0.113.2")],
      ["c.example.net", had("203.0.113.3", "2001:db8::3")],
    ]);
    const answers = new Map([
      ["a.example.net", [answer(GOOD, ["203.0.113.1"]), answer(BROKEN, [])]],
      ["b.example.net", [answer(GOOD, ["203.0.113.2"]), answer(BROKEN, [])]],
      ["c.example.net", [answer(GOOD, ["203.0.113.3"], ["2001:db8::3"]), answer(BROKEN, [])]],
    ]);

    // Act
    const result = distrustImplausibleAbsence(answers, previous);

    // Assess
    // IPv6: one emptied name is fewer than the two that make a resolver implausible.
    expect(result.distrusted).toEqual([
      {
        resolver: BROKEN,
        family: 4,
        emptied: ["a.example.net", "b.example.net", "c.example.net"],
        eligible: 3,
      },
    ]);
    for (const [hostname, list] of result.answers) {
      const [good, broken] = list;
      expect(good, hostname).toEqual(answers.get(hostname)?.[0]);
      expect(broken?.outcome).toBe("error");
      expect(broken?.families).toEqual({ a: "error", aaaa: "error" });
      expect(broken?.detail).toBe(
        "A NODATA not trusted: 3 of the 3 hostnames with IPv4 addresses got none from this resolver in this run",
      );
    }
    // The input is left as it was.
    expect(answers.get("a.example.net")?.[1]?.outcome).toBe("nodata");
  });

  it("distrusts a resolver that empties two in five names (a broken forwarder need not blank most)", () => {
    // Prepare
    const names = ["a", "b", "c", "d", "e"].map((n) => `${n}.example.net`);
    const previous = new Map(names.map((name, i) => [name, had(`203.0.113.${i + 1}`)]));
    const answers = new Map(
      names.map((name, i) => [name, [answer(BROKEN, i < 2 ? [] : [`203.0.113.${i + 1}`])]]),
    );

    // Act
    const result = distrustImplausibleAbsence(answers, previous);

    // Assess
    expect(result.distrusted).toEqual([
      { resolver: BROKEN, family: 4, emptied: ["a.example.net", "b.example.net"], eligible: 5 },
    ]);
    expect(result.answers.get("a.example.net")?.[0]?.outcome).toBe("error");
    expect(result.answers.get("c.example.net")?.[0]?.outcome).toBe("answered");
  });

  it("keeps one name's NODATA among names that still answer: a real absence", () => {
    // Prepare
    const previous = new Map([
      ["a.example.net", had("203.0.113.1")],
      ["b.example.net", had("203.0.113.2")],
      ["c.example.net", had("203.0.113.3")],
    ]);
    const answers = new Map([
      ["a.example.net", [answer(GOOD, [])]],
      ["b.example.net", [answer(GOOD, ["203.0.113.2"])]],
      ["c.example.net", [answer(GOOD, ["203.0.113.3"])]],
    ]);

    // Act
    const result = distrustImplausibleAbsence(answers, previous);

    // Assess
    expect(result.distrusted).toEqual([]);
    expect(result.answers.get("a.example.net")?.[0]?.outcome).toBe("nodata");
  });

  it("does not count the NODATA of names that had no address of the family (most have no AAAA)", () => {
    // Prepare: every name answers A and has never had IPv6
    const previous = new Map([
      ["a.example.net", had("203.0.113.1")],
      ["b.example.net", had("203.0.113.2")],
    ]);
    const answers = new Map([
      ["a.example.net", [answer(GOOD, ["203.0.113.1"])]],
      ["b.example.net", [answer(GOOD, ["203.0.113.2"])]],
    ]);

    // Act
    const result = distrustImplausibleAbsence(answers, previous);

    // Assess
    expect(result.distrusted).toEqual([]);
    expect(result.answers.get("b.example.net")?.[0]?.families).toEqual({
      a: "answered",
      aaaa: "nodata",
    });
  });

  it("judges nothing on a first run, when no name had addresses yet", () => {
    // Prepare
    const answers = new Map([
      ["a.example.net", [answer(BROKEN, [])]],
      ["b.example.net", [answer(BROKEN, [])]],
    ]);

    // Act
    const result = distrustImplausibleAbsence(answers, new Map());

    // Assess
    expect(result.distrusted).toEqual([]);
    expect(result.answers.get("a.example.net")?.[0]?.outcome).toBe("nodata");
  });

  it("keeps a failure's own detail and adds why its NODATA is not trusted", () => {
    // Prepare: BROKEN's A is NODATA for both names, its AAAA query failed
    const previous = new Map([
      ["a.example.net", had("203.0.113.1")],
      ["b.example.net", had("203.0.113.2")],
    ]);
    const broken = (): ResolverAnswer => ({
      ...answer(BROKEN, []),
      families: { a: "nodata", aaaa: "servfail" },
      detail: "AAAA ESERVFAIL",
    });
    const answers = new Map([
      ["a.example.net", [broken()]],
      ["b.example.net", [broken()]],
    ]);

    // Act
    const result = distrustImplausibleAbsence(answers, previous);

    // Assess
    const changed = result.answers.get("a.example.net")?.[0];
    expect(changed?.families).toEqual({ a: "error", aaaa: "servfail" });
    expect(changed?.outcome).toBe("servfail");
    expect(changed?.detail).toMatch(/^AAAA ESERVFAIL; A NODATA not trusted: 2 of the 2 /);
  });
});
