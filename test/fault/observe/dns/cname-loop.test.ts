import { createSocket, type Socket } from "node:dgram";
import dns2 from "dns2";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import { loadCatalogueFile } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";
import { createCaresResolver } from "#shared/observe/dns/c-ares-resolver";
import { FAST_DNS, resolveRun } from "#test/helpers/dns-run";
import { startTestStack } from "#test/helpers/stack";

const { Packet } = dns2;
type DnsResource = InstanceType<typeof Packet>["answers"][number];

const LOOPED = "query-api.eu1.apc.avira.com";
const LOOP_TARGET = "loop-a.example.net";

const NOWHERE = "nowhere.example.net";

/**
 * A forwarder in front of the zone server that answers the A and AAAA queries of one name (and,
 * with `cnameToo`, its CNAME queries) with NOERROR, a CNAME loop (or, with `dangling`, a CNAME
 * to a name that does not exist) and no address: c-ares reads that as NODATA. Everything else is
 * forwarded as it is.
 */
async function loopingForwarder(
  upstream: string,
  options: { cnameToo: boolean; dangling?: boolean },
) {
  const [host, port] = upstream.split(":");
  const socket = createSocket("udp4");
  const looped: number[] = [
    Packet.TYPE.A,
    Packet.TYPE.AAAA,
    ...(options.cnameToo ? [Packet.TYPE.CNAME] : []),
  ];
  socket.on("message", (message, peer) => {
    const request = Packet.parse(message);
    const question = request.questions[0];
    const name = question?.name.toLowerCase();
    const loops =
      (name === LOOPED && looped.includes(question?.type ?? -1)) ||
      (name === LOOP_TARGET &&
        options.cnameToo &&
        !options.dangling &&
        question?.type === Packet.TYPE.CNAME);
    if (question !== undefined && loops) {
      const response = Packet.createResponseFromRequest(request);
      const cname = (name: string, domain: string) =>
        ({
          name,
          type: Packet.TYPE.CNAME,
          class: Packet.CLASS.IN,
          ttl: 60,
          domain,
        }) as DnsResource;
      if (options.dangling) response.answers.push(cname(question.name, NOWHERE));
      else {
        response.answers.push(
          name === LOOPED ? cname(question.name, LOOP_TARGET) : cname(question.name, LOOPED),
          name === LOOPED ? cname(LOOP_TARGET, question.name) : cname(LOOPED, question.name),
        );
      }
      socket.send(response.toBuffer(), peer.port, peer.address);
      return;
    }
    const client = createSocket("udp4");
    client.on("message", (reply) => {
      client.close();
      socket.send(reply, peer.port, peer.address);
    });
    client.send(message, Number(port), host);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return socket;
}

const T0 = new Date("2026-08-22T10:00:00.000Z");
const HOUR_MS = 3_600_000;

describe("fault: a resolver answers a name with a CNAME loop and no address", () => {
  let catalogue: Catalogue;
  let stack: EmbeddedStack;
  let zone: ZoneDnsServer;
  let forwarder: Socket | undefined;

  beforeAll(async () => {
    catalogue = await loadCatalogueFile("fixtures/catalogue/clearswift-seg-5.3.json");
  });
  beforeEach(async () => {
    stack = await startTestStack();
    zone = await startZoneDnsServer({ zoneFile: "fixtures/dns/clearswift.zone" });
  });
  afterEach(async () => {
    const socket = forwarder;
    forwarder = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(resolve));
    await zone.stop();
    await stack.stop();
  });

  const runAgainst = (server: string, runId: string, now: Date) =>
    resolveRun(stack, { servers: [server], targets: catalogue, runId, now });

  it.each([
    {
      cnameToo: false,
      detail: `A NODATA for ${LOOPED}, but the end of its CNAME chain, apc-eu1-ingress-1418855411.eu-central-1.elb.amazonaws.com, has A records`,
    },
    { cnameToo: true, detail: `CNAME loop: ${LOOPED} → ${LOOP_TARGET} → ${LOOPED}` },
    {
      cnameToo: true,
      dangling: true,
      detail: `CNAME chain leads nowhere: ${LOOPED} → ${NOWHERE} (${NOWHERE}: NXDOMAIN)`,
    },
  ])(
    "removes none of its addresses and says why (CNAME queries too: $cnameToo, dangling: $dangling)",
    async ({ cnameToo, dangling, detail }) => {
      // Prepare: a healthy baseline, then the forwarder
      const baseline = await runAgainst(zone.address, "run-0", T0);
      const socket = await loopingForwarder(zone.address, {
        cnameToo,
        dangling: dangling ?? false,
      });
      forwarder = socket;
      const address = `127.0.0.1:${socket.address().port}`;

      // Act: hourly runs past the grace period (3 runs and 1 h)
      const runs = [];
      for (let hour = 1; hour <= 5; hour++) {
        runs.push(
          await runAgainst(address, `run-${hour}`, new Date(T0.getTime() + hour * HOUR_MS)),
        );
      }

      // Assess
      const before = baseline.observations.find((o) => o.hostname === LOOPED);
      const after = runs.at(-1)?.observations.find((o) => o.hostname === LOOPED);
      expect(before?.active.map((ip) => ip.ip)).toEqual(["18.192.33.141", "18.193.201.7"]);
      expect(runs.flatMap((run) => run.observations.flatMap((o) => o.left))).toEqual([]);
      expect(after?.active.map((ip) => ip.ip)).toEqual(["18.192.33.141", "18.193.201.7"]);
      expect(after?.outcome).toBe("error");
      expect(after?.consecutiveFailures).toBe(5);
      expect(after?.answers[0]?.families).toEqual({ a: "error", aaaa: "error" });
      expect(after?.answers[0]?.detail).toContain(detail);
    },
  );

  it("still reads a CNAME to a name with only AAAA records as A NODATA", async () => {
    // Prepare
    zone.reload(
      [
        "v6only.example.net  300  CNAME  edge.example.net",
        "edge.example.net    300  AAAA   2606:4700::6812:a8b",
      ].join("\n"),
    );
    const resolver = createCaresResolver({ servers: [zone.address], ...FAST_DNS });

    // Act
    const answer = await resolver
      .lookup({
        hostname: "v6only.example.net",
        server: zone.address,
        walkCnames: true,
        deadline: Date.now() + 5_000,
      })
      .finally(() => resolver.close());

    // Assess
    expect(answer.families).toEqual({ a: "nodata", aaaa: "answered" });
    expect(answer.cnameChain).toEqual(["edge.example.net"]);
    expect(answer.detail).toBeUndefined();
  });
});
