/**
 * HTML escaping for text and for double-quoted attribute values (the report quotes every
 * attribute with `"`): `&`, `<`, `>`, `"` and `'` become character references, so a hostname,
 * a subject line or a reason from the store can never open a tag, an attribute or a comment.
 */
const REFERENCES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (character) => REFERENCES[character] ?? character);
}

/** A piece of markup: what the render functions return, already escaped. */
export interface Html {
  readonly html: string;
}

/** Markup built from literal parts and values: each value is escaped unless it is `Html`. */
export function html(
  parts: TemplateStringsArray,
  ...values: readonly (string | number | Html | readonly Html[] | null | undefined)[]
): Html {
  let out = parts[0] ?? "";
  values.forEach((value, index) => {
    out += render(value) + (parts[index + 1] ?? "");
  });
  return { html: out };
}

function render(value: string | number | Html | readonly Html[] | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string" || typeof value === "number") return escapeHtml(value);
  if (Array.isArray(value)) return value.map((part: Html) => part.html).join("");
  return (value as Html).html;
}

/** Joins pieces of markup. */
export function join(parts: readonly Html[], separator = ""): Html {
  return { html: parts.map((part) => part.html).join(separator) };
}
