import type { VendorDocumentDiff } from "#shared/domain/vendor-document";

/**
 * A line diff of two texts in unified-diff style (`---`/`+++` headers, `@@ -a,b +c,d @@` hunks,
 * 3 lines of context), for a person to read in a notification. The common head and tail are
 * trimmed first; the middle is Myers' shortest edit script, or, when that takes more than
 * `maxEdits` edits, shown as removed then added. Pure and deterministic.
 */
export interface TextDiffOptions {
  fromLabel: string;
  toLabel: string;
  /** Characters of diff text kept; the rest is cut at a line and counted (default 32,000). */
  maxChars?: number;
  /** Edits (lines removed + added) the shortest-edit search goes to (default 2,000). */
  maxEdits?: number;
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
  const ops = diffLines(a, b, options.maxEdits ?? 2_000);
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

function diffLines(a: string[], b: string[], maxEdits: number): Op[] {
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
  const middle = myers(midA, midB, maxEdits) ?? [
    ...midA.map((line): Op => ({ kind: "-", line })),
    ...midB.map((line): Op => ({ kind: "+", line })),
  ];
  return [
    ...a.slice(0, head).map((line): Op => ({ kind: " ", line })),
    ...removalsFirst(middle),
    ...a.slice(a.length - tail).map((line): Op => ({ kind: " ", line })),
  ];
}

/**
 * Myers' O((N+M)·D) shortest edit script, or null when it needs more than `maxEdits` edits (its
 * trace holds about D² numbers). Fast on long documents with few, scattered changes.
 */
function myers(a: string[], b: string[], maxEdits: number): Op[] | null {
  const n = a.length;
  const m = b.length;
  const offset = n + m + 1;
  const v = new Int32Array(2 * offset + 1);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(maxEdits, n + m); d++) {
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number))
          ? (v[offset + k + 1] as number)
          : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        trace.push(v.slice(offset - d, offset + d + 1));
        return backtrack(a, b, trace);
      }
    }
    trace.push(v.slice(offset - d, offset + d + 1));
  }
  return null;
}

/** The edit script from Myers' trace: `trace[d][k + d]` is the furthest x on diagonal k. */
function backtrack(a: string[], b: string[], trace: Int32Array[]): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d > 0; d--) {
    const previous = trace[d - 1] as Int32Array;
    const at = (k: number) => previous[k + d - 1] as number;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const previousK = down ? k + 1 : k - 1;
    const previousX = at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      x--;
      y--;
      ops.push({ kind: " ", line: a[x] as string });
    }
    if (down) ops.push({ kind: "+", line: b[--y] as string });
    else ops.push({ kind: "-", line: a[--x] as string });
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    ops.push({ kind: " ", line: a[x] as string });
  }
  return ops.reverse();
}

/** Within each run of changed lines, the removed lines before the added ones (as diff prints). */
function removalsFirst(ops: Op[]): Op[] {
  const out: Op[] = [];
  let run: Op[] = [];
  const flush = () => {
    out.push(...run.filter((op) => op.kind === "-"), ...run.filter((op) => op.kind === "+"));
    run = [];
  };
  for (const op of ops) {
    if (op.kind === " ") {
      flush();
      out.push(op);
    } else run.push(op);
  }
  flush();
  return out;
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
