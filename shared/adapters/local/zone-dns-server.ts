import { readFile } from "node:fs/promises";
import type { Socket } from "node:net";
import dns2 from "dns2";
import ipaddr from "ipaddr.js";

/**
 * A DNS server on loopback that answers from a plain-text zone (format: fixtures/dns/README.md).
 * It plays a recursive resolver for tests and for the demo: A/AAAA answers with TTLs, CNAME
 * chains followed in one answer, round-robin subsets that rotate per query, NXDOMAIN, SERVFAIL,
 * REFUSED, dropped queries (the client times out), delays and truncated answers (TC bit over UDP,
 * the full answer over TCP on the same port, as a real resolver does).
 */

const { Packet } = dns2;
type DnsPacket = InstanceType<typeof Packet>;
type DnsResource = DnsPacket["answers"][number];
/** RFC 1035 §4.1.1 response codes (dns2 has them at runtime but not in its types). */
const RCODE = { FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export class ZoneFileError extends Error {
  override name = "ZoneFileError";
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`zone line ${line}: ${message}`);
  }
}

export class ZoneDnsServerError extends Error {
  override name = "ZoneDnsServerError";
}

/** What a name does besides answering its records. */
export type ZoneBehaviour =
  | { kind: "answer" }
  | { kind: "nxdomain" }
  | { kind: "servfail" }
  | { kind: "refused" }
  | { kind: "drop" }
  | { kind: "truncate" };

export interface ZoneRecord {
  value: string;
  ttl: number;
}

export interface ZoneName {
  name: string;
  a: ZoneRecord[];
  aaaa: ZoneRecord[];
  cname: ZoneRecord | null;
  behaviour: ZoneBehaviour;
  /** Answer this many of the name's A (and AAAA) records per query, rotating; null: all. */
  roundRobin: number | null;
  /** Milliseconds to wait before answering. */
  delayMs: number;
}

export interface Zone {
  defaultTtl: number;
  names: Map<string, ZoneName>;
}

const DEFAULT_TTL = 300;

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

const NAME_PATTERN = /^([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_-]{1,63}$/;

/** Parses the zone text format described in fixtures/dns/README.md. */
export function parseZone(text: string): Zone {
  const zone: Zone = { defaultTtl: DEFAULT_TTL, names: new Map() };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return;
    const fields = line.split(/\s+/);
    const [first, ...rest] = fields as [string, ...string[]];
    if (first === "$TTL") {
      zone.defaultTtl = parseTtl(rest[0], lineNumber);
      return;
    }
    if (first.startsWith("$")) throw new ZoneFileError(`unknown directive ${first}`, lineNumber);
    const name = normaliseName(first);
    if (!NAME_PATTERN.test(name)) throw new ZoneFileError(`invalid name ${first}`, lineNumber);
    let position = 0;
    let ttl = zone.defaultTtl;
    if (rest[0] !== undefined && /^\d+$/.test(rest[0])) {
      ttl = parseTtl(rest[0], lineNumber);
      position = 1;
    }
    const type = rest[position]?.toUpperCase();
    const data = rest.slice(position + 1);
    if (type === undefined) throw new ZoneFileError(`missing type after ${first}`, lineNumber);
    const entry = zone.names.get(name) ?? {
      name,
      a: [],
      aaaa: [],
      cname: null,
      behaviour: { kind: "answer" },
      roundRobin: null,
      delayMs: 0,
    };
    zone.names.set(name, entry);
    applyLine(entry, type, data, ttl, lineNumber);
  });
  return zone;
}

function parseTtl(value: string | undefined, line: number): number {
  if (value === undefined || !/^\d+$/.test(value)) {
    throw new ZoneFileError(`TTL must be a whole number of seconds, got ${value}`, line);
  }
  const ttl = Number(value);
  if (ttl > 0x7fffffff) throw new ZoneFileError(`TTL ${value} is too large`, line);
  return ttl;
}

const BEHAVIOURS = {
  NXDOMAIN: { kind: "nxdomain" },
  SERVFAIL: { kind: "servfail" },
  REFUSED: { kind: "refused" },
  DROP: { kind: "drop" },
  TRUNCATE: { kind: "truncate" },
} as const satisfies Record<string, ZoneBehaviour>;

function applyLine(entry: ZoneName, type: string, data: string[], ttl: number, line: number): void {
  const expectNoData = () => {
    if (data.length > 0) throw new ZoneFileError(`${type} takes no data`, line);
  };
  switch (type) {
    case "A":
    case "AAAA": {
      if (data.length === 0) throw new ZoneFileError(`${type} needs at least one address`, line);
      if (entry.cname !== null) throw new ZoneFileError(`${entry.name} has a CNAME`, line);
      for (const value of data) {
        const family = type === "A" ? "ipv4" : "ipv6";
        if (
          !ipaddr.isValid(value) ||
          ipaddr.parse(value).kind() !== family ||
          (family === "ipv4" && !ipaddr.IPv4.isValidFourPartDecimal(value))
        ) {
          throw new ZoneFileError(`${value} is not an ${family} address`, line);
        }
        const canonical = ipaddr.parse(value).toString();
        (type === "A" ? entry.a : entry.aaaa).push({ value: canonical, ttl });
      }
      return;
    }
    case "CNAME": {
      const target = data[0];
      if (data.length !== 1 || target === undefined) {
        throw new ZoneFileError("CNAME needs exactly one target", line);
      }
      if (entry.cname !== null) throw new ZoneFileError(`${entry.name} has two CNAMEs`, line);
      if (entry.a.length > 0 || entry.aaaa.length > 0) {
        throw new ZoneFileError(`${entry.name} has addresses and a CNAME`, line);
      }
      entry.cname = { value: normaliseName(target), ttl };
      return;
    }
    case "RR": {
      const count = data[0];
      if (data.length !== 1 || count === undefined || !/^[1-9]\d*$/.test(count)) {
        throw new ZoneFileError("RR needs a positive count", line);
      }
      entry.roundRobin = Number(count);
      return;
    }
    case "DELAY": {
      const ms = data[0];
      if (data.length !== 1 || ms === undefined || !/^\d+$/.test(ms)) {
        throw new ZoneFileError("DELAY needs milliseconds", line);
      }
      entry.delayMs = Number(ms);
      return;
    }
    case "NXDOMAIN":
    case "SERVFAIL":
    case "REFUSED":
    case "DROP":
    case "TRUNCATE": {
      expectNoData();
      entry.behaviour = BEHAVIOURS[type];
      return;
    }
    default:
      throw new ZoneFileError(`unknown type ${type}`, line);
  }
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

type Transport = "udp" | "tcp";

const MAX_CNAME_HOPS = 16;

export async function startZoneDnsServer(options: ZoneDnsServerOptions): Promise<ZoneDnsServer> {
  const host = options.host ?? "127.0.0.1";
  if (!ipaddr.isValid(host) || ipaddr.parse(host).range() !== "loopback") {
    throw new ZoneDnsServerError(`the zone DNS server only listens on loopback, not ${host}`);
  }
  let text = options.zoneText;
  if (text === undefined) {
    if (options.zoneFile === undefined) {
      throw new ZoneDnsServerError("startZoneDnsServer needs zoneText or zoneFile");
    }
    text = await readFile(options.zoneFile, "utf8");
  }
  let zone = parseZone(text);
  let rotation = new Map<string, number>();
  let queries = 0;
  const pending = new Set<NodeJS.Timeout>();

  const respond = (request: DnsPacket, send: (r: DnsPacket) => unknown, via: Transport) => {
    queries++;
    const response = answer(zone, rotation, request, via);
    if (response === null) return;
    const delayMs = delayFor(zone, request);
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

  const useTcp = options.tcp ?? true;
  const requestedPort = options.port ?? 0;
  let bound: {
    udp: InstanceType<typeof dns2.UDPServer>;
    tcp: InstanceType<typeof dns2.TCPServer> | null;
  } | null = null;
  let lastError: unknown;
  for (let attempt = 0; attempt < 20 && bound === null; attempt++) {
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
    if (!useTcp) {
      bound = { udp, tcp: null };
      break;
    }
    const port = udp.address().port;
    const tcp = dns2.createTCPServer((request, send) => respond(request, send, "tcp"));
    tcp.on("requestError", () => {});
    try {
      await listenTcp(tcp, port, host);
      bound = { udp, tcp };
    } catch (error) {
      lastError = error;
      udp.close();
      tcp.close();
      if (requestedPort !== 0) break;
    }
  }
  if (bound === null) {
    throw new ZoneDnsServerError(`cannot listen on ${host}:${requestedPort}`, { cause: lastError });
  }
  const { udp, tcp } = bound;
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

function bindUdp(udp: InstanceType<typeof dns2.UDPServer>, port: number, host: string) {
  return new Promise<void>((resolve, reject) => {
    udp.once("error", reject);
    udp.bind(port, host, () => {
      udp.off("error", reject);
      resolve();
    });
  });
}

function listenTcp(tcp: InstanceType<typeof dns2.TCPServer>, port: number, host: string) {
  return new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
}

function delayFor(zone: Zone, request: DnsPacket): number {
  const question = request.questions[0];
  if (question === undefined) return 0;
  return zone.names.get(normaliseName(question.name))?.delayMs ?? 0;
}

/** Builds the response to one query, or null to drop it. */
function answer(
  zone: Zone,
  rotation: Map<string, number>,
  request: DnsPacket,
  via: Transport,
): { packet: DnsPacket } | null {
  const response = Packet.createResponseFromRequest(request);
  response.header.ra = 1;
  const question = request.questions[0];
  if (question === undefined || request.questions.length !== 1) {
    response.header.rcode = RCODE.FORMERR;
    return { packet: response };
  }
  let name = normaliseName(question.name);
  const seen = new Set<string>();
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const entry = zone.names.get(name);
    if (entry === undefined) {
      response.header.rcode = RCODE.NXDOMAIN;
      return { packet: response };
    }
    switch (entry.behaviour.kind) {
      case "drop":
        return null;
      case "nxdomain":
        response.header.rcode = RCODE.NXDOMAIN;
        return { packet: response };
      case "servfail":
        response.header.rcode = RCODE.SERVFAIL;
        return { packet: response };
      case "refused":
        response.header.rcode = RCODE.REFUSED;
        return { packet: response };
      case "truncate":
        if (via === "udp") {
          response.header.tc = 1;
          return { packet: response };
        }
        break;
      case "answer":
        break;
    }
    if (entry.cname !== null) {
      response.answers.push(resource(name, Packet.TYPE.CNAME, entry.cname.ttl, entry.cname.value));
      if (question.type === Packet.TYPE.CNAME) return { packet: response };
      seen.add(name);
      name = entry.cname.value;
      if (seen.has(name)) {
        response.header.rcode = RCODE.SERVFAIL;
        return { packet: response };
      }
      continue;
    }
    if (question.type === Packet.TYPE.A || question.type === Packet.TYPE.AAAA) {
      const family = question.type === Packet.TYPE.A ? "a" : "aaaa";
      for (const record of pick(entry, family, rotation)) {
        response.answers.push(resource(name, question.type, record.ttl, record.value));
      }
    }
    return { packet: response };
  }
  response.header.rcode = RCODE.SERVFAIL;
  return { packet: response };
}

function pick(entry: ZoneName, family: "a" | "aaaa", rotation: Map<string, number>): ZoneRecord[] {
  const records = entry[family];
  const count = entry.roundRobin;
  if (count === null || count >= records.length) return records;
  const key = `${entry.name}/${family}`;
  const turn = rotation.get(key) ?? 0;
  rotation.set(key, turn + 1);
  const start = (turn * count) % records.length;
  return Array.from(
    { length: count },
    (_, i) => records[(start + i) % records.length] as ZoneRecord,
  );
}

function resource(name: string, type: number, ttl: number, value: string): DnsResource {
  const base = { name, type, class: Packet.CLASS.IN, ttl };
  const record =
    type === Packet.TYPE.CNAME ? { ...base, domain: value } : { ...base, address: value };
  return record as DnsResource;
}
