import ipaddr from "ipaddr.js";

/**
 * The zone the loopback DNS server answers from, and its plain-text format
 * (fixtures/dns/README.md): names with A/AAAA records and TTLs, CNAMEs, round-robin subsets,
 * delays and failure behaviours. Pure: parsing only.
 */

export class ZoneFileError extends Error {
  override name = "ZoneFileError";
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`zone line ${line}: ${message}`);
  }
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

/** A name as the zone keys it: lower case, without the trailing dot. */
export function normaliseName(name: string): string {
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
