/**
 * Space-aligned text tables as tab-separated rows. A table starts at a header line of three or
 * more words-only cells separated by two or more spaces, followed by a dashed rule or another
 * such line; it ends at a blank line. Each row's chunks (runs separated by two or more spaces)
 * go to the column whose header starts at or before them, so a continuation row (its first
 * cells blank) starts with empty cells, as a tab-separated one does.
 */
export function alignedTablesAsTabs(lines: string[]): string[] {
  const out = [...lines];
  for (let i = 0; i < lines.length; i++) {
    const columns = headerColumns(lines[i] ?? "", nextNonBlank(lines, i));
    if (columns === undefined) continue;
    let j = i;
    for (; j < lines.length && (lines[j] ?? "").trim() !== ""; j++) {
      const line = lines[j] ?? "";
      out[j] = /^[\s-]+$/.test(line) ? "" : cellsOf(line, columns).join("\t");
    }
    i = j;
  }
  return out;
}

interface Chunk {
  at: number;
  text: string;
}

function chunksOf(line: string): Chunk[] {
  return [...line.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ at: m.index, text: m[0] }));
}

function headerColumns(line: string, next: string | undefined): number[] | undefined {
  if (line.includes("\t") || line.includes("|") || /^\s/.test(line)) return undefined;
  const chunks = chunksOf(line);
  if (chunks.length < 3 || !chunks.every((c) => /^[A-Za-z][A-Za-z /()&-]*$/.test(c.text))) {
    return undefined;
  }
  const rule = next !== undefined && /^-{2,}(\s+-{2,}){2,}\s*$/.test(next);
  const aligned = next !== undefined && chunksOf(next).length >= 3 && !next.includes("\t");
  return rule || aligned ? chunks.map((c) => c.at) : undefined;
}

function nextNonBlank(lines: string[], i: number): string | undefined {
  const next = lines[i + 1];
  return next !== undefined && next.trim() !== "" ? next : undefined;
}

function cellsOf(line: string, columns: number[]): string[] {
  const cells = columns.map(() => "");
  for (const chunk of chunksOf(line)) {
    let column = 0;
    columns.forEach((start, k) => {
      if (start <= chunk.at + 1) column = k;
    });
    cells[column] = `${cells[column]} ${chunk.text}`.trim();
  }
  return cells;
}
