import { describe, expect, it } from "vitest";
import type { ResolverAnswer } from "#shared/domain/observation";
import type { DnsResolver, LookupRequest } from "#shared/observe/dns/resolver";
import { sampleAll } from "#shared/observe/dns/sample-server";
import { scriptedAnswer } from "#test/helpers/scripted-answer";

const SERVER = "10.0.0.2:53";

const answer = (outcome: ResolverAnswer["outcome"], ips: string[] = []) =>
  scriptedAnswer(SERVER, outcome, ips);

/** A resolver answering from `script` after a tick, recording every request in order. */
function resolverOf(script: (request: LookupRequest) => ResolverAnswer) {
  const asked: string[] = [];
  const resolver: DnsResolver = {
    servers: [SERVER],
    async lookup(request) {
      asked.push(`${request.hostname}${request.walkCnames ? " (first)" : ""}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return script(request);
    },
    close() {},
  };
  return { resolver, asked };
}

const timing = (sleep: (ms: number) => Promise<void>) => ({
  deadline: Date.now() + 60_000,
  clock: Date.now,
  sleep,
});

describe("sampleAll", () => {
  it("asks a target's further samples before the next target's first lookup", async () => {
    // Prepare
    const { resolver, asked } = resolverOf(() => answer("answered", ["1.1.1.1"]));
    const targets = ["a.example.net", "b.example.net"].map((hostname) => ({
      hostname,
      server: SERVER,
    }));
    const answers: [number, number | undefined][] = [];

    // Act: one lookup at a time
    await sampleAll(
      resolver,
      targets,
      { concurrency: 1, samples: 3, retries: 1, retryBackoffMs: 100 },
      timing(async () => {}),
      (index, merged) => answers.push([index, merged.samples]),
    );

    // Assess
    expect(asked).toEqual([
      "a.example.net (first)",
      "a.example.net",
      "a.example.net",
      "b.example.net (first)",
      "b.example.net",
      "b.example.net",
    ]);
    expect(answers).toEqual([
      [0, 3],
      [1, 3],
    ]);
  });

  it("holds no worker while a target waits out its backoff", async () => {
    // Prepare: the first name fails once, transiently; its backoff ends when the test says so
    let endBackoff: () => void = () => {};
    const backoff = new Promise<void>((resolve) => {
      endBackoff = resolve;
    });
    let failed = false;
    const { resolver, asked } = resolverOf((request) => {
      if (request.hostname === "flaky.example.net" && !failed) {
        failed = true;
        return answer("servfail");
      }
      return answer("answered", ["1.1.1.1"]);
    });
    const targets = ["flaky.example.net", "steady.example.net"].map((hostname) => ({
      hostname,
      server: SERVER,
    }));
    const answers = new Map<number, ResolverAnswer>();

    // Act: one worker; the backoff ends only once the second name is answered
    await sampleAll(
      resolver,
      targets,
      { concurrency: 1, samples: 1, retries: 2, retryBackoffMs: 100 },
      timing(() => backoff),
      (index, merged) => {
        answers.set(index, merged);
        if (index === 1) endBackoff();
      },
    );

    // Assess
    expect(asked).toEqual([
      "flaky.example.net (first)",
      "steady.example.net (first)",
      "flaky.example.net (first)",
    ]);
    expect(answers.get(0)?.outcome).toBe("answered");
    expect(answers.get(1)?.outcome).toBe("answered");
  });
});
