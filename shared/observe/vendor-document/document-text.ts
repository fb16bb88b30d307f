/**
 * The text of a vendor's document, as compared between versions: an HTML page reduced to its
 * readable text (scripts, styles and markup dropped, one block per line, table cells apart by a
 * tab), plain text with its line endings and trailing spaces normalised. Markup-only changes
 * (attributes, whitespace, tracking scripts) therefore change nothing.
 */

const BLOCK_TAGS =
  "address|article|aside|blockquote|br|caption|dd|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|tfoot|thead|tr|ul";
const BLOCK = new RegExp(`<\\/?(?:${BLOCK_TAGS})\\b[^>]*>`, "gi");
const CELL = /<\/?(?:td|th)\b[^>]*>/gi;
const HIDDEN = /<(script|style|noscript|template|head|svg)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  ndash: "–",
  mdash: "—",
  hellip: "…",
  copy: "©",
  reg: "®",
  trade: "™",
  rsquo: "’",
  lsquo: "‘",
  rdquo: "”",
  ldquo: "“",
  bull: "•",
};

/** Whether a content type (or a file name, for `file://`) says HTML. */
export function isHtml(contentType: string): boolean {
  return /^(text\/html|application\/xhtml\+xml)\b/i.test(contentType.trim());
}

/** The comparable text of a body: HTML reduced to text, then normalised. */
export function documentText(body: string, contentType: string): string {
  return normaliseText(isHtml(contentType) ? htmlToText(body) : body);
}

export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(HIDDEN, "")
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(CELL, (tag) => (tag.startsWith("</") ? "" : "\t"))
    .replace(BLOCK, "\n")
    .replace(/<[^>]*>/g, "");
  return decodeEntities(text)
    .split("\n")
    .map((line) =>
      line
        .split("\t")
        .map((cell) => cell.replace(/[ \f\r\v\u00a0]+/g, " ").trim())
        .filter((cell, i, cells) => cell !== "" || (i > 0 && i < cells.length - 1))
        .join("\t"),
    )
    .filter((line) => line !== "")
    .join("\n");
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith("#")) {
      const code =
        name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff
        ? String.fromCodePoint(code)
        : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** LF line endings, no trailing spaces, no runs of blank lines, no blank lines at either end. */
export function normaliseText(text: string): string {
  const lines = text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.replace(/\s+$/, ""));
  const kept: string[] = [];
  for (const line of lines) {
    if (line === "" && (kept.length === 0 || kept.at(-1) === "")) continue;
    kept.push(line);
  }
  while (kept.at(-1) === "") kept.pop();
  return kept.length === 0 ? "" : `${kept.join("\n")}\n`;
}
