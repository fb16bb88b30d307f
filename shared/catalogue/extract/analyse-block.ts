import { findAddresses } from "#shared/catalogue/extract/find-addresses";
import { portsInProse, validPort } from "#shared/catalogue/extract/ports-in-prose";
import { unique, uniquePorts } from "#shared/catalogue/extract/unique";
import type { Direction, PortSpec, Protocol } from "#shared/catalogue/schema";

/** What a row or a line of the document names. */
export interface Facts {
  hostnames: string[];
  ips: string[];
  ranges: string[];
  urls: string[];
  ports: PortSpec[];
  any: boolean;
  text: string;
}

/** A table row or a prose line of a section, with what it names. */
export interface Block extends Facts {
  kind: "row" | "line";
  /** The row's label (first text cell), if any. */
  item: string | undefined;
  /** Free-text cells of a row (details, comments), or the whole line. */
  details: string;
  /** Ports lent to another section; the block makes no endpoint of its own. */
  consumed: boolean;
}

const PROTOCOL_CELL = /^(tcp|udp)(\s*(\/|,|&|\band\b|\s)\s*(tcp|udp))*$/i;
const PORT_CELL = /^\d{1,5}(\s*[/,]\s*\d{1,5}|\s+\d{1,5})*$/;
const DIRECTION_WORD =
  /^(in|out|in\s*\/\s*out|out\s*\/\s*in|inbound|outbound|both|bidirectional)$/i;
const DIRECTION_CELL =
  /^(in|out|in\s*\/\s*out|out\s*\/\s*in|inbound|outbound|both|bidirectional)(\s+(in|out|in\s*\/\s*out|out\s*\/\s*in|inbound|outbound|both|bidirectional))*$/i;

function directionOf(word: string): Direction {
  const w = word.toLowerCase().replace(/\s+/g, "");
  if (w === "in" || w === "inbound") return "in";
  if (w === "out" || w === "outbound") return "out";
  return "in-out";
}

function directionsIn(cell: string): Direction[] {
  return cell
    .split(/\s+(?=[a-z])/i)
    .map((w) => w.trim())
    .filter((w) => DIRECTION_WORD.test(w))
    .map(directionOf);
}

/** A table row: its label, protocol, port and direction cells, free text and addresses. */
export function analyseRow(cells: string[]): Block {
  const protocols: Protocol[] = [];
  const numbers: number[] = [];
  const directions: Direction[] = [];
  let item: string | undefined;
  const details: string[] = [];
  let any = false;
  for (const raw of cells) {
    const parenthesised = /\(([^)]*)\)\s*$/.exec(raw);
    const cell = raw.replace(/\([^)]*\)\s*$/, "").trim();
    if (cell === "") continue;
    if (PROTOCOL_CELL.test(cell)) {
      for (const m of cell.matchAll(/tcp|udp/gi)) protocols.push(m[0].toLowerCase() as Protocol);
    } else if (PORT_CELL.test(cell) && cell.split(/[\s/,]+/).every((n) => validPort(Number(n)))) {
      numbers.push(...cell.split(/[\s/,]+/).map(Number));
      if (parenthesised?.[1] && DIRECTION_CELL.test(parenthesised[1].trim())) {
        directions.push(...directionsIn(parenthesised[1].trim()));
      }
    } else if (DIRECTION_CELL.test(cell)) {
      directions.push(...directionsIn(cell));
    } else if (/^any$/i.test(cell)) {
      any = true;
    } else {
      const found = findAddresses(cell);
      const free = found.hostnames.length + found.ips.length + found.urls.length === 0;
      if (free && item === undefined) item = cell;
      else if (free) details.push(cell);
    }
  }
  const text = cells.join(" ");
  const addresses = findAddresses(text);
  let ports = pairPorts(protocols, numbers, directions);
  if (ports.length === 0) ports = portsInProse(text);
  const block = { kind: "row" as const, item, consumed: false, any, text };
  return { ...block, details: details.join(" "), ...addresses, ports };
}

function pairPorts(protocols: Protocol[], numbers: number[], directions: Direction[]): PortSpec[] {
  if (numbers.length === 0) return [];
  const directionAt = (i: number): Direction =>
    directions.length === numbers.length ? (directions[i] ?? "out") : (directions[0] ?? "out");
  if (protocols.length === numbers.length && protocols.length > 1) {
    return numbers.map((port, i) => ({
      protocol: protocols[i] ?? "tcp",
      port,
      direction: directionAt(i),
    }));
  }
  const kinds = protocols.length === 0 ? (["tcp"] as Protocol[]) : unique(protocols);
  return uniquePorts(
    numbers.flatMap((port, i) =>
      kinds.map((protocol) => ({ protocol, port, direction: directionAt(i) })),
    ),
  );
}

/** A prose line (a list marker dropped): the addresses and ports it names. */
export function analyseLine(line: string): Block {
  const text = line.replace(/^\s*([-*+•]|\d+[.)])\s+/, "").trim();
  return {
    kind: "line",
    item: undefined,
    consumed: false,
    any: false,
    text,
    details: text,
    ...findAddresses(text),
    ports: portsInProse(text),
  };
}
