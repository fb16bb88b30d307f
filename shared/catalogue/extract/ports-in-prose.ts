import { uniquePorts } from "#shared/catalogue/extract/unique";
import type { Direction, PortSpec, Protocol } from "#shared/catalogue/schema";

/** A port number: an integer 1-65535. */
export function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** The direction a piece of text names: inbound, bidirectional, else outbound. */
function directionIn(text: string): Direction {
  if (/\binbound\b|\bfrom the internet\b/i.test(text)) return "in";
  if (/\bbidirectional|\bboth directions\b/i.test(text)) return "in-out";
  return "out";
}

/** Well-known ports of the service names `servicePorts` reads. */
const SERVICE_PORTS: Record<string, [Protocol, number][]> = {
  http: [["tcp", 80]],
  https: [["tcp", 443]],
  ntp: [["udp", 123]],
  smtp: [["tcp", 25]],
  dns: [
    ["udp", 53],
    ["tcp", 53],
  ],
};

/**
 * Ports named by a service in parentheses or after "over"/"via": `(http)` → tcp/80,
 * `over HTTPS` → tcp/443, `(ntp)` → udp/123, `(dns)` → udp/53 and tcp/53, `(smtp)` → tcp/25.
 */
export function servicePorts(text: string): PortSpec[] {
  const direction = directionIn(text);
  const found: PortSpec[] = [];
  const names = /\((https?|ntp|smtp|dns)\)|\b(?:over|via)\s+(https?|ntp|smtp|dns)\b(?!\s*\/)/gi;
  for (const m of text.matchAll(names)) {
    const name = (m[1] ?? m[2] ?? "").toLowerCase();
    for (const [protocol, port] of SERVICE_PORTS[name] ?? []) {
      found.push({ protocol, port, direction });
    }
  }
  return uniquePorts(found);
}

/**
 * "TCP 443", "tcp/443", "UDP port 123", "443/tcp", "123 UDP", "UDP/TCP 53", "port 8443",
 * "ports 80 and 443".
 */
export function portsInProse(text: string): PortSpec[] {
  const found: PortSpec[] = [];
  const direction = directionIn(text);
  const add = (protocol: string, port: string) => {
    const n = Number(port);
    if (validPort(n))
      found.push({ protocol: protocol.toLowerCase() as Protocol, port: n, direction });
  };
  for (const m of text.matchAll(/\b(tcp|udp)\s*(?:\/\s*)?(?:ports?\s*)?(\d{1,5})\b(?![./]\d)/gi)) {
    if (m[1] && m[2]) add(m[1], m[2]);
  }
  for (const m of text.matchAll(/\b(tcp|udp)\s*[/&]\s*(tcp|udp)\s+(?:ports?\s*)?(\d{1,5})\b/gi)) {
    if (m[1] && m[2] && m[3]) {
      add(m[1], m[3]);
      add(m[2], m[3]);
    }
  }
  for (const m of text.matchAll(/\b(\d{1,5})\s*\/\s*(tcp|udp)\b/gi)) {
    if (m[1] && m[2]) add(m[2], m[1]);
  }
  for (const m of text.matchAll(/(?<![\d.:/])\b(\d{1,5})\s+(tcp|udp)\b/gi)) {
    if (m[1] && m[2]) add(m[2], m[1]);
  }
  for (const m of text.matchAll(
    /(?<!\b(?:tcp|udp)\s*)\bports?\s+(\d{1,5}(?:\s*(?:,|and|or|&|\/)\s*\d{1,5})*)\b(?![./]\d)/gi,
  )) {
    for (const n of (m[1] ?? "").split(/\s*(?:,|and|or|&|\/)\s*/)) add("tcp", n);
  }
  return uniquePorts(found);
}
