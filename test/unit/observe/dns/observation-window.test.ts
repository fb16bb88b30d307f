import { describe, expect, it } from "vitest";
import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import {
  advanceObservation,
  classifyAddress,
  DEFAULT_GRACE,
  effectiveGrace,
  type Grace,
} from "#shared/observe/dns/observation-window";

const HOSTNAME = "ksn1.kaspersky-labs.com";
const RESOLVER = "127.0.0.1:5353";
const START = Date.parse("2026-08-22T10:00:00.000Z");
const MINUTE = 60_000;

function answered(ips: string[], resolver = RESOLVER): ResolverAnswer {
  return {
    resolver,
    outcome: "answered",
    cnameChain: [],
    a: ips.filter((ip) => !ip.includes(":")).map((ip) => ({ ip, ttl: 60 })),
    aaaa: ips.filter((ip) => ip.includes(":")).map((ip) => ({ ip, ttl: 60 })),
    families: { a: "answered", aaaa: ips.some((ip) => ip.includes(":")) ? "answered" : "nodata" },
  } satisfies ResolverAnswer;
}

function failed(outcome: "timeout" | "servfail" | "nxdomain", resolver = RESOLVER): ResolverAnswer {
  return {
    resolver,
    outcome,
    cnameChain: [],
    a: [],
    aaaa: [],
    families: { a: outcome, aaaa: outcome },
    detail: `${outcome} in test`,
  } satisfies ResolverAnswer;
}

/** Runs the window over a script of runs, one every `everyMinutes`, and returns every state. */
function replay(
  script: ResolverAnswer[][],
  grace: Grace,
  everyMinutes = 15,
  start: HostObservation | null = null,
): HostObservation[] {
  const states: HostObservation[] = [];
  let state = start;
  script.forEach((answers, run) => {
    state = advanceObservation(state, answers, {
      hostname: HOSTNAME,
      runId: `run-${run}`,
      now: new Date(START + run * everyMinutes * MINUTE),
      grace,
    });
    states.push(state);
  });
  return states;
}

const activeIps = (state: HostObservation | undefined) => state?.active.map((ip) => ip.ip) ?? [];

describe("observation window", () => {
  it("lets an IP enter on its first sighting, with first/last seen and the resolver", () => {
    // Prepare
    const grace = DEFAULT_GRACE.pinned;

    // Act
    const [first] = replay([[answered(["185.155.104.24"])]], grace);

    // Assess
    expect(first?.entered).toEqual(["185.155.104.24"]);
    expect(first?.active).toEqual([
      {
        ip: "185.155.104.24",
        family: 4,
        firstSeen: "2026-08-22T10:00:00.000Z",
        lastSeen: "2026-08-22T10:00:00.000Z",
        timesSeen: 1,
        resolvers: [RESOLVER],
        absentRuns: 0,
      },
    ]);
    expect(first?.trackedSince).toBe("2026-08-22T10:00:00.000Z");
    expect(first?.outcome).toBe("answered");
    expect(first?.consecutiveFailures).toBe(0);
  });

  it("does not flap when a round-robin name rotates through its addresses", () => {
    // Prepare: four addresses, two per run, rotating, every 15 minutes for six hours
    const pool = ["50.116.50.102", "50.116.50.105", "50.116.50.109", "50.116.50.197"];
    const script = Array.from({ length: 24 }, (_, run) => [
      answered([pool[(run * 2) % 4] as string, pool[(run * 2 + 1) % 4] as string]),
    ]);

    // Act
    const states = replay(script, DEFAULT_GRACE.rotating);

    // Assess: after the second run all four are in and none ever leaves
    for (const state of states.slice(1)) expect(activeIps(state)).toEqual(pool);
    expect(states.flatMap((state) => state.left)).toEqual([]);
    expect(states.flatMap((state) => state.entered)).toEqual(pool);
  });

  it("sees an added IP within one run", () => {
    // Prepare
    const script = [[answered(["3.10.94.193"])], [answered(["3.10.94.193", "3.10.94.200"])]];

    // Act
    const [, second] = replay(script, DEFAULT_GRACE.pinned);

    // Assess
    expect(second?.entered).toEqual(["3.10.94.200"]);
    expect(activeIps(second)).toEqual(["3.10.94.193", "3.10.94.200"]);
  });

  it("removes an IP only once both the grace runs and the grace hours are over", () => {
    // Prepare: seen once, then absent in every later run (every 15 min); grace 3 runs and 1 hour
    const grace = { runs: 3, hours: 1 };
    const script = [
      [answered(["40.113.232.243", "50.58.188.57"])],
      ...Array.from({ length: 5 }, () => [answered(["40.113.232.243"])]),
    ];

    // Act
    const states = replay(script, grace);

    // Assess: absent 3 runs after 45 min (hours not over), leaves at run 4 (60 min)
    expect(activeIps(states[3])).toContain("50.58.188.57");
    expect(states[3]?.active.find((ip) => ip.ip === "50.58.188.57")?.absentRuns).toBe(3);
    expect(states[4]?.left.map((ip) => ip.ip)).toEqual(["50.58.188.57"]);
    expect(states[4]?.left[0]?.leftAt).toBe("2026-08-22T11:00:00.000Z");
    expect(activeIps(states[4])).toEqual(["40.113.232.243"]);
    expect(states[5]?.left).toEqual([]);
    expect(states[5]?.departed.map((ip) => ip.ip)).toEqual(["50.58.188.57"]);
  });

  it("needs the grace runs too when runs are rare (hours over, runs not)", () => {
    // Prepare: one run a day; grace 3 runs and 1 hour
    const script = [
      [answered(["1.1.1.1", "2.2.2.2"])],
      [answered(["1.1.1.1"])],
      [answered(["1.1.1.1"])],
    ];

    // Act
    const states = replay(script, { runs: 3, hours: 1 }, 24 * 60);

    // Assess
    expect(activeIps(states[2])).toEqual(["1.1.1.1", "2.2.2.2"]);
    expect(states.flatMap((state) => state.left)).toEqual([]);
  });

  it("never removes anything during failures, however long, and counts them", () => {
    // Prepare: seen once, then two days of timeouts, SERVFAIL and NXDOMAIN
    const outcomes = ["timeout", "servfail", "nxdomain"] as const;
    const script = [
      [answered(["176.58.99.196"])],
      ...Array.from({ length: 200 }, (_, run) => [failed(outcomes[run % 3] ?? "timeout")]),
    ];

    // Act
    const states = replay(script, DEFAULT_GRACE.pool);
    const last = states.at(-1);

    // Assess
    expect(activeIps(last)).toEqual(["176.58.99.196"]);
    expect(last?.consecutiveFailures).toBe(200);
    expect(last?.active[0]?.absentRuns).toBe(0);
    expect(states.flatMap((state) => state.left)).toEqual([]);
  });

  it("resets the failure count on the next usable answer and reports the most telling failure", () => {
    // Prepare
    const script = [
      [failed("timeout"), failed("servfail", "127.0.0.2:53")],
      [failed("timeout")],
      [answered(["45.79.132.16"]), failed("timeout", "127.0.0.2:53")],
    ];

    // Act
    const states = replay(script, DEFAULT_GRACE.pinned);

    // Assess
    expect(states.map((state) => state.outcome)).toEqual(["servfail", "timeout", "answered"]);
    expect(states.map((state) => state.consecutiveFailures)).toEqual([1, 2, 0]);
  });

  it("keeps private, loopback, CGNAT, documentation and unspecified answers out of the set", () => {
    // Prepare
    const suspiciousIps = [
      "10.0.0.5",
      "127.0.0.1",
      "100.64.0.1",
      "192.0.2.10",
      "0.0.0.0",
      "fd00::1",
    ];

    // Act
    const [state] = replay([[answered(["23.185.0.1", ...suspiciousIps])]], DEFAULT_GRACE.pinned);

    // Assess
    expect(activeIps(state)).toEqual(["23.185.0.1"]);
    expect(state?.suspicious.map((s) => [s.ip, s.range])).toEqual([
      ["0.0.0.0", "unspecified"],
      ["10.0.0.5", "private"],
      ["100.64.0.1", "carrierGradeNat"],
      ["127.0.0.1", "loopback"],
      ["192.0.2.10", "reserved"],
      ["fd00::1", "uniqueLocal"],
    ]);
  });

  it("does not let a sinkholing resolver's answers push real IPs out", () => {
    // Prepare: seen, then only ever answered with a sinkhole address for a day
    const script = [
      [answered(["23.185.0.1"])],
      ...Array.from({ length: 96 }, () => [answered(["0.0.0.0"])]),
    ];

    // Act
    const states = replay(script, DEFAULT_GRACE.pinned);

    // Assess
    expect(activeIps(states.at(-1))).toEqual(["23.185.0.1"]);
    expect(states.at(-1)?.consecutiveFailures).toBe(96);
    expect(states.at(-1)?.suspicious).toEqual([
      { ip: "0.0.0.0", range: "unspecified", resolver: RESOLVER },
    ]);
  });

  it("does not count an IPv6 address absent when only the AAAA query failed", () => {
    // Prepare
    const aaaaTimedOut: ResolverAnswer = {
      ...answered(["52.7.29.211"]),
      families: { a: "answered", aaaa: "timeout" },
    };
    const script = [
      [answered(["52.7.29.211", "2600:1f18::10"])],
      ...Array.from({ length: 12 }, () => [aaaaTimedOut]),
    ];

    // Act
    const states = replay(script, DEFAULT_GRACE.pinned);

    // Assess
    expect(activeIps(states.at(-1))).toEqual(["52.7.29.211", "2600:1f18::10"]);
  });

  it("does not count an IP absent while the resolver that returned it times out", () => {
    // Prepare: a geo-DNS name; only the second vantage point ever returned 13.32.9.9, and it
    // then stops answering while the first one keeps answering its own edge
    const europe = "10.0.0.2:53";
    const america = "10.0.0.3:53";
    const script = [
      [answered(["13.32.1.10"], europe), answered(["13.32.9.9"], america)],
      ...Array.from({ length: 12 }, () => [
        answered(["13.32.1.10"], europe),
        failed("timeout", america),
      ]),
    ];

    // Act
    const states = replay(script, DEFAULT_GRACE.cloudfront);

    // Assess
    expect(activeIps(states.at(-1))).toEqual(["13.32.1.10", "13.32.9.9"]);
    expect(states.flatMap((state) => state.left)).toEqual([]);
  });

  it("counts an IP absent when every resolver that returned it answered without it", () => {
    // Prepare: the same two vantage points, both answering, the second one's edge moved
    const europe = "10.0.0.2:53";
    const america = "10.0.0.3:53";
    const script = [
      [answered(["13.32.1.10"], europe), answered(["13.32.9.9"], america)],
      ...Array.from({ length: 4 }, () => [
        answered(["13.32.1.10"], europe),
        answered(["13.32.9.10"], america),
      ]),
    ];

    // Act
    const states = replay(script, DEFAULT_GRACE.cloudfront);

    // Assess
    expect(activeIps(states.at(-1))).toEqual(["13.32.1.10", "13.32.9.10"]);
    expect(states.at(-1)?.departed.map((ip) => ip.ip)).toEqual(["13.32.9.9"]);
  });

  it("keeps the union of what several resolvers answered, with who answered what", () => {
    // Prepare
    const answers = [
      answered(["13.32.1.10"], "10.0.0.2:53"),
      answered(["13.32.1.10", "13.32.9.9"], "10.0.0.3:53"),
    ];

    // Act
    const [state] = replay([answers], DEFAULT_GRACE.cloudfront);

    // Assess
    expect(state?.active.map((ip) => [ip.ip, ip.resolvers])).toEqual([
      ["13.32.1.10", ["10.0.0.2:53", "10.0.0.3:53"]],
      ["13.32.9.9", ["10.0.0.3:53"]],
    ]);
  });

  it("brings a departed IP back as entered, keeping its first sighting", () => {
    // Prepare: leaves after the grace, comes back a day later
    const grace = { runs: 1, hours: 1 };
    const script = [
      [answered(["1.2.3.4", "5.6.7.8"])],
      [answered(["1.2.3.4"])],
      [answered(["1.2.3.4"])],
      [answered(["1.2.3.4", "5.6.7.8"])],
    ];

    // Act
    const states = replay(script, grace, 60);

    // Assess
    expect(states[1]?.left.map((ip) => ip.ip)).toEqual(["5.6.7.8"]);
    expect(states[3]?.entered).toEqual(["5.6.7.8"]);
    expect(states[3]?.departed).toEqual([]);
    expect(states[3]?.active.find((ip) => ip.ip === "5.6.7.8")).toMatchObject({
      firstSeen: "2026-08-22T10:00:00.000Z",
      lastSeen: "2026-08-22T13:00:00.000Z",
      timesSeen: 2,
    });
  });

  it("returns the previous state unchanged when the same run is applied again", () => {
    // Prepare
    const options = {
      hostname: HOSTNAME,
      runId: "r1",
      now: new Date(START),
      grace: DEFAULT_GRACE.pool,
    };
    const first = advanceObservation(null, [answered(["1.2.3.4"])], options);

    // Act
    const again = advanceObservation(first, [answered(["1.2.3.4"])], options);

    // Assess
    expect(again.active[0]?.timesSeen).toBe(1);
  });
});

describe("grace periods", () => {
  it("uses the longest grace of a hostname listed under several policies", () => {
    expect(effectiveGrace(["pinned", "rotating"])).toEqual({ runs: 8, hours: 24 });
    expect(
      effectiveGrace(["pinned", "pool"], {
        ...DEFAULT_GRACE,
        pinned: { runs: 2, hours: 6 },
        pool: { runs: 5, hours: 1 },
      }),
    ).toEqual({ runs: 5, hours: 6 });
  });
});

describe("classifyAddress", () => {
  it("accepts public addresses and flags the rest with their range", () => {
    expect(classifyAddress("2600:9000:0:0::1")).toEqual({
      suspicious: false,
      ip: "2600:9000::1",
      family: 6,
    });
    expect(classifyAddress("169.254.169.254")).toMatchObject({
      suspicious: true,
      range: "linkLocal",
    });
    expect(classifyAddress("224.0.0.251")).toMatchObject({ suspicious: true, range: "multicast" });
    expect(classifyAddress("fe80::1")).toMatchObject({ suspicious: true, range: "linkLocal" });
  });
});
