import { describe, expect, it } from "vitest";
import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import { confirmedObservation, confirmsState } from "#shared/observe/dns/observation-revision";
import { advanceObservation } from "#shared/observe/dns/observation-window";

const HOSTNAME = "update.example-av.com";
const RESOLVERS = ["127.0.0.1:5353", "127.0.0.2:5353"];
const START = Date.parse("2026-08-22T10:00:00.000Z");
const RUN_MS = 15 * 60_000;

function answer(
  ips: string[],
  options: { resolver?: string; ttl?: number; cname?: string[] } = {},
): ResolverAnswer {
  const ttl = options.ttl ?? 300;
  return {
    resolver: options.resolver ?? RESOLVERS[0] ?? "",
    outcome: "answered",
    cnameChain: options.cname ?? [],
    a: ips.filter((ip) => !ip.includes(":")).map((ip) => ({ ip, ttl })),
    aaaa: ips.filter((ip) => ip.includes(":")).map((ip) => ({ ip, ttl })),
    families: { a: "answered", aaaa: ips.some((ip) => ip.includes(":")) ? "answered" : "nodata" },
  };
}

const failed: ResolverAnswer = {
  resolver: RESOLVERS[0] ?? "",
  outcome: "servfail",
  cnameChain: [],
  a: [],
  aaaa: [],
  families: { a: "servfail", aaaa: "servfail" },
  detail: "servfail in test",
};

/** Run `n` (0 first) of the hostname, from the state before it. */
function run(n: number, previous: HostObservation | null, answers: ResolverAnswer[]) {
  return advanceObservation(previous, answers, {
    hostname: HOSTNAME,
    runId: `run-${n}`,
    now: new Date(START + n * RUN_MS),
    grace: { runs: 3, hours: 1 },
  });
}

// Public addresses: documentation ranges are reserved, so suspicious, and never enter.
const IPS = ["151.101.1.10", "151.101.65.10", "2a04:4e42::10"];
/** Two runs that saw the same addresses: the second is the first state in steady state. */
function steady(): HostObservation {
  const first = run(0, null, [answer(IPS), answer(IPS, { resolver: RESOLVERS[1] })]);
  return run(1, first, [answer(IPS), answer(IPS, { resolver: RESOLVERS[1] })]);
}

describe("a run that sees a hostname as its revision says", () => {
  it("only confirms it, whatever the TTLs and the order of the records", () => {
    // Prepare: the revision, then a run whose caching resolver counted the TTLs down and whose
    // server rotated the RRset
    const revision = steady();
    const rotated = [...IPS].reverse();
    const answers = [
      answer(rotated, { ttl: 12 }),
      answer(rotated, { resolver: RESOLVERS[1], ttl: 299 }),
    ];

    // Act
    const next = run(2, revision, answers);

    // Assess: exactly what the confirmation stands for, but the run's own answers
    expect(confirmsState(revision, next)).toBe(true);
    expect({ ...confirmedObservation(revision, next, 1), answers: next.answers }).toEqual(next);
  });

  it("stands for the observation each later confirming run would have written", () => {
    // Prepare: the revision, then three more runs with the same answers
    const revision = steady();
    const same = [answer(IPS), answer(IPS, { resolver: RESOLVERS[1] })];
    const two = run(2, revision, same);
    const three = run(3, two, same);
    const four = run(4, three, same);

    // Act
    const confirmed = confirmedObservation(revision, four, 3);

    // Assess: last seen at run 4, seen three more times, the answers the revision's
    expect(confirmed).toEqual({ ...four, answers: revision.answers });
    expect(confirmed.active.map((ip) => ip.timesSeen)).toEqual([5, 5, 5]);
    expect(confirmsState(confirmedObservation(revision, three, 2), four)).toBe(true);
  });

  it("is a new revision when anything but the TTLs changed", () => {
    const revision = steady();
    const other = { resolver: RESOLVERS[1] };
    const cases: [string, ResolverAnswer[]][] = [
      ["an IP enters", [answer([...IPS, "151.101.129.10"]), answer(IPS, other)]],
      ["an IP is absent (grace)", [answer(IPS.slice(1)), answer(IPS.slice(1), other)]],
      ["the lookup fails", [failed, { ...failed, resolver: RESOLVERS[1] ?? "" }]],
      ["a resolver is missing", [answer(IPS)]],
      [
        "the CNAME chain changed",
        [answer(IPS, { cname: ["cdn.example.net"] }), answer(IPS, other)],
      ],
      ["a private answer", [answer([...IPS, "10.0.0.1"]), answer(IPS, other)]],
    ];

    for (const [what, answers] of cases) {
      expect(confirmsState(revision, run(2, revision, answers)), what).toBe(false);
    }
  });

  it("confirms the revision an IP entered in: the confirmation lists nothing entering", () => {
    const first = run(0, null, [answer(IPS)]);
    const second = run(1, first, [answer(IPS)]);

    expect(first.entered).toHaveLength(3);
    expect(confirmsState(first, second)).toBe(true);
    expect({ ...confirmedObservation(first, second, 1), answers: second.answers }).toEqual(second);
  });

  it("confirms the same failure once more, and stands for the count each failing run reaches", () => {
    // Prepare: the first failure is a revision; then it fails the same way twice more
    const failing = [failed, { ...failed, resolver: RESOLVERS[1] ?? "" }];
    const first = run(2, steady(), failing);
    const second = run(3, first, failing);
    const third = run(4, second, failing);

    // Assess: the IPs are kept as they were (a failure proves no absence), the count goes on
    expect(first.consecutiveFailures).toBe(1);
    expect(confirmsState(first, second)).toBe(true);
    expect(confirmedObservation(first, third, 2)).toEqual({ ...third, answers: first.answers });
    expect(confirmedObservation(first, third, 2).consecutiveFailures).toBe(3);
    expect(confirmedObservation(first, third, 2).active).toEqual(first.active);
  });

  it("is a new revision when a failure changes, or an answer follows failures", () => {
    const failing = [failed, { ...failed, resolver: RESOLVERS[1] ?? "" }];
    const first = run(2, steady(), failing);
    const timeout = { ...failed, outcome: "timeout" as const, detail: "timeout in test" };
    const other = { resolver: RESOLVERS[1] };

    expect(confirmsState(first, run(3, first, [timeout, failing[1] as ResolverAnswer]))).toBe(
      false,
    );
    expect(confirmsState(first, run(3, first, [answer(IPS), answer(IPS, other)]))).toBe(false);
  });
});
