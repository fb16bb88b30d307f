import { uniquePorts } from "#shared/catalogue/extract/unique";
import type { Direction, PortSpec, Protocol } from "#shared/catalogue/schema";

/** A port number: an integer 1-65535. */
export function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** "TCP 443", "tcp/443", "UDP port 123", "443/tcp", "port 8443", "ports 80 and 443". */
export function portsInProse(text: string): PortSpec[] {
  const found: PortSpec[] = [];
  const direction: Direction = /\binbound\b|\bfrom the internet\b/i.test(text)
    ? "in"
    : /\bbidirectional|\bboth directions\b/i.test(text)
      ? "in-out"
      : "out";
  const add = (protocol: string, port: string) => {
    const n = Number(port);
    if (validPort(n))
      found.push({ protocol: protocol.toLowerCase() as Protocol, port: n, direction });
  };
  for (const m of text.matchAll(/\b(tcp|udp)\s*(?:\/\s*)?(?:ports?\s*)?(\d{1,5})\b(?![./]\d)/gi)) {
    if (m[1] && m[2]) add(m[1], m[2]);
  }
  for (const m of text.matchAll(/\b(\d{1,5})\s*\/\s*(tcp|udp)\b/gi)) {
    if (m[1] && m[2]) add(m[2], m[1]);
  }
  for (const m of text.matchAll(
    /(?<!\b(?:tcp|udp)\s*)\bports?\s+(\d{1,5}(?:\s*(?:,|and|or|&|\/)\s*\d{1,5})*)\b(?![./]\d)/gi,
  )) {
    for (const n of (m[1] ?? "").split(/\s*(?:,|and|or|&|\/)\s*/)) add("tcp", n);
  }
  return uniquePorts(found);
}
