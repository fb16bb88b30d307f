import { type Addresses, findAddresses } from "#shared/catalogue/extract/find-addresses";
import { portsInProse, servicePorts, validPort } from "#shared/catalogue/extract/ports-in-prose";
import { unique, uniquePorts } from "#shared/catalogue/extract/unique";
import type { Direction, PortSpec, Protocol } from "#shared/catalogue/schema";

/** What a row or a line of the document names. */
export interface Facts {
  /** Hostnames, the hosts of endpoint URLs (`http://host`, no path) included. */
  hostnames: string[];
  /** Wildcard domains (`*.apc.avira.com`). */
  wildcards: string[];
  ips: string[];
  ranges: string[];
  urls: string[];
  /** Ports written on the row or line (its cells, `TCP 443`, `443/tcp`). */
  ports: PortSpec[];
  /** Ports written with a hostname, `host:8080`. */
  hostPorts: { host: string; port: number }[];
  /** Ports of endpoint URLs: an explicit `:port`, else the scheme's (http 80, https 443). */
  urlPorts: { host: string; port: number; fromScheme: boolean }[];
  /** Ports named by a service word (`(https)`, `over HTTP`), used when no port is written. */
  servicePorts: PortSpec[];
  any: boolean;
  text: string;
}

/** A table row or a prose line of a section, with what it names. */
export interface Block extends Facts {
  kind: "row" | "line";
  /** 1-based line number in the document (of the first line, for a row continued below). */
  line: number;
  /** The line each hostname, wildcard, IP and range was read on. */
  lines: Map<string, number>;
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
      const named = [found.hostnames, found.wildcards, found.ips, found.ranges, found.urls];
      const free = named.every((list) => list.length === 0);
      if (free && item === undefined) item = cell;
      else if (free) details.push(cell);
    }
  }
  const text = cells.join(" ");
  let ports = pairPorts(protocols, numbers, directions);
  if (ports.length === 0) ports = portsInProse(text);
  const block = { kind: "row" as const, item, consumed: false, any, text, line: 0 };
  return { ...block, details: details.join(" "), ...addressFacts(text), ports };
}

/**
 * The addresses of a text as a block holds them: a URL without a path (`http://sn60.example`,
 * `https://portal.example:8443/`) names an endpoint, so its host joins the hostnames with the
 * URL's port; a URL with a path is a reference (a feed, a documentation page).
 */
function addressFacts(
  text: string,
): Omit<Facts, "ports" | "any" | "text"> & { lines: Map<string, number> } {
  const found: Addresses = findAddresses(text);
  const urlPorts: Facts["urlPorts"] = [];
  for (const url of found.urls) {
    const endpoint = endpointUrl(url);
    if (endpoint !== undefined) urlPorts.push(endpoint);
  }
  return {
    hostnames: unique([...found.hostnames, ...urlPorts.map((u) => u.host)]),
    wildcards: found.wildcards,
    ips: found.ips,
    ranges: found.ranges,
    urls: found.urls,
    hostPorts: found.hostPorts,
    urlPorts,
    servicePorts: servicePorts(text),
    lines: new Map(),
  };
}

function endpointUrl(url: string): Facts["urlPorts"][number] | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.pathname !== "/" || parsed.search !== "" || !/^https?:$/.test(parsed.protocol)) {
    return undefined;
  }
  const host = parsed.hostname.toLowerCase();
  if (!/^(?:[a-z0-9-]+\.)+[a-z]{2,63}$/.test(host)) return undefined;
  if (parsed.port !== "") return { host, port: Number(parsed.port), fromScheme: false };
  return { host, port: parsed.protocol === "https:" ? 443 : 80, fromScheme: true };
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
    line: 0,
    item: undefined,
    consumed: false,
    any: false,
    text,
    details: text,
    ...addressFacts(text),
    ports: portsInProse(text),
  };
}
