import { describe, expect, it } from "vitest";
import type { Catalogue } from "#shared/catalogue/schema";
import type { HostObservation, ResolverAnswer } from "#shared/domain/observation";
import type {
  DnsRun,
  ObservationStore,
  RunLease,
  RunPosition,
} from "#shared/observe/dns/observation-store";
import { resolveHostnames } from "#shared/observe/dns/resolve-hostnames";
import { targetsFromCatalogue } from "#shared/observe/dns/resolve-targets";
import type { DnsResolver, LookupRequest } from "#shared/observe/dns/resolver";
import { runIdFor } from "#shared/observe/dns/run-id-for";
import { scriptedAnswer } from "#test/helpers/scripted-answer";

/** An in-memory observation store: the port's contract without DynamoDB. */
function memoryStore(): ObservationStore & { items: HostObservation[] } {
  const runs = new Map<string, DnsRun>();
  const items: HostObservation[] = [];
  const leases = new Map<string, RunLease>();
  const key = (p: RunPosition) => `${p.observedAt}#${p.runId}`;
  let token = 0;
  return {
    items,
    async takeRunLease(request) {
      const name = `${request.runId}#${request.scope}`;
      const held = leases.get(name);
      if (held && held.until > Date.now()) {
        return { taken: false, heldBy: held.owner, until: held.until };
      }
      const lease = { ...request, owner: `owner-${++token}` };
      leases.set(name, lease);
      return { taken: true, lease, tookOver: held !== undefined };
    },
    async releaseRunLease(lease) {
      const name = `${lease.runId}#${lease.scope}`;
      if (leases.get(name)?.owner === lease.owner) leases.set(name, { ...lease, until: 0 });
    },
    async saveObservations(observations, lease) {
      if (leases.get(`${lease.runId}#${lease.scope}`)?.owner !== lease.owner) {
        throw new Error("lease lost");
      }
      items.push(...observations);
      return { saved: [...observations], failed: [] };
    },
    async beginRun(run) {
      const stored = runs.get(run.runId);
      if (stored) return { created: false, run: stored };
      runs.set(run.runId, run);
      return { created: true, run };
    },
    async savedObservations(run, hostnames) {
      return new Map(
        items
          .filter((o) => key(o) === key(run) && hostnames.includes(o.hostname))
          .map((o) => [o.hostname, o]),
      );
    },
    async previousObservations(hostnames, before) {
      const found = new Map<string, HostObservation>();
      for (const o of items) {
        if (!hostnames.includes(o.hostname) || key(o) >= key(before)) continue;
        const current = found.get(o.hostname);
        if (!current || key(current) < key(o)) found.set(o.hostname, o);
      }
      return found;
    },
    async saveObservation(observation) {
      const existing = items.find(
        (o) => o.hostname === observation.hostname && key(o) === key(observation),
      );
      if (existing) return { saved: false, observation: existing };
      items.push(observation);
      return { saved: true, observation };
    },
  };
}

type Script = (request: LookupRequest, call: number) => ResolverAnswer | Promise<ResolverAnswer>;

/** A resolver answering from a script, counting calls and what is in flight. */
function scriptedResolver(servers: string[], script: Script) {
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const requests: LookupRequest[] = [];
  const resolver: DnsResolver = {
    servers,
    async lookup(request) {
      calls++;
      requests.push(request);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 1));
        return await script(request, calls);
      } finally {
        inFlight--;
      }
    },
    close() {},
  };
  return { resolver, requests, calls: () => calls, maxInFlight: () => maxInFlight };
}

const answer = scriptedAnswer;

const T0 = new Date("2026-08-22T10:15:00.000Z");
const noSleep = async () => {};

describe("resolveHostnames (use case, with fakes)", () => {
  it("retries a transient failure with backoff and keeps the answer that came", async () => {
    // Prepare
    const waits: number[] = [];
    const { resolver, calls } = scriptedResolver(["10.0.0.2:53"], (req, call) =>
      call < 3 ? answer(req.server, "servfail") : answer(req.server, "answered", ["45.79.132.16"]),
    );

    // Act
    const result = await resolveHostnames(
      { resolver, store: memoryStore(), sleep: async (ms) => void waits.push(ms) },
      {
        targets: [{ hostname: "clearswiftstat.mailshell.net", policy: "pinned" }],
        runId: "r1",
        now: T0,
        deadline: Date.now() + 10_000,
        options: { retries: 2, retryBackoffMs: 100, samples: 1 },
      },
    );

    // Assess
    expect(calls()).toBe(3);
    expect(waits).toEqual([100, 200]);
    expect(result.observations[0]?.outcome).toBe("answered");
  });

  it("does not retry an NXDOMAIN (an answer, not a transient failure)", async () => {
    const { resolver, calls } = scriptedResolver(["10.0.0.2:53"], (req) =>
      answer(req.server, "nxdomain"),
    );

    const result = await resolveHostnames(
      { resolver, store: memoryStore(), sleep: noSleep },
      {
        targets: [{ hostname: "gone.clearswift.net", policy: "hostname-only" }],
        runId: "r1",
        now: T0,
        deadline: Date.now() + 10_000,
        options: { retries: 3 },
      },
    );

    expect(calls()).toBe(1);
    expect(result.observations[0]?.outcome).toBe("nxdomain");
  });

  it("samples only names that answered, walking CNAMEs on the first sample only", async () => {
    // Prepare
    const { resolver, requests } = scriptedResolver(["10.0.0.2:53"], (req) =>
      req.hostname === "ok.example.net"
        ? answer(req.server, "answered", ["1.1.1.1"])
        : answer(req.server, "nxdomain"),
    );

    // Act
    await resolveHostnames(
      { resolver, store: memoryStore(), sleep: noSleep },
      {
        targets: [
          { hostname: "ok.example.net", policy: "rotating" },
          { hostname: "gone.example.net", policy: "rotating" },
        ],
        runId: "r1",
        now: T0,
        deadline: Date.now() + 10_000,
        options: { samples: 4 },
      },
    );

    // Assess
    const ok = requests.filter((r) => r.hostname === "ok.example.net");
    expect(ok.map((r) => r.walkCnames)).toEqual([true, false, false, false]);
    expect(requests.filter((r) => r.hostname === "gone.example.net")).toHaveLength(1);
  });

  it("never has more lookups in flight than the concurrency bound", async () => {
    const { resolver, maxInFlight } = scriptedResolver(["10.0.0.2:53", "10.0.0.3:53"], (req) =>
      answer(req.server, "answered", ["1.1.1.1"]),
    );
    const targets = Array.from({ length: 40 }, (_, i) => ({
      hostname: `host${i}.example.net`,
      policy: "pinned" as const,
    }));

    await resolveHostnames(
      { resolver, store: memoryStore(), sleep: noSleep },
      { targets, runId: "r1", now: T0, deadline: Date.now() + 10_000, options: { concurrency: 5 } },
    );

    expect(maxInFlight()).toBe(5);
  });

  it("treats an adapter that throws as a failed lookup, not a failed run", async () => {
    const { resolver } = scriptedResolver(["10.0.0.2:53"], () => {
      throw new Error("socket closed");
    });

    const result = await resolveHostnames(
      { resolver, store: memoryStore(), sleep: noSleep },
      {
        targets: [{ hostname: "www.clearswift.com", policy: "pinned" }],
        runId: "r1",
        now: T0,
        deadline: Date.now() + 10_000,
        options: { retries: 0 },
      },
    );

    expect(result.observations[0]?.outcome).toBe("error");
    expect(result.observations[0]?.answers[0]?.detail).toBe("lookup threw: socket closed");
  });

  it("asks nothing once the deadline has passed and records `run deadline`", async () => {
    const { resolver, calls } = scriptedResolver(["10.0.0.2:53"], (req) =>
      answer(req.server, "answered", ["1.1.1.1"]),
    );

    const result = await resolveHostnames(
      { resolver, store: memoryStore(), sleep: noSleep },
      {
        targets: [{ hostname: "www.clearswift.com", policy: "pinned" }],
        runId: "r1",
        now: T0,
        deadline: Date.now() - 1,
      },
    );

    expect(calls()).toBe(0);
    expect(result.observations[0]?.outcome).toBe("timeout");
    expect(result.observations[0]?.answers[0]?.detail).toBe("run deadline");
  });

  it("applies the longest grace of a hostname listed under several policies", async () => {
    const { resolver } = scriptedResolver(["10.0.0.2:53"], (req) =>
      answer(req.server, "answered", ["1.1.1.1"]),
    );

    const result = await resolveHostnames(
      { resolver, store: memoryStore(), sleep: noSleep },
      {
        targets: [
          { hostname: "cls.sophosxl.net", policy: "hostname-only" },
          { hostname: "cls.sophosxl.net", policy: "rotating" },
        ],
        runId: "r1",
        now: T0,
        deadline: Date.now() + 10_000,
      },
    );

    expect(result.observations).toHaveLength(1);
    expect(result.observations[0]?.grace).toEqual({ runs: 8, hours: 24 });
  });
});

describe("runIdFor", () => {
  it("gives every delivery of a scheduled event the same id, truncated to the interval", () => {
    expect(runIdFor(new Date("2026-08-22T10:15:00Z"), 15)).toBe("2026-08-22T10:15Z");
    expect(runIdFor(new Date("2026-08-22T10:29:59.999Z"), 15)).toBe("2026-08-22T10:15Z");
    expect(runIdFor(new Date("2026-08-22T10:30:00Z"), 15)).toBe("2026-08-22T10:30Z");
    expect(runIdFor(new Date("2026-08-22T10:07:00Z"), 1)).toBe("2026-08-22T10:07Z");
    expect(() => runIdFor(new Date("2026-08-22T10:07:00Z"), 0)).toThrow(RangeError);
  });
});

describe("targetsFromCatalogue", () => {
  it("lists every endpoint that names a host, with its policy and group, and skips port-only rows", () => {
    const endpoint = {
      group: "g",
      service: "s",
      purpose: "p",
      scope: "external" as const,
      ports: [{ protocol: "tcp" as const, port: 443, direction: "out" as const }],
      ips: [],
      retiredIps: [],
      provenance: { document: "d", issue: "1", section: "s" },
    };
    const catalogue = {
      schemaVersion: 1,
      id: "test",
      vendor: "v",
      product: "p",
      document: { title: "t", issue: "1", date: "2021" },
      review: "reviewed" as const,
      endpoints: [
        { ...endpoint, id: "a", hostname: "a.example.net", policy: "hostname-only" as const },
        { ...endpoint, id: "b", hostname: "a.example.net", policy: "rotating" as const },
        { ...endpoint, id: "smtp", hostname: null, policy: "any-destination" as const },
      ],
      pools: [],
      feeds: [],
    } satisfies Catalogue;

    expect(targetsFromCatalogue(catalogue)).toEqual([
      { hostname: "a.example.net", policy: "hostname-only", group: "g" },
      { hostname: "a.example.net", policy: "rotating", group: "g" },
    ]);
  });
});

/** The memory store, failing to save the given hostnames while `failing` is on. */
function interruptingStore(hostnames: string[]) {
  const store = memoryStore();
  const control = { failing: true };
  return {
    control,
    store: {
      ...store,
      async saveObservations(observations: readonly HostObservation[], lease: RunLease) {
        const failing = (o: HostObservation) => control.failing && hostnames.includes(o.hostname);
        const result = await store.saveObservations(
          observations.filter((o) => !failing(o)),
          lease,
        );
        const error = new Error("connection reset");
        const failed = observations.filter(failing).map((o) => ({ hostname: o.hostname, error }));
        return { saved: result.saved, failed };
      },
    } satisfies ObservationStore,
  };
}

describe("resolveHostnames, resuming an interrupted run", () => {
  const BLOCK_PAGE = "23.192.228.80";
  const SERVER = "10.0.0.2:53";

  it("still flags a sinkhole when only two of its hostnames are left to resolve", async () => {
    // Prepare: a resolver that answers one public address for names of 3 vendors; the first
    // attempt saves only one of them
    const targets = [
      { hostname: "update.clearswift.net", policy: "pinned" as const, group: "updates" },
      { hostname: "ntp.ubuntu.com", policy: "rotating" as const, group: "ntp" },
      { hostname: "av.avira.com", policy: "pinned" as const, group: "av" },
    ];
    const { resolver } = scriptedResolver([SERVER], (req) =>
      answer(req.server, "answered", [BLOCK_PAGE]),
    );
    const { store, control } = interruptingStore(["ntp.ubuntu.com", "av.avira.com"]);
    const input = { targets, runId: "r1", now: T0, deadline: Date.now() + 10_000 };
    await expect(resolveHostnames({ resolver, store, sleep: noSleep }, input)).rejects.toThrow(
      "2 observation(s) could not be saved",
    );
    control.failing = false;

    // Act
    const result = await resolveHostnames({ resolver, store, sleep: noSleep }, input);

    // Assess
    expect(result.reused).toBe(1);
    for (const observation of result.observations) {
      expect(observation.active).toEqual([]);
      expect(observation.suspicious).toEqual([
        { ip: BLOCK_PAGE, range: "sinkhole", resolver: SERVER },
      ]);
    }
  });

  it("still distrusts a resolver's NODATA when the emptied names were split across the attempts", async () => {
    // Prepare: four names with IPv4 addresses; in r1 the resolver empties two of them (half:
    // implausible); the first attempt saves one of the emptied names and both answered ones
    const hostnames = ["a.example.net", "b.example.net", "c.example.net", "d.example.net"];
    const ips: Record<string, string> = {
      "a.example.net": "13.32.121.18",
      "b.example.net": "162.159.200.1",
      "c.example.net": "185.155.104.24",
      "d.example.net": "45.79.132.16",
    };
    const targets = hostnames.map((hostname) => ({ hostname, policy: "pinned" as const }));
    const emptied = new Set<string>();
    const { resolver } = scriptedResolver([SERVER], (req) =>
      emptied.has(req.hostname)
        ? answer(req.server, "nodata")
        : answer(req.server, "answered", [ips[req.hostname] as string]),
    );
    const { store, control } = interruptingStore(["d.example.net"]);
    control.failing = false;
    const deadline = Date.now() + 10_000;
    await resolveHostnames(
      { resolver, store, sleep: noSleep },
      { targets, runId: "r0", now: T0, deadline },
    );
    emptied.add("c.example.net").add("d.example.net");
    control.failing = true;
    const later = new Date(T0.getTime() + 15 * 60_000);
    const input = { targets, runId: "r1", now: later, deadline };
    await expect(resolveHostnames({ resolver, store, sleep: noSleep }, input)).rejects.toThrow(
      "1 observation(s) could not be saved",
    );
    control.failing = false;

    // Act
    const result = await resolveHostnames({ resolver, store, sleep: noSleep }, input);

    // Assess
    const d = result.observations.find((o) => o.hostname === "d.example.net");
    expect(result.reused).toBe(3);
    expect(d?.answers[0]?.families).toEqual({ a: "error", aaaa: "error" });
    expect(d?.answers[0]?.detail).toContain(
      "A NODATA not trusted: 2 of the 4 hostnames with IPv4 addresses",
    );
    expect(d?.consecutiveFailures).toBe(1);
  });
});

describe("resolveHostnames, one vendor's hosts behind one shared address", () => {
  it("lets the address enter for hosts of three groups under one registered domain (a move, not a sinkhole)", async () => {
    // Prepare
    const CDN = "13.32.121.18";
    const targets = [
      { hostname: "www.clearswift.com", policy: "pinned" as const, group: "website" },
      { hostname: "clearswifthelp.clearswift.com", policy: "pinned" as const, group: "support" },
      { hostname: "applianceupdate.clearswift.com", policy: "pinned" as const, group: "updates" },
    ];
    const { resolver } = scriptedResolver(["10.0.0.2:53"], (req) =>
      answer(req.server, "answered", [CDN]),
    );

    // Act
    const result = await resolveHostnames(
      { resolver, store: memoryStore(), sleep: noSleep },
      { targets, runId: "r1", now: T0, deadline: Date.now() + 10_000 },
    );

    // Assess
    for (const observation of result.observations) {
      expect(observation.suspicious).toEqual([]);
      expect(observation.entered).toEqual([CDN]);
    }
  });
});
