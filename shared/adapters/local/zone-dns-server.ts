import { readFile } from "node:fs/promises";
import type { Socket } from "node:net";
import dns2 from "dns2";
import ipaddr from "ipaddr.js";
import { parseZone } from "./zone-dns-server/zone";
import {
  type DnsPacket,
  type Transport,
  zoneAnswer,
  zoneDelay,
} from "./zone-dns-server/zone-answer";

/**
 * A DNS server on loopback that answers from a plain-text zone (format: fixtures/dns/README.md).
 * It plays a recursive resolver for tests and for the demo: A/AAAA answers with TTLs, CNAME
 * chains followed in one answer, round-robin subsets that rotate per query, NXDOMAIN, SERVFAIL,
 * REFUSED, dropped queries (the client times out), delays and truncated answers (TC bit over UDP,
 * the full answer over TCP on the same port, as a real resolver does). The zone and its parser
 * are in `zone-dns-server/zone.ts`, the answer to a query in `zone-dns-server/zone-answer.ts`.
 */

export class ZoneDnsServerError extends Error {
  override name = "ZoneDnsServerError";
}

export interface ZoneDnsServerOptions {
  /** Zone text; or `zoneFile`, a path to read it from. */
  zoneText?: string;
  zoneFile?: string;
  /** 0 (default): a free port, the same for UDP and TCP. */
  port?: number;
  /** A loopback address (default 127.0.0.1). */
  host?: string;
  /** Serve TCP too (default true), so truncated UDP answers can be retried over TCP. */
  tcp?: boolean;
}

export interface ZoneDnsServer {
  /** `host:port`, ready for `Resolver.setServers()` and `--dns-server`. */
  address: string;
  port: number;
  /** Replaces the zone; round-robin positions start again. */
  reload(zoneText: string): void;
  /** Queries received so far (UDP and TCP), for tests that count samples. */
  queryCount(): number;
  stop(): Promise<void>;
}

type UdpServer = InstanceType<typeof dns2.UDPServer>;
type TcpServer = InstanceType<typeof dns2.TCPServer>;
type Respond = (request: DnsPacket, send: (r: DnsPacket) => unknown, via: Transport) => void;

/**
 * Starts the server. Primary course:
 * 1. check the host is loopback and read the zone;
 * 2. bind UDP, then TCP on the same port (another free port when that one is taken);
 * 3. answer each query from the current zone, after its delay.
 */
export async function startZoneDnsServer(options: ZoneDnsServerOptions): Promise<ZoneDnsServer> {
  const host = options.host ?? "127.0.0.1";
  if (!ipaddr.isValid(host) || ipaddr.parse(host).range() !== "loopback") {
    throw new ZoneDnsServerError(`the zone DNS server only listens on loopback, not ${host}`);
  }
  let zone = parseZone(await zoneText(options));
  let rotation = new Map<string, number>();
  let queries = 0;
  const pending = new Set<NodeJS.Timeout>();

  const respond: Respond = (request, send, via) => {
    queries++;
    const response = zoneAnswer(zone, rotation, request, via);
    if (response === null) return;
    const delayMs = zoneDelay(zone, request);
    if (delayMs === 0) {
      void Promise.resolve(send(response.packet)).catch(() => {});
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      void Promise.resolve(send(response.packet)).catch(() => {});
    }, delayMs);
    pending.add(timer);
  };

  const { udp, tcp } = await bindServers(respond, host, options.port ?? 0, options.tcp ?? true);
  const sockets = new Set<Socket>();
  tcp?.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = udp.address().port;
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;

  let stopped = false;
  return {
    address,
    port,
    reload(zoneText: string) {
      zone = parseZone(zoneText);
      rotation = new Map();
    },
    queryCount: () => queries,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (tcp !== null) {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
      }
    },
  };
}

async function zoneText(options: ZoneDnsServerOptions): Promise<string> {
  if (options.zoneText !== undefined) return options.zoneText;
  if (options.zoneFile === undefined) {
    throw new ZoneDnsServerError("startZoneDnsServer needs zoneText or zoneFile");
  }
  return readFile(options.zoneFile, "utf8");
}

/**
 * UDP on `requestedPort` (0: a free one) and, with `useTcp`, TCP on the same port. With port 0,
 * a port free for UDP but taken for TCP is given up and another one tried (20 attempts).
 */
async function bindServers(
  respond: Respond,
  host: string,
  requestedPort: number,
  useTcp: boolean,
): Promise<{ udp: UdpServer; tcp: TcpServer | null }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = dns2.createUDPServer((request, send) => respond(request, send, "udp"));
    udp.on("requestError", () => {});
    try {
      await bindUdp(udp, requestedPort, host);
    } catch (error) {
      lastError = error;
      udp.close();
      if (requestedPort !== 0) break;
      continue;
    }
    if (!useTcp) return { udp, tcp: null };
    const tcp = dns2.createTCPServer((request, send) => respond(request, send, "tcp"));
    tcp.on("requestError", () => {});
    try {
      await listenTcp(tcp, udp.address().port, host);
      return { udp, tcp };
    } catch (error) {
      lastError = error;
      udp.close();
      tcp.close();
      if (requestedPort !== 0) break;
    }
  }
  throw new ZoneDnsServerError(`cannot listen on ${host}:${requestedPort}`, { cause: lastError });
}

function bindUdp(udp: UdpServer, port: number, host: string) {
  return new Promise<void>((resolve, reject) => {
    udp.once("error", reject);
    udp.bind(port, host, () => {
      udp.off("error", reject);
      resolve();
    });
  });
}

function listenTcp(tcp: TcpServer, port: number, host: string) {
  return new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
}
