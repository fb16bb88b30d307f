import { analyseLine, analyseRow, type Block } from "#shared/catalogue/extract/analyse-block";
import { unique, uniquePorts } from "#shared/catalogue/extract/unique";
import type { PortSpec } from "#shared/catalogue/schema";

const HISTORY_TITLE =
  /\b(change|revision|document|version|release) ?(history|log|notes)\b|\bchangelog\b/i;

/** A part of the document under one heading; a change-history section is `history`. */
export interface Section {
  title: string;
  blocks: Block[];
  history: boolean;
  /** Ports other sections' rows lend to this one, with where they came from. */
  lentPorts: { ports: PortSpec[]; from: string }[];
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
  if (numbered?.[2] && !/\d\s*$/.test(numbered[2])) return numbered[2].trim();
  return undefined;
}

/** Cuts the lines into sections at headings, and each section into blocks (rows, lines). */
export function splitSections(lines: string[], firstTitle: string): Section[] {
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
