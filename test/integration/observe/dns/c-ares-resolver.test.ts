import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { createCaresResolver, outcomeForCode } from "#shared/observe/dns/c-ares-resolver";
import { type DnsResolver, mergeSamples } from "#shared/observe/dns/resolver";

const MANY = Array.from({ length: 60 }, (_, i) => `52.95.${Math.floor(i / 10)}.${10 + i}`);

const ZONE = `
$TTL 300
www.example.net                 A        23.185.0.1
www.example.net          60     AAAA     2600:9000:2000::1
products.example.net     120    CNAME    edge.example.net
edge.example.net         60     CNAME    d111.cloudfront.example
d111.cloudfront.example  20     A        13.32.1.10 13.32.1.11
pool.example.net         150    A        162.159.200.1 162.159.200.123 185.125.190.56 185.125.190.57 91.189.91.157 91.189.94.4
pool.example.net                RR       2
gone.example.net                NXDOMAIN
broken.example.net              SERVFAIL
denied.example.net              REFUSED
silent.example.net              DROP
v6only.example.net              AAAA     2a02:26f0::1
small.example.net               A        3.10.94.193
small.example.net               TRUNCATE
large.example.net        30     A        ${MANY.join(" ")}
hijacked.example.net            A        10.11.12.13 127.0.0.1
`;

describe("c-ares resolver against the loopback zone server", () => {
  let server: ZoneDnsServer;
  let resolver: DnsResolver;
  const far = () => Date.now() + 10_000;

  beforeAll(async () => {
    server = await startZoneDnsServer({ zoneText: ZONE, port: 0 });
    resolver = createCaresResolver({ servers: [server.address], timeoutMs: 200, tries: 1 });
  });
  afterAll(async () => {
    resolver.close();
    await server.stop();
  });

  const lookup = (hostname: string, walkCnames = true, deadline = far()) =>
    resolver.lookup({ hostname, server: server.address, walkCnames, deadline });

  it("answers A and AAAA with their TTLs and the resolver that gave them", async () => {
    const answer = await lookup("www.example.net");

    expect(answer).toEqual({
      resolver: server.address,
      outcome: "answered",
      cnameChain: [],
      a: [{ ip: "23.185.0.1", ttl: 300 }],
      aaaa: [{ ip: "2600:9000:2000::1", ttl: 60 }],
      families: { a: "answered", aaaa: "answered" },
    });
  });

  it("walks a CNAME chain to the final name and its addresses", async () => {
    const answer = await lookup("products.example.net");

    expect(answer.outcome).toBe("answered");
    expect(answer.cnameChain).toEqual(["edge.example.net", "d111.cloudfront.example"]);
    expect(answer.a.map((r) => r.ip)).toEqual(["13.32.1.10", "13.32.1.11"]);
    expect(answer.families).toEqual({ a: "answered", aaaa: "nodata" });
  });

  it("sees the whole rotation of a round-robin name in the union of its samples", async () => {
    const samples = [];
    for (let i = 0; i < 3; i++) samples.push(await lookup("pool.example.net", i === 0));

    const merged = mergeSamples(samples);

    expect(samples.map((s) => s.a.length)).toEqual([2, 2, 2]);
    expect(merged.a.map((r) => r.ip).sort()).toEqual(
      [
        "162.159.200.1",
        "162.159.200.123",
        "185.125.190.56",
        "185.125.190.57",
        "91.189.91.157",
        "91.189.94.4",
      ].sort(),
    );
    expect(merged.samples).toBe(3);
  });

  it("reports NXDOMAIN, SERVFAIL and REFUSED as typed outcomes, never as empty answers", async () => {
    const [gone, broken, denied] = await Promise.all([
      lookup("gone.example.net"),
      lookup("broken.example.net"),
      lookup("denied.example.net"),
    ]);

    expect([gone.outcome, broken.outcome, denied.outcome]).toEqual([
      "nxdomain",
      "servfail",
      "refused",
    ]);
    expect(gone.detail).toBe("A ENOTFOUND; AAAA ENOTFOUND");
    expect(broken.families).toEqual({ a: "servfail", aaaa: "servfail" });
  });

  it("tells a name without addresses of a family (NODATA) from a missing name", async () => {
    const answer = await lookup("v6only.example.net");

    expect(answer.outcome).toBe("answered");
    expect(answer.families).toEqual({ a: "nodata", aaaa: "answered" });
    expect(answer.detail).toBeUndefined();
  });

  it("times out on a resolver that never answers, after its tries", async () => {
    const started = Date.now();
    const answer = await lookup("silent.example.net", false);

    expect(answer.outcome).toBe("timeout");
    expect(answer.detail).toContain("ETIMEOUT after 1 tries from 200 ms");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("gives up at the run deadline, before c-ares would", async () => {
    const slow = createCaresResolver({ servers: [server.address], timeoutMs: 5_000, tries: 3 });
    try {
      const started = Date.now();
      const answer = await slow.lookup({
        hostname: "silent.example.net",
        server: server.address,
        walkCnames: true,
        deadline: started + 300,
      });

      expect(answer.outcome).toBe("timeout");
      expect(answer.detail).toBe("run deadline");
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      slow.close();
    }
  });

  it("gets the full answer over TCP when the UDP answer is truncated", async () => {
    const [small, large] = await Promise.all([
      lookup("small.example.net"),
      lookup("large.example.net"),
    ]);

    expect(small.a).toEqual([{ ip: "3.10.94.193", ttl: 300 }]);
    expect(large.a).toHaveLength(60);
    expect(large.a.map((r) => r.ip).sort()).toEqual([...MANY].sort());
  });

  it("reports an error when a truncated answer cannot be fetched over TCP", async () => {
    const udpOnly = await startZoneDnsServer({ zoneText: ZONE, tcp: false });
    const resolverUdpOnly = createCaresResolver({
      servers: [udpOnly.address],
      timeoutMs: 200,
      tries: 1,
    });
    try {
      const answer = await resolverUdpOnly.lookup({
        hostname: "small.example.net",
        server: udpOnly.address,
        walkCnames: false,
        deadline: far(),
      });

      expect(answer.outcome).toBe("error");
      expect(answer.detail).toContain("ECONNREFUSED");
    } finally {
      resolverUdpOnly.close();
      await udpOnly.stop();
    }
  });

  it("passes private and loopback answers through as they came (the window flags them)", async () => {
    const answer = await lookup("hijacked.example.net");

    expect(answer.a.map((r) => r.ip)).toEqual(["10.11.12.13", "127.0.0.1"]);
  });
});

describe("outcomeForCode", () => {
  it("maps c-ares codes to outcomes and anything unknown to error", () => {
    expect(
      ["ENOTFOUND", "ENODATA", "ESERVFAIL", "EREFUSED", "ETIMEOUT", "EBADRESP", undefined].map(
        outcomeForCode,
      ),
    ).toEqual(["nxdomain", "nodata", "servfail", "refused", "timeout", "error", "error"]);
  });
});
