import type { Block } from "#shared/catalogue/extract/analyse-block";
import { portValue, type SourceLines } from "#shared/catalogue/extract/draft-facts";
import type { Section } from "#shared/catalogue/extract/split-sections";
import { unique } from "#shared/catalogue/extract/unique";
import type { ExtractedFact, PortSpec, Protocol } from "#shared/catalogue/schema";

/** A host's ports, each with the fact saying where it was read. */
export interface HostPorts {
  ports: PortSpec[];
  facts: ExtractedFact[];
  note?: string;
}

/** Ports a section's prose lines name, with the first line naming one. */
export interface SectionPorts {
  ports: PortSpec[];
  line: number;
}

/**
 * The ports of one host of a block, from the most specific source: `host:port` on the line, the
 * row's or line's ports, the URL's explicit port, the URL's scheme, a service word on the line
 * (`over HTTPS`), the heading (`Updates (TCP 80, outbound)`), the section's prose, a row that
 * refers to the section. Nothing found: tcp/443, flagged as assumed.
 */
export function portsForHost(
  host: string,
  block: Block,
  section: Section,
  sectionPorts: SectionPorts | undefined,
  lines: SourceLines,
): HostPorts {
  const at = block.lines.get(host) ?? block.line;
  const read = (ports: PortSpec[], line: number, confidence: ExtractedFact["confidence"]) => ({
    ports,
    facts: ports.map((p) => lines.fact("port", portValue(p), line, confidence)),
  });
  const explicit = block.hostPorts.find((h) => h.host === host);
  if (explicit !== undefined) return barePort(explicit.port, at, block, section, lines);
  if (block.ports.length > 0) return read(block.ports, block.line, "high");
  const url = block.urlPorts.find((u) => u.host === host);
  if (url !== undefined) {
    // http and https run over TCP: an explicit URL port is read, the scheme's is inferred.
    const direction = section.headingPorts[0]?.direction ?? "out";
    const spec: PortSpec = { protocol: "tcp", port: url.port, direction };
    return read([spec], at, url.fromScheme ? "medium" : "high");
  }
  if (block.servicePorts.length > 0) return read(block.servicePorts, block.line, "medium");
  if (section.headingPorts.length > 0) return read(section.headingPorts, section.line, "medium");
  if (sectionPorts !== undefined) {
    return {
      ...read(sectionPorts.ports, sectionPorts.line, "medium"),
      note: "Ports from the section text.",
    };
  }
  const lent = section.lentPorts[0];
  if (lent !== undefined) {
    return {
      ...read(lent.ports, lent.line, "medium"),
      note: `Ports from the row "${lent.from}" that refers to this section.`,
    };
  }
  const assumed: PortSpec = { protocol: "tcp", port: 443, direction: "out" };
  return {
    ports: [assumed],
    facts: [
      lines.fact(
        "port",
        portValue(assumed),
        at,
        "low",
        "no port found near this hostname; tcp/443 assumed",
      ),
    ],
    note: "No port found near this hostname; tcp/443 assumed: check.",
  };
}

/**
 * A port written without a protocol (`host:80`, `https://host:8443`): the protocol of the same
 * port on the row or heading, else the only protocol they name, else tcp, flagged.
 */
function barePort(
  port: number,
  line: number,
  block: Block,
  section: Section,
  lines: SourceLines,
): HostPorts {
  const near = [...block.ports, ...section.headingPorts];
  const same = unique(near.filter((p) => p.port === port).map((p) => p.protocol));
  const named = unique(near.map((p) => p.protocol));
  const protocols: Protocol[] = same.length > 0 ? same : named.length === 1 ? named : ["tcp"];
  const assumed =
    same.length === 0 && named.length !== 1
      ? `port ${port} written without a protocol; tcp assumed`
      : undefined;
  const direction = near[0]?.direction ?? "out";
  const ports = protocols.map((protocol): PortSpec => ({ protocol, port, direction }));
  return {
    ports,
    facts: ports.map((p) =>
      lines.fact(
        "port",
        portValue(p),
        line,
        assumed ? "low" : same.length > 0 ? "high" : "medium",
        assumed,
      ),
    ),
  };
}
