import { analyseLine, analyseRow, type Block } from "#shared/catalogue/extract/analyse-block";
import { findAddresses } from "#shared/catalogue/extract/find-addresses";
import { portsInProse, servicePorts } from "#shared/catalogue/extract/ports-in-prose";
import { unique, uniquePorts } from "#shared/catalogue/extract/unique";
import type { PortSpec } from "#shared/catalogue/schema";

const HISTORY_TITLE =
  /\b(change|revision|document|version|release) ?(history|log|notes)\b|\bchangelog\b/i;

/** A part of the document under one heading; a change-history section is `history`. */
export interface Section {
  title: string;
  /** The heading's 1-based line number (0 for the text before the first heading). */
  line: number;
  /** Ports the heading names (`Updates (TCP 80, outbound)`, `123 UDP`, `Portal (https)`). */
  headingPorts: PortSpec[];
  blocks: Block[];
  history: boolean;
  /** Ports other sections' rows lend to this one, with where they came from. */
  lentPorts: { ports: PortSpec[]; from: string; line: number }[];
}

const BULLET = /^\s*[-*+•]\s+\S/;

/**
 * A short title line directly above a bullet list (`Updates (TCP 80, outbound)`): at most 60
 * characters and 7 words, no address, not ending in punctuation (a line ending in `:` introduces
 * the list in the same section).
 */
function isListHeading(line: string, next: string | undefined): boolean {
  const text = line.trim();
  if (next === undefined || !BULLET.test(next) || BULLET.test(line)) return false;
  if (text.length > 60 || text.split(/\s+/).length > 7 || !/^[A-Z0-9]/.test(text)) return false;
  if (/[:.;,]$/.test(text) || line.includes("\t") || text.startsWith("|")) return false;
  const found = findAddresses(text);
  return found.hostnames.length + found.ips.length + found.urls.length === 0;
}

function newSection(title: string, line: number, heading: string): Section {
  const explicit = portsInProse(heading);
  return {
    title,
    line,
    headingPorts: explicit.length > 0 ? explicit : servicePorts(heading),
    blocks: [],
    history: HISTORY_TITLE.test(title),
    lentPorts: [],
  };
}

/** The title when `line` is a heading (markdown `#`, setext underline in `next`, numbered). */
export function headingOf(line: string, next: string | undefined): string | undefined {
  const markdown = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
  if (markdown?.[1]) return markdown[1].trim();
  if (line.includes("\t") || line.trim().startsWith("|")) return undefined;
  if (line.trim() !== "" && next !== undefined && /^\s*(=+|-{3,})\s*$/.test(next)) {
    return line.trim();
  }
  const numbered = /^\s*\d+(\.\d+)*\.?\s+([A-Z][^.:;!?]{2,58})$/.exec(line);
  if (numbered?.[2] && /^\s*\d{1,5}\s+(tcp|udp)\b/i.test(line)) return line.trim();
  if (numbered?.[2] && !/\d\s*$/.test(numbered[2])) return numbered[2].trim();
  return undefined;
}

/** Cuts the lines into sections at headings, and each section into blocks (rows, lines). */
export function splitSections(lines: string[], firstTitle: string): Section[] {
  let current = newSection(firstTitle, 0, "");
  const sections: Section[] = [current];
  let lastWasRow = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const next = lines.slice(i + 1).find((l) => l.trim() !== "");
    const title =
      headingOf(line, lines[i + 1]) ?? (isListHeading(line, next) ? line.trim() : undefined);
    if (title !== undefined) {
      current = newSection(title, i + 1, line);
      sections.push(current);
      if (/^\s*(=+|-{3,})\s*$/.test(lines[i + 1] ?? "")) i++;
      lastWasRow = false;
      continue;
    }
    if (line.trim() === "") continue;
    if (/^\s*\|?\s*:?-{3,}/.test(line) && !/[a-z0-9]/i.test(line)) continue;
    const isRow = line.includes("\t") || line.trim().startsWith("|");
    if (!isRow) {
      current.blocks.push(located(analyseLine(line), i + 1));
      lastWasRow = false;
      continue;
    }
    const cells = splitCells(line);
    const previous = current.blocks.at(-1);
    const row = located(analyseRow(cells), i + 1);
    if (cells[0] === "" && lastWasRow && previous?.kind === "row") {
      // A continuation row (leading cells empty) belongs to the row above.
      mergeInto(previous, row);
    } else {
      current.blocks.push(row);
    }
    lastWasRow = true;
  }
  return sections.filter((s, i) => i > 0 || s.blocks.length > 0);
}

/** The block with its line number, and each value it names read on that line. */
function located(block: Block, line: number): Block {
  block.line = line;
  for (const value of [...block.hostnames, ...block.wildcards, ...block.ips, ...block.ranges]) {
    if (!block.lines.has(value)) block.lines.set(value, line);
  }
  return block;
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
  for (const [value, line] of extra.lines)
    if (!target.lines.has(value)) target.lines.set(value, line);
  target.hostnames = unique([...target.hostnames, ...extra.hostnames]);
  target.wildcards = unique([...target.wildcards, ...extra.wildcards]);
  target.hostPorts = [...target.hostPorts, ...extra.hostPorts];
  target.urlPorts = [...target.urlPorts, ...extra.urlPorts];
  target.ips = unique([...target.ips, ...extra.ips]);
  target.ranges = unique([...target.ranges, ...extra.ranges]);
  target.urls = unique([...target.urls, ...extra.urls]);
  target.ports = uniquePorts([...target.ports, ...extra.ports]);
  target.servicePorts = uniquePorts([...target.servicePorts, ...extra.servicePorts]);
  target.text = `${target.text} ${extra.text}`;
}
