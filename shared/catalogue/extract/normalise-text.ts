import { alignedTablesAsTabs } from "#shared/catalogue/extract/space-aligned-tables";

/**
 * The document as plain lines (step 1 of `extractCatalogueDraft`): HTML tables become
 * tab-separated rows, HTML headings markdown headings, list items bullets, links their URL;
 * space-aligned tables become tab-separated rows. Every replacement keeps the number of lines,
 * so a line number of the result is a line number of the document (for each fact's source).
 */
export function normaliseText(text: string): string {
  let out = text.replace(/\r\n?/g, "\n");
  if (/<(table|tr|h[1-6]|li|ul|ol|html|body)\b/i.test(out)) out = htmlBlocks(out);
  out = out
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>(.*?)<\/a>/gi, (_, url: string, label: string) =>
      label.trim() === url ? ` ${url} ` : ` ${url} ${label} `,
    )
    .replace(/<[^>\n]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/\*\*|__/g, "");
  return alignedTablesAsTabs(out.split("\n")).join("\n");
}

/** `text` with its newlines removed, and as many added at its end: the line count is kept. */
function oneLine(text: string, replacement: string): string {
  const newlines = (text.match(/\n/g) ?? []).length;
  return `${replacement}${"\n".repeat(newlines)}`;
}

function htmlBlocks(text: string): string {
  return text
    .replace(/<(head|script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, (m) => oneLine(m, ""))
    .replace(/<tr\b[^>]*>([\s\S]*?)<\/tr>/gi, (m, row: string) => oneLine(m, tableRow(row)))
    .replace(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1>/gi, (m, level: string, title: string) =>
      oneLine(m, `${"#".repeat(Number(level))} ${flat(title)}`),
    )
    .replace(/<li\b[^>]*>([\s\S]*?)<\/li>/gi, (m, item: string) => oneLine(m, `- ${flat(item)}`))
    .replace(/<br\s*\/?>/gi, " ");
}

/** `<td>a</td><td>b</td>` → `a\tb` (links kept for the link rule, other markup dropped later). */
function tableRow(row: string): string {
  const cells = [...row.matchAll(/<t[hd]\b[^>]*>([\s\S]*?)<\/t[hd]>/gi)].map((m) =>
    flat(m[1] ?? ""),
  );
  return cells.length > 1 ? cells.join("\t") : (cells[0] ?? "");
}

/** Markup other than links dropped, whitespace collapsed, on one line. */
function flat(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, " ")
    .replace(/<(?!\/?a\b)[^>]+>/gi, " ")
    .replace(/\s+/g, " ")
    .trim();
}
