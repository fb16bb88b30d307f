import { headingOf, type Section } from "#shared/catalogue/extract/split-sections";

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** The document's title, issue and date: the options', else found in the text (`ExtractOptions`). */
export function documentMeta(
  lines: string[],
  sections: Section[],
  options: { title?: string; issue?: string; date?: string },
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
export function monthOf(text: string): string | undefined {
  const m = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[\s-]+(\d{4})\b/i.exec(
    text,
  );
  if (!m?.[1] || !m[2]) return undefined;
  const month = MONTHS.indexOf(m[1].toLowerCase()) + 1;
  return `${m[2]}-${String(month).padStart(2, "0")}`;
}
