import type { GeneratedEstate } from "./generate-estate";
import type { GeneratedName } from "./generated-zone";

/**
 * The files of a generated estate: the catalogue JSON, the zone in the loopback server's format
 * (fixtures/dns/README.md, shared/adapters/local/zone-dns-server.ts) and the same zone as an
 * RFC 1035 master file for an authoritative server (NSD): the root zone, so that every generated
 * name, whatever its domain, is in it, and a name not in it is NXDOMAIN.
 */
export interface EstateFile {
  /** File name, relative to the output directory. */
  name: string;
  text: string;
}

export const ESTATE_FILES = {
  catalogue: "catalogue.json",
  loopbackZone: "loopback.zone",
  nsdZone: "nsd-root.zone",
} as const;

export function estateFiles(estate: GeneratedEstate): EstateFile[] {
  return [
    { name: ESTATE_FILES.catalogue, text: `${JSON.stringify(estate.catalogue, null, 2)}\n` },
    { name: ESTATE_FILES.loopbackZone, text: loopbackZoneText(estate) },
    { name: ESTATE_FILES.nsdZone, text: rfc1035ZoneText(estate) },
  ];
}

function header(estate: GeneratedEstate, comment: string): string[] {
  const counts = Object.entries(estate.counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(", ");
  return [
    `${comment} ${estate.catalogue.document.title}: driftwatch catalogue generate.`,
    `${comment} Hostnames by kind: ${counts}.`,
  ];
}

/** The loopback server's format: addresses per line, `RR` for a rotating subset, `NXDOMAIN`. */
export function loopbackZoneText(estate: GeneratedEstate): string {
  const lines = [...header(estate, "#"), "", "$TTL 300"];
  for (const name of estate.names) lines.push(...loopbackLines(name));
  return `${lines.join("\n")}\n`;
}

function loopbackLines(name: GeneratedName): string[] {
  if (name.nxdomain) return [`${name.name} NXDOMAIN`];
  if (name.cname !== null) return [`${name.name} ${name.ttl} CNAME ${name.cname}`];
  const lines: string[] = [];
  if (name.a.length > 0) lines.push(`${name.name} ${name.ttl} A ${name.a.join(" ")}`);
  if (name.aaaa.length > 0) lines.push(`${name.name} ${name.ttl} AAAA ${name.aaaa.join(" ")}`);
  if (name.roundRobin !== null) lines.push(`${name.name} RR ${name.roundRobin}`);
  return lines;
}

/** Serial of the generated root zone: fixed, so the file depends on the seed alone. */
const SERIAL = 2026010101;
const NAMESERVER = "ns.driftwatch-bench.net.";

/**
 * An RFC 1035 master file of the root zone: SOA and NS at the apex, one record per line,
 * absolute names. NXDOMAIN names are simply absent.
 */
export function rfc1035ZoneText(estate: GeneratedEstate): string {
  const lines = [
    ...header(estate, ";"),
    "$ORIGIN .",
    "$TTL 300",
    `. 3600 IN SOA ${NAMESERVER} hostmaster.driftwatch-bench.net. ${SERIAL} 3600 600 86400 60`,
    `. 3600 IN NS ${NAMESERVER}`,
    `${NAMESERVER} 3600 IN A 127.0.0.1`,
  ];
  for (const name of estate.names) {
    if (name.nxdomain) continue;
    const owner = `${name.name}.`;
    if (name.cname !== null) lines.push(`${owner} ${name.ttl} IN CNAME ${name.cname}.`);
    for (const ip of name.a) lines.push(`${owner} ${name.ttl} IN A ${ip}`);
    for (const ip of name.aaaa) lines.push(`${owner} ${name.ttl} IN AAAA ${ip}`);
  }
  return `${lines.join("\n")}\n`;
}
