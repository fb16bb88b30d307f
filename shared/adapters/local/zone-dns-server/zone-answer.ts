import dns2 from "dns2";
import { normaliseName, type Zone, type ZoneName, type ZoneRecord } from "./zone";

/**
 * The answer of the zone to one query, as a recursive resolver would give it: CNAME chains
 * followed, round-robin subsets rotating per query, failure behaviours, TC over UDP. Pure but
 * for the rotation positions it advances.
 */

const { Packet } = dns2;
export type DnsPacket = InstanceType<typeof Packet>;
type DnsResource = DnsPacket["answers"][number];
/** RFC 1035 §4.1.1 response codes (dns2 has them at runtime but not in its types). */
const RCODE = { FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export type Transport = "udp" | "tcp";

const MAX_CNAME_HOPS = 16;

/** Milliseconds the zone waits before answering this query. */
export function zoneDelay(zone: Zone, request: DnsPacket): number {
  const question = request.questions[0];
  if (question === undefined) return 0;
  return zone.names.get(normaliseName(question.name))?.delayMs ?? 0;
}

/** Builds the response to one query, or null to drop it. */
export function zoneAnswer(
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
