import { describe, expect, it } from "vitest";
import { unifiedTextDiff } from "#shared/observe/vendor-document/text-diff";

const labels = { fromLabel: "old", toLabel: "new" };
const lines = (n: number, f = (i: number) => `line ${i}`) =>
  `${Array.from({ length: n }, (_, i) => f(i + 1)).join("\n")}\n`;

describe("unifiedTextDiff", () => {
  it("shows a changed line with 3 lines of context in a unified hunk", () => {
    const from = lines(10);
    const to = from.replace("line 5\n", "line five\n");
    const diff = unifiedTextDiff(from, to, labels);
    expect(diff.text).toBe(
      [
        "--- old",
        "+++ new",
        "@@ -2,7 +2,7 @@",
        " line 2",
        " line 3",
        " line 4",
        "-line 5",
        "+line five",
        " line 6",
        " line 7",
        " line 8",
        "",
      ].join("\n"),
    );
    expect(diff).toMatchObject({ linesAdded: 1, linesRemoved: 1, truncated: false });
  });

  it("keeps distant changes in separate hunks and counts an insertion at the end", () => {
    const from = lines(20);
    const to = `${from.replace("line 2\n", "")}line 21\n`;
    const diff = unifiedTextDiff(from, to, labels);
    expect(diff.text).toContain("@@ -1,5 +1,4 @@");
    expect(diff.text).toContain("@@ -18,3 +17,4 @@\n line 18\n line 19\n line 20\n+line 21\n");
    expect(diff).toMatchObject({ linesAdded: 1, linesRemoved: 1 });
  });

  it("diffs against an empty text", () => {
    expect(unifiedTextDiff("", "a\nb\n", labels).text).toBe(
      "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n",
    );
  });

  it("cuts a long diff at a line and says how much is left out", () => {
    const diff = unifiedTextDiff(
      lines(2000),
      lines(2000, (i) => `changed ${i}`),
      { ...labels, maxChars: 1000 },
    );
    expect(diff.truncated).toBe(true);
    expect(diff.text.length).toBeLessThanOrEqual(1100);
    expect(diff.text).toMatch(/… \d+ more diff lines left out\n$/);
    expect(diff).toMatchObject({ linesAdded: 2000, linesRemoved: 2000 });
  });

  it("falls back to removed-then-added when the middle is too large to match", () => {
    const diff = unifiedTextDiff("a\nx\n", "x\nc\n", { ...labels, maxEdits: 1 });
    expect(diff.text).toBe("--- old\n+++ new\n@@ -1,2 +1,2 @@\n-a\n-x\n+x\n+c\n");
  });

  it("is a shortest edit script that rebuilds both texts (random texts, checked against an LCS table)", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const lcs = (a: string[], b: string[]) => {
      const width = b.length + 1;
      const t = new Int32Array((a.length + 1) * width);
      const at = (i: number, j: number) => t[i * width + j] as number;
      for (let i = a.length - 1; i >= 0; i--)
        for (let j = b.length - 1; j >= 0; j--)
          t[i * width + j] =
            a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
      return at(0, 0);
    };
    const text = (lines: string[]) => (lines.length === 0 ? "" : `${lines.join("\n")}\n`);
    for (let run = 0; run < 200; run++) {
      const a = Array.from({ length: random(30) }, () => `l${random(6)}`);
      const b = Array.from({ length: random(30) }, () => `l${random(6)}`);
      const diff = unifiedTextDiff(text(a), text(b), { ...labels, context: 1000 });
      expect(diff.linesAdded + diff.linesRemoved).toBe(a.length + b.length - 2 * lcs(a, b));
      if (diff.linesAdded + diff.linesRemoved === 0) continue;
      const body = diff.text.split("\n").slice(3, -1);
      expect(body.filter((l) => !l.startsWith("+")).map((l) => l.slice(1))).toEqual(a);
      expect(body.filter((l) => !l.startsWith("-")).map((l) => l.slice(1))).toEqual(b);
    }
  });
});
