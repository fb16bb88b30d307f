import { describe, expect, it } from "vitest";
import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import {
  advanceRunObservations,
  type RunAnswers,
} from "#shared/observe/dns/advance-run-observations";
import { DEFAULT_RESOLVE_OPTIONS, resolveOptions } from "#shared/observe/dns/resolve-options";
import { hostnamePolicies } from "#shared/observe/dns/resolve-targets";

const GOOD = "192.0.2.53:53";
const BROKEN = "198.51.100.53:53";
const T1 = new Date("2026-08-22T09:00:00Z");
const T2 = new Date("2026-08-22T09:15:00Z");

function answer(resolver: string, a: string[]): ResolverAnswer {
  return {
    resolver,
    outcome: a.length > 0 ? "answered" : "nodata",
    cnameChain: [],
    a: a.map((ip) => ({ ip, ttl: 300 })),
    aaaa: [],
    families: { a: a.length > 0 ? "answered" : "nodata", aaaa: "nodata" },
  };
}

function run(
  runId: string,
  observedAt: Date,
  answers: Record<string, ResolverAnswer[]>,
  extra: Partial<RunAnswers> = {},
): RunAnswers {
  const remaining = Object.keys(answers);
  return {
    runId,
    observedAt,
    remaining,
    answers: new Map(Object.entries(answers)),
    previous: new Map(),
    saved: new Map(),
    policies: new Map(remaining.map((hostname) => [hostname, ["pinned"] as const])),
    options: DEFAULT_RESOLVE_OPTIONS,
    ...extra,
  };
}

/** Three hostnames of three registered domains, each answered by both resolvers. */
function firstRun(): Map<string, HostObservation> {
  const observed = advanceRunObservations(
    run("r1", T1, {
      "api.alpha.com": [answer(GOOD, ["93.184.216.1"]), answer(BROKEN, ["93.184.216.1"])],
      "api.beta.net": [answer(GOOD, ["93.184.216.2"]), answer(BROKEN, ["93.184.216.2"])],
      "api.gamma.org": [answer(GOOD, ["93.184.216.3"]), answer(BROKEN, ["93.184.216.3"])],
    }),
  );
  return new Map(observed.observations.map((o) => [o.hostname, o]));
}

describe("a run's options", () => {
  it("are the defaults with the given ones over them", () => {
    expect(resolveOptions()).toEqual(DEFAULT_RESOLVE_OPTIONS);
    expect(resolveOptions({ samples: 1, retries: 0 })).toEqual({
      ...DEFAULT_RESOLVE_OPTIONS,
      samples: 1,
      retries: 0,
    });
  });

  it("reject a count that is not a positive (or, for retries, whole) number, naming it", () => {
    expect(() => resolveOptions({ samples: 0 })).toThrow(
      new RangeError("samples must be a positive integer, got 0"),
    );
    expect(() => resolveOptions({ concurrency: 1.5 })).toThrow(
      new RangeError("concurrency must be a positive integer, got 1.5"),
    );
    expect(() => resolveOptions({ retries: -1 })).toThrow(
      new RangeError("retries must be a whole number, got -1"),
    );
  });
});

describe("a run's hostnames", () => {
  it("are grouped case-insensitively, in hostname order, with every policy naming them", () => {
    const policies = hostnamePolicies([
      { hostname: "Zeta.example.com", policy: "pinned" },
      { hostname: "alpha.example.com", policy: "pool" },
      { hostname: "zeta.example.com", policy: "rotating" },
    ]);

    expect([...policies]).toEqual([
      ["alpha.example.com", ["pool"]],
      ["zeta.example.com", ["pinned", "rotating"]],
    ]);
  });
});

describe("advancing a run's observations", () => {
  it("advances each remaining hostname under the longest grace of its policies", () => {
    const observed = advanceRunObservations(
      run(
        "r1",
        T1,
        { "cdn.example.com": [answer(GOOD, ["93.184.216.9"])] },
        { policies: new Map([["cdn.example.com", ["pinned", "rotating"]]]) },
      ),
    );

    expect(observed.distrusted).toEqual([]);
    expect(observed.sinkholes).toEqual([]);
    expect(observed.observations).toMatchObject([
      {
        hostname: "cdn.example.com",
        runId: "r1",
        observedAt: T1.toISOString(),
        entered: ["93.184.216.9"],
        grace: { runs: 8, hours: 24 },
      },
    ]);
  });

  it("treats an address one resolver serves for three registered domains as a sinkhole", () => {
    const sinkhole = "93.184.216.66";

    const observed = advanceRunObservations(
      run("r2", T2, {
        "api.alpha.com": [answer(GOOD, ["93.184.216.1"]), answer(BROKEN, [sinkhole])],
        "api.beta.net": [answer(GOOD, ["93.184.216.2"]), answer(BROKEN, [sinkhole])],
        "api.gamma.org": [answer(GOOD, ["93.184.216.3"]), answer(BROKEN, [sinkhole])],
      }),
    );

    expect(observed.sinkholes).toMatchObject([{ resolver: BROKEN, ip: sinkhole }]);
    for (const observation of observed.observations) {
      expect(observation.entered).not.toContain(sinkhole);
      expect(observation.suspicious).toEqual([
        { ip: sinkhole, range: "sinkhole", resolver: BROKEN },
      ]);
    }
  });

  it("counts a resumed run's saved answers in the implausible-absence guard", () => {
    // Prepare: r2's first invocation saved api.alpha.com, which BROKEN emptied; api.beta.net remains.
    const before = firstRun();
    const alpha = advanceRunObservations(
      run(
        "r2",
        T2,
        { "api.alpha.com": [answer(GOOD, ["93.184.216.1"]), answer(BROKEN, [])] },
        { previous: before },
      ),
    ).observations[0] as HostObservation;
    const remaining = { "api.beta.net": [answer(GOOD, ["93.184.216.2"]), answer(BROKEN, [])] };

    // Act
    const alone = advanceRunObservations(run("r2", T2, remaining, { previous: before }));
    const resumed = advanceRunObservations(
      run("r2", T2, remaining, {
        previous: before,
        saved: new Map([["api.alpha.com", alpha]]),
      }),
    );

    // Assess
    expect(alone.distrusted).toEqual([]);
    expect(resumed.distrusted).toEqual([
      { resolver: BROKEN, family: 4, emptied: ["api.alpha.com", "api.beta.net"], eligible: 2 },
    ]);
    expect(resumed.observations.map((o) => o.hostname)).toEqual(["api.beta.net"]);
    expect(resumed.observations[0]?.answers.find((a) => a.resolver === BROKEN)?.outcome).toBe(
      "error",
    );
  });
});
