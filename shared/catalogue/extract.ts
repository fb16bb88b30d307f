import ipaddr from "ipaddr.js";
import { parseCatalogue } from "#shared/catalogue/load";
import type {
  Catalogue,
  Direction,
  Endpoint,
  ExpectationPolicy,
  FeedSource,
  Mention,
  Pool,
  PortSpec,
  Protocol,
  Provenance,
} from "#shared/catalogue/schema";

/**
 * Drafts a catalogue from a vendor's plain-text "ports and protocols" document, so that a second
 * vendor can be onboarded in minutes. It finds every hostname, IPv4 address and port, grouped by
 * section, and guesses a policy; a person reviews the draft (`review: "needs-review"`).
 *
 * 1. Normalise the text (HTML links → their URL, markup dropped) and cut it into sections at
 *    headings (markdown `#`, setext underlines, numbered titles).
 * 2. Read each section as table rows (tab- or pipe-separated) and prose lines; take hostnames,
 *    IPs, CIDR ranges, URLs, ports, protocols and directions from each.
 * 3. Port-only rows that name another section ("see Spam Rule updates") lend their ports to it.
 * 4. Build endpoints: a host with IPs on its row → `pinned`; several hosts sharing an IP list →
 *    `pool`; a host without IPs → `hostname-only` (or `cloudfront` / `aws-ip-ranges` / `rotating`
 *    when its row says so); port-only rows → `internal` or `any-destination`.
 * 5. Change-history sections: "from A to B" retires A on B's endpoint; other addresses found only
 *    there, and addresses without a host, become `mentions`, so nothing found is dropped.
 */
export interface ExtractOptions {
  vendor: string;
  product: string;
  /** Catalogue id; defaults to a slug of vendor and product. */
  id?: string;
  /** Document title; defaults to the first heading. */
  title?: string;
  /** Document issue; defaults to an "Issue N" / "Version N" line, else "unknown". */
  issue?: string;
  /** Document date; defaults to a "Month YYYY" line, else "undated". */
  date?: string;
}

/** Thrown when the drafted catalogue does not validate (a defect of the extractor). */
export class CatalogueExtractError extends Error {
  override readonly name = "CatalogueExtractError";
}

const HISTORY_TITLE =
  /\b(change|revision|document|version|release) ?(history|log|notes)\b|\bchangelog\b/i;
/** File names that look like hostnames (`ip-ranges.json`); none of these is a top-level domain. */
const FILE_EXTENSIONS = new Set(
  "json txt html htm pdf xml csv gz tgz exe png jpg jpeg gif svg yml yaml conf cfg ini log js ts rpm deb msi iso tar dat".split(
    " ",
  ),
);
const ROTATING_CUE = /subject to change|changes? frequently|dynamic(ally)?|rotat/i;
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

interface Facts {
  hostnames: string[];
  ips: string[];
  ranges: string[];
  urls: string[];
  ports: PortSpec[];
  any: boolean;
  text: string;
}

interface Block extends Facts {
  kind: "row" | "line";
  /** The row's label (first text cell), if any. */
  item: string | undefined;
  /** Free-text cells of a row (details, comments), or the whole line. */
  details: string;
  /** Ports lent to another section; the block makes no endpoint of its own. */
  consumed: boolean;
}

interface Section {
  title: string;
  blocks: Block[];
  history: boolean;
  /** Ports other sections' rows lend to this one, with where they came from. */
  lentPorts: { ports: PortSpec[]; from: string }[];
}

export function extractCatalogueDraft(text: string, options: ExtractOptions): Catalogue {
  const lines = normalise(text).split("\n");
  const sections = splitSections(lines, options.title ?? "Document");
  const meta = documentMeta(lines, sections, options);
  lendCrossReferencedPorts(sections);
  const draft = new DraftBuilder(meta.title, meta.issue);
  for (const section of sections) if (!section.history) draft.addSection(section);
  for (const section of sections) if (section.history) draft.addHistory(section);

  const catalogue = {
    schemaVersion: 1 as const,
    id: options.id ?? slug(`${options.vendor}-${options.product}`, true),
    vendor: options.vendor,
    product: options.product,
    document: { title: meta.title, issue: meta.issue, date: meta.date },
    review: "needs-review" as const,
    endpoints: draft.endpoints,
    pools: draft.pools,
    feeds: draft.feeds,
    mentions: draft.mentions,
  };
  if (catalogue.endpoints.length === 0) {
    throw new CatalogueExtractError("found no hostname, IP address or port in the document");
  }
  try {
    return parseCatalogue(catalogue, "extracted draft");
  } catch (error) {
    throw new CatalogueExtractError("the extracted draft does not validate", { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// Text → sections → blocks

function normalise(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>(.*?)<\/a>/gi, (_, url: string, label: string) =>
      label.trim() === url ? ` ${url} ` : ` ${url} ${label} `,
    )
    .replace(/<[^>\n]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/\*\*|__/g, "");
}

function headingOf(line: string, next: string | undefined): string | undefined {
  const markdown = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
  if (markdown?.[1]) return markdown[1].trim();
  if (line.includes("\t") || line.trim().startsWith("|")) return undefined;
  if (line.trim() !== "" && next !== undefined && /^\s*(=+|-{3,})\s*$/.test(next)) {
    return line.trim();
  }
  const numbered = /^\s*\d+(\.\d+)*\.?\s+([A-Z][^.:;!?]{2,58})$/.exec(line);
  if (numbered?.[2] && !/\d\s*$/.test(numbered[2])) return numbered[2].trim();
  return undefined;
}

function splitSections(lines: string[], firstTitle: string): Section[] {
  const sections: Section[] = [];
  let current: Section = { title: firstTitle, blocks: [], history: false, lentPorts: [] };
  sections.push(current);
  let lastWasRow = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const title = headingOf(line, lines[i + 1]);
    if (title !== undefined) {
      current = { title, blocks: [], history: HISTORY_TITLE.test(title), lentPorts: [] };
      sections.push(current);
      if (/^\s*(=+|-{3,})\s*$/.test(lines[i + 1] ?? "")) i++;
      lastWasRow = false;
      continue;
    }
    if (line.trim() === "") continue;
    if (/^\s*\|?\s*:?-{3,}/.test(line) && !/[a-z0-9]/i.test(line)) continue;
    const isRow = line.includes("\t") || line.trim().startsWith("|");
    if (!isRow) {
      current.blocks.push(analyseLine(line));
      lastWasRow = false;
      continue;
    }
    const cells = splitCells(line);
    const previous = current.blocks.at(-1);
    if (cells[0] === "" && lastWasRow && previous?.kind === "row") {
      // A continuation row (leading cells empty) belongs to the row above.
      mergeInto(previous, analyseRow(cells));
    } else {
      current.blocks.push(analyseRow(cells));
    }
    lastWasRow = true;
  }
  return sections.filter((s, i) => i > 0 || s.blocks.length > 0);
}

function splitCells(line: string): string[] {
  if (line.trim().startsWith("|")) {
    const cells = line
      .trim()
      .split("|")
      .map((c) => c.trim());
    return cells.slice(1, cells.at(-1) === "" ? -1 : undefined);
  }
  return line.split("\t").map((c) => c.trim());
}

function mergeInto(target: Block, extra: Block): void {
  target.hostnames = unique([...target.hostnames, ...extra.hostnames]);
  target.ips = unique([...target.ips, ...extra.ips]);
  target.ranges = unique([...target.ranges, ...extra.ranges]);
  target.urls = unique([...target.urls, ...extra.urls]);
  target.ports = uniquePorts([...target.ports, ...extra.ports]);
  target.text = `${target.text} ${extra.text}`;
}

// ---------------------------------------------------------------------------------------------
// Finding addresses and ports

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"')\]]+/gi;
const RANGE_PATTERN = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}\/\d{1,2}(?![\d.])/g;
const IPV4_PATTERN = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)/g;
const EMAIL_PATTERN = /\b[\w.+-]+@[\w.-]+\b/g;
const HOSTNAME_PATTERN =
  /(?<![\w./@-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?![\w-]|\.[a-z0-9])/gi;

interface Addresses {
  hostnames: string[];
  ips: string[];
  ranges: string[];
  urls: string[];
}

/** Every URL, CIDR range, IPv4 address and hostname in a piece of text, in order, once each. */
export function findAddresses(text: string): Addresses {
  const urls = unique([...text.matchAll(URL_PATTERN)].map((m) => m[0].replace(/[.,;:]+$/, "")));
  let rest = text.replace(URL_PATTERN, " ");
  const ranges = unique(
    [...rest.matchAll(RANGE_PATTERN)].map((m) => m[0]).filter((r) => isIpv4(r.split("/")[0])),
  );
  rest = rest.replace(RANGE_PATTERN, " ");
  const ips = unique([...rest.matchAll(IPV4_PATTERN)].map((m) => m[0]).filter(isIpv4));
  rest = rest.replace(IPV4_PATTERN, " ").replace(EMAIL_PATTERN, " ");
  const hostnames = unique(
    [...rest.matchAll(HOSTNAME_PATTERN)]
      .map((m) => m[0].toLowerCase())
      .filter((h) => !FILE_EXTENSIONS.has(h.slice(h.lastIndexOf(".") + 1)))
      .filter((h) => h.length <= 253),
  );
  return { hostnames, ips, ranges, urls };
}

function isIpv4(value: string | undefined): value is string {
  return value !== undefined && ipaddr.IPv4.isValidFourPartDecimal(value);
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

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

function analyseRow(cells: string[]): Block {
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

function analyseLine(line: string): Block {
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

// ---------------------------------------------------------------------------------------------
// Cross-references and document metadata

function lendCrossReferencedPorts(sections: Section[]): void {
  const squash = (s: string) => s.toLowerCase().replace(/\s+/g, " ");
  for (const section of sections) {
    for (const block of section.blocks) {
      if (block.ports.length === 0 || block.hostnames.length > 0 || block.ips.length > 0) continue;
      for (const target of sections) {
        if (target === section || target.history) continue;
        const label = block.item ?? block.text;
        if (target.title.length >= 6 && squash(block.text).includes(squash(target.title))) {
          target.lentPorts.push({ ports: block.ports, from: label });
          block.consumed = true;
          continue;
        }
        const firstWord = target.title.split(/\s+/)[0] ?? "";
        const itemWord = block.item?.split(/\s+/)[0] ?? "";
        if (firstWord.length >= 5 && firstWord.toLowerCase() === itemWord.toLowerCase()) {
          target.lentPorts.push({ ports: block.ports, from: label });
        }
      }
    }
  }
}

function documentMeta(
  lines: string[],
  sections: Section[],
  options: ExtractOptions,
): { title: string; issue: string; date: string } {
  const firstHeading = lines.map((l, i) => headingOf(l, lines[i + 1])).find((t) => t);
  const issueLine = lines.map((l) => /^\s*(?:issue|version|revision)\s+([\w.-]+)\s*$/i.exec(l));
  const issue = issueLine.find((m) => m)?.[1];
  const dateLine = lines
    .map((l) =>
      /^\s*((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4})\s*$/i.exec(l),
    )
    .find((m) => m)?.[1];
  return {
    title: options.title ?? firstHeading ?? sections[0]?.title ?? "Untitled document",
    issue: options.issue ?? issue ?? "unknown",
    date: options.date ?? dateLine ?? "undated",
  };
}

/** "Jun 2021", "Oct-2018" → "2021-06", "2018-10". */
function monthOf(text: string): string | undefined {
  const m = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[\s-]+(\d{4})\b/i.exec(
    text,
  );
  if (!m?.[1] || !m[2]) return undefined;
  const month = MONTHS.indexOf(m[1].toLowerCase()) + 1;
  return `${m[2]}-${String(month).padStart(2, "0")}`;
}

// ---------------------------------------------------------------------------------------------
// Building the draft

class DraftBuilder {
  readonly endpoints: Endpoint[] = [];
  readonly pools: Pool[] = [];
  readonly feeds: FeedSource[] = [];
  readonly mentions: Mention[] = [];
  private readonly ids = new Set<string>();
  private readonly known = new Set<string>();

  constructor(
    private readonly title: string,
    private readonly issue: string,
  ) {}

  addSection(section: Section): void {
    const scope = /\binternal\b/i.test(section.title) ? "internal" : "external";
    const sectionPorts = uniquePorts(
      section.blocks.filter((b) => b.kind === "line").flatMap((b) => b.ports),
    );
    const looseHosts: Block[] = [];
    const looseIps: string[] = [];
    let sectionHasAddresses = false;

    for (const block of section.blocks) {
      this.addUrls(section, block);
      this.addRanges(section, block);
      if (block.hostnames.length > 0 || block.ips.length > 0) sectionHasAddresses = true;
    }
    for (const block of section.blocks) {
      const hosts = block.hostnames;
      if (hosts.length > 0 && (block.ips.length > 0 || block.kind === "row")) {
        this.addHosts(section, block, hosts, block.ips, scope, sectionPorts);
      } else if (hosts.length > 0) {
        looseHosts.push(block);
      } else if (block.ips.length > 0 && block.kind === "row") {
        this.addAddressOnlyRow(section, block, scope);
      } else if (block.ips.length > 0) {
        looseIps.push(...block.ips);
      } else if (block.ports.length > 0 && !block.consumed) {
        if (block.kind === "row" || !sectionHasAddresses) this.addPortOnly(section, block, scope);
      } else if (block.any && block.kind === "row") {
        this.addPortOnly(section, block, scope);
      }
    }

    if (looseHosts.length > 0) {
      const poolId = looseIps.length > 0 ? this.pool(section.title, looseIps, section) : undefined;
      for (const block of looseHosts) {
        this.addHosts(section, block, block.hostnames, [], scope, sectionPorts, poolId);
      }
    } else if (looseIps.length > 0) {
      for (const ip of unique(looseIps)) {
        this.mention(ip, "ipv4", `IPv4 address without a hostname in "${section.title}"`, section);
      }
    }
  }

  addHistory(section: Section): void {
    for (const block of section.blocks) {
      const when = monthOf(block.text);
      const retiring = /\bretire|\bdecommission|\bremov|\breplac|\bold address/i.test(block.text);
      for (const m of block.text.matchAll(
        /\bfrom\s+((?:\d{1,3}\.){3}\d{1,3})\s+to\s+((?:\d{1,3}\.){3}\d{1,3})/gi,
      )) {
        const [, oldIp, newIp] = m;
        if (!oldIp || !newIp || this.known.has(oldIp) || when === undefined) continue;
        const owner = this.endpoints.find((e) => e.ips.includes(newIp));
        const pool = this.pools.find((p) => p.ips.includes(newIp));
        const target = owner ?? pool;
        if (target === undefined) continue;
        target.retiredIps.push({
          ip: oldIp,
          retiredOn: when,
          note: `${section.title}: ${block.text.trim()}`.slice(0, 300),
        });
        this.known.add(oldIp);
      }
      for (const ip of block.ips) {
        if (this.known.has(ip)) continue;
        const reason = retiring
          ? `named as retired in "${section.title}"${when ? ` (${when})` : ""}; review which endpoint or pool it belonged to`
          : `named in "${section.title}"${when ? ` (${when})` : ""}; not found elsewhere in the document`;
        this.mention(ip, "ipv4", reason, section, block.item);
      }
      for (const host of block.hostnames) {
        if (this.known.has(host)) continue;
        this.mention(host, "hostname", `named only in "${section.title}"`, section, block.item);
      }
      this.addRanges(section, block);
      this.addUrls(section, block);
    }
  }

  private addHosts(
    section: Section,
    block: Block,
    hosts: string[],
    ips: string[],
    scope: "internal" | "external",
    sectionPorts: PortSpec[],
    sectionPool?: string,
  ): void {
    const { ports, note } = this.portsFor(section, block, sectionPorts);
    const service = block.item ?? section.title;
    const feed = feedCue(block.urls);
    let policy: ExpectationPolicy = "hostname-only";
    let poolId = sectionPool;
    if (ips.length > 0 && hosts.length === 1) policy = "pinned";
    else if (ips.length > 0) poolId = this.pool(service, ips, section, block.item);
    if (poolId !== undefined) policy = "pool";
    else if (ips.length === 0 && feed !== undefined) policy = feed;
    else if (ips.length === 0 && ROTATING_CUE.test(block.text)) policy = "rotating";
    for (const host of hosts) {
      this.known.add(host);
      for (const ip of ips) this.known.add(ip);
      this.endpoints.push({
        id: this.uniqueId(`${slug(service)}/${host}`),
        group: slug(section.title) || "ungrouped",
        service,
        purpose: purposeOf(block, service),
        scope,
        hostname: host,
        ports,
        policy,
        ips: policy === "pinned" ? ips : [],
        ...(poolId !== undefined ? { pool: poolId } : {}),
        retiredIps: [],
        ...(policy === "cloudfront" || policy === "aws-ip-ranges" ? { feed: policy } : {}),
        provenance: this.provenance(section, block.item ?? host),
        ...(note ? { notes: note } : {}),
      });
    }
  }

  private addAddressOnlyRow(section: Section, block: Block, scope: "internal" | "external"): void {
    const { ports, note } = this.portsFor(section, block, []);
    const service = block.item ?? section.title;
    for (const ip of block.ips) this.known.add(ip);
    this.endpoints.push({
      id: this.uniqueId(`${slug(section.title)}/${slug(service)}`),
      group: slug(section.title) || "ungrouped",
      service,
      purpose: purposeOf(block, service),
      scope,
      hostname: null,
      ports,
      policy: scope === "internal" ? "internal" : "any-destination",
      ips: block.ips,
      retiredIps: [],
      provenance: this.provenance(section, service),
      notes: ["IPv4 addresses without a hostname: review the policy.", note]
        .filter(Boolean)
        .join(" "),
    });
  }

  private addPortOnly(section: Section, block: Block, scope: "internal" | "external"): void {
    if (block.ports.length === 0) return;
    const service = block.item ?? section.title;
    this.endpoints.push({
      id: this.uniqueId(`${slug(section.title)}/${slug(service) || "ports"}`),
      group: slug(section.title) || "ungrouped",
      service,
      purpose: purposeOf(block, service),
      scope,
      hostname: null,
      ports: block.ports,
      policy: scope === "internal" && !block.any ? "internal" : "any-destination",
      ips: [],
      retiredIps: [],
      provenance: this.provenance(section, service),
    });
  }

  private portsFor(
    section: Section,
    block: Block,
    sectionPorts: PortSpec[],
  ): { ports: PortSpec[]; note?: string } {
    if (block.ports.length > 0) return { ports: block.ports };
    if (sectionPorts.length > 0)
      return { ports: sectionPorts, note: "Ports from the section text." };
    const lent = section.lentPorts[0];
    if (lent !== undefined) {
      return {
        ports: lent.ports,
        note: `Ports from the row "${lent.from}" that refers to this section.`,
      };
    }
    return {
      ports: [{ protocol: "tcp", port: 443, direction: "out" }],
      note: "No port found near this hostname; tcp/443 assumed: check.",
    };
  }

  /** A pool for IPs documented for several hosts; reuses a pool with the same IP set. */
  private pool(label: string, ips: string[], section: Section, item?: string): string {
    const set = unique(ips);
    for (const ip of set) this.known.add(ip);
    const same = this.pools.find(
      (p) => p.ips.length === set.length && p.ips.every((ip) => set.includes(ip)),
    );
    if (same !== undefined) return same.id;
    let id = slug(label) || "pool";
    for (let n = 2; this.pools.some((p) => p.id === id); n++) id = `${slug(label)}-${n}`;
    this.pools.push({
      id,
      description: `IPs documented for the hosts of "${item ?? section.title}"`,
      ips: set,
      retiredIps: [],
      provenance: this.provenance(section, item),
    });
    return id;
  }

  private addUrls(section: Section, block: Block): void {
    for (const url of block.urls) {
      let host: string;
      try {
        host = new URL(url).hostname.toLowerCase();
      } catch {
        continue;
      }
      const feed = feedCue([url]);
      if (feed !== undefined) {
        this.known.add(host);
        if (!this.feeds.some((f) => f.id === feed)) {
          this.feeds.push({ id: feed, url, provenance: this.provenance(section, block.item) });
        }
        continue;
      }
      if (this.known.has(host)) continue;
      this.mention(host, "hostname", `host of the URL ${url}`, section, block.item);
    }
  }

  private addRanges(section: Section, block: Block): void {
    for (const range of block.ranges) {
      this.mention(
        range,
        "ipv4-range",
        `CIDR range in "${section.title}": review`,
        section,
        block.item,
      );
    }
  }

  private mention(
    value: string,
    kind: Mention["kind"],
    reason: string,
    section: Section,
    item?: string,
  ): void {
    if (this.mentions.some((m) => m.value === value)) return;
    this.known.add(value);
    this.mentions.push({ value, kind, reason, provenance: this.provenance(section, item) });
  }

  private provenance(section: Section, item?: string): Provenance {
    return {
      document: this.title,
      issue: this.issue,
      section: section.title,
      ...(item ? { item } : {}),
    };
  }

  private uniqueId(base: string): string {
    let id = base.replace(/^[^a-z0-9]+/, "") || "endpoint";
    for (let n = 2; this.ids.has(id); n++) id = `${base}-${n}`;
    this.ids.add(id);
    return id;
  }
}

function feedCue(urls: string[]): "cloudfront" | "aws-ip-ranges" | undefined {
  for (const url of urls) {
    if (/ip-ranges\.amazonaws\.com/i.test(url)) return "aws-ip-ranges";
    if (/cloudfront-ips|cloudfront\.net\/tools/i.test(url)) return "cloudfront";
  }
  return undefined;
}

function purposeOf(block: Block, service: string): string {
  const text = block.details.replace(URL_PATTERN, " ").replace(/\s+/g, " ").trim();
  return text.length > 0 ? text.slice(0, 200) : service;
}

function slug(text: string, keepDots = false): string {
  const pattern = keepDots ? /[^a-z0-9.]+/g : /[^a-z0-9]+/g;
  return text
    .toLowerCase()
    .replace(pattern, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 60)
    .replace(/[-.]+$/, "");
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function uniquePorts(ports: PortSpec[]): PortSpec[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const key = `${p.protocol}/${p.port}/${p.direction}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
