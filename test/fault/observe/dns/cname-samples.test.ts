import { createSocket, type Socket } from "node:dgram";
import dns2 from "dns2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { startZoneDnsServer, type ZoneDnsServer } from "#shared/adapters/local/zone-dns-server";
import type { ResolveTarget } from "#shared/observe/dns/resolve-targets";
import { resolveRun } from "#test/helpers/dns-run";
import { startTestStack } from "#test/helpers/stack";

const { Packet } = dns2;
type DnsResource = InstanceType<typeof Packet>["answers"][number];

const NAME = "dual.example.net";
const EDGE = "edge.example.net";
const ZONE = [
  `${NAME}  300  CNAME  ${EDGE}`,
  `${EDGE}  300  A      18.192.33.141`,
  `${EDGE}  300  AAAA   2a05:d014::1`,
].join("\n");

/**
 * A forwarder that answers the A query of NAME with NOERROR, its CNAME and no address (c-ares:
 * NODATA), although the end of the chain has A records. Everything else (AAAA, CNAME, the A
 * query of the chain's end) is forwarded as it is, so the name still answers AAAA.
 */
async function emptyingForwarder(upstream: string): Promise<Socket> {
  const [host, port] = upstream.split(":");
  const socket = createSocket("udp4");
  socket.on("message", (message, peer) => {
    const request = Packet.parse(message);
    const question = request.questions[0];
    if (question?.name.toLowerCase() === NAME && question.type === Packet.TYPE.A) {
      const response = Packet.createResponseFromRequest(request);
      response.answers.push({
        name: question.name,
        type: Packet.TYPE.CNAME,
        class: Packet.CLASS.IN,
        ttl: 60,
        domain: EDGE,
      } as DnsResource);
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
const TARGETS: ResolveTarget[] = [{ hostname: NAME, policy: "pinned" }];

describe("fault: a resolver gives A NODATA for a name whose CNAME chain ends at A records, with several samples", () => {
  let stack: EmbeddedStack;
  let zone: ZoneDnsServer;
  let forwarder: Socket | undefined;

  beforeEach(async () => {
    stack = await startTestStack();
    zone = await startZoneDnsServer({ zoneText: ZONE });
  });
  afterEach(async () => {
    const socket = forwarder;
    forwarder = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(resolve));
    await zone.stop();
    await stack.stop();
  });

  const runAgainst = (server: string, runId: string, now: Date) =>
    resolveRun(stack, { servers: [server], targets: TARGETS, runId, now, options: { samples: 3 } });

  it("keeps the IPv4 address past the grace period: the extra samples' NODATA does not override the chain check", async () => {
    // Prepare: a healthy baseline, then the forwarder
    const baseline = await runAgainst(zone.address, "run-0", T0);
    const socket = await emptyingForwarder(zone.address);
    forwarder = socket;
    const address = `127.0.0.1:${socket.address().port}`;

    // Act: hourly runs past the grace period (3 runs and 1 h)
    const runs = [];
    for (let hour = 1; hour <= 5; hour++) {
      runs.push(await runAgainst(address, `run-${hour}`, new Date(T0.getTime() + hour * HOUR_MS)));
    }

    // Assess
    const ips = (o: { active: { ip: string }[] } | undefined) =>
      o?.active.map((ip) => ip.ip).sort();
    expect(ips(baseline.observations[0])).toEqual(["18.192.33.141", "2a05:d014::1"]);
    const after = runs.at(-1)?.observations[0];
    expect(runs.flatMap((run) => run.observations.flatMap((o) => o.left))).toEqual([]);
    expect(ips(after)).toEqual(["18.192.33.141", "2a05:d014::1"]);
    expect(after?.answers[0]?.samples).toBe(3);
    expect(after?.answers[0]?.families).toEqual({ a: "error", aaaa: "answered" });
    expect(after?.answers[0]?.detail).toContain(
      `A NODATA for ${NAME}, but the end of its CNAME chain, ${EDGE}, has A records`,
    );
  });
});
