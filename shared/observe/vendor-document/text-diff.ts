import type { VendorDocumentDiff } from "#shared/domain/vendor-document";

/**
 * A line diff of two texts in unified-diff style (`---`/`+++` headers, `@@ -a,b +c,d @@` hunks,
 * 3 lines of context), for a person to read in a notification. The common head and tail are
 * trimmed first; the middle is matched by longest common subsequence, or, when it is too large
 * for that (more than `maxCells` line pairs), shown as removed then added. Pure and deterministic.
 */
export interface TextDiffOptions {
  fromLabel: string;
  toLabel: string;
  /** Characters of diff text kept; the rest is cut at a line and counted (default 32,000). */
  maxChars?: number;
  /** Line pairs the LCS table may hold (default 4,000,000). */
  maxCells?: number;
  context?: number;
}

type Op = { kind: " " | "-" | "+"; line: string };

export function unifiedTextDiff(
  from: string,
  to: string,
  options: TextDiffOptions,
): VendorDocumentDiff {
  const a = splitLines(from);
  const b = splitLines(to);
  const ops = diffLines(a, b, options.maxCells ?? 4_000_000);
  const linesAdded = ops.filter((op) => op.kind === "+").length;
  const linesRemoved = ops.filter((op) => op.kind === "-").length;
  const hunks = renderHunks(ops, options.context ?? 3);
  const all = [`--- ${options.fromLabel}`, `+++ ${options.toLabel}`, ...hunks];
  const maxChars = options.maxChars ?? 32_000;
  const kept: string[] = [];
  let size = 0;
  for (const line of all) {
    if (size + line.length + 1 > maxChars) break;
    kept.push(line);
    size += line.length + 1;
  }
  const truncated = kept.length < all.length;
  if (truncated) kept.push(`… ${all.length - kept.length} more diff lines left out`);
  return { text: `${kept.join("\n")}\n`, linesAdded, linesRemoved, truncated };
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

function diffLines(a: string[], b: string[], maxCells: number): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const middle =
    midA.length * midB.length <= maxCells
      ? lcsOps(midA, midB)
      : [
          ...midA.map((line): Op => ({ kind: "-", line })),
          ...midB.map((line): Op => ({ kind: "+", line })),
        ];
  return [
    ...a.slice(0, head).map((line): Op => ({ kind: " ", line })),
    ...middle,
    ...a.slice(a.length - tail).map((line): Op => ({ kind: " ", line })),
  ];
}

function lcsOps(a: string[], b: string[]): Op[] {
  const width = b.length + 1;
  // lengths[i * width + j]: the LCS length of a[i..] and b[j..].
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? (lengths[(i + 1) * width + j + 1] as number) + 1
          : Math.max(lengths[(i + 1) * width + j] as number, lengths[i * width + j + 1] as number);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      ops.push({ kind: " ", line: a[i] as string });
      i++;
      j++;
    } else if ((lengths[(i + 1) * width + j] as number) >= (lengths[i * width + j + 1] as number)) {
      ops.push({ kind: "-", line: a[i++] as string });
    } else ops.push({ kind: "+", line: b[j++] as string });
  }
  while (i < a.length) ops.push({ kind: "-", line: a[i++] as string });
  while (j < b.length) ops.push({ kind: "+", line: b[j++] as string });
  return ops;
}

/** The changed runs with `context` lines around them, merged when their context touches. */
function renderHunks(ops: Op[], context: number): string[] {
  const changed = ops.flatMap((op, index) => (op.kind === " " ? [] : [index]));
  if (changed.length === 0) return [];
  const ranges: { start: number; end: number }[] = [];
  for (const index of changed) {
    const start = Math.max(0, index - context);
    const end = Math.min(ops.length, index + context + 1);
    const last = ranges.at(-1);
    if (last !== undefined && start <= last.end) last.end = Math.max(last.end, end);
    else ranges.push({ start, end });
  }
  // Line numbers (1-based) of each op's position in the old and the new text.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let oldLine = 1;
  let newLine = 1;
  for (const op of ops) {
    oldAt.push(oldLine);
    newAt.push(newLine);
    if (op.kind !== "+") oldLine++;
    if (op.kind !== "-") newLine++;
  }
  const lines: string[] = [];
  for (const { start, end } of ranges) {
    const slice = ops.slice(start, end);
    const oldCount = slice.filter((op) => op.kind !== "+").length;
    const newCount = slice.filter((op) => op.kind !== "-").length;
    const oldStart = oldCount === 0 ? (oldAt[start] as number) - 1 : (oldAt[start] as number);
    const newStart = newCount === 0 ? (newAt[start] as number) - 1 : (newAt[start] as number);
    lines.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const op of slice) lines.push(`${op.kind}${op.line}`);
  }
  return lines;
}
