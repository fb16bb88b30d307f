import { documentMeta } from "#shared/catalogue/extract/document-meta";
import { DraftBuilder } from "#shared/catalogue/extract/draft-builder";
import { lendCrossReferencedPorts } from "#shared/catalogue/extract/lend-cross-referenced-ports";
import { slug } from "#shared/catalogue/extract/slug";
import { splitSections } from "#shared/catalogue/extract/split-sections";
import { parseCatalogue } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";

/**
 * Drafts a catalogue from a vendor's plain-text "ports and protocols" document, so that a second
 * vendor can be onboarded in minutes. It finds every hostname, IPv4 address and port, grouped by
 * section, and guesses a policy; a person reviews the draft (`review: "needs-review"`).
 *
 * 1. Normalise the text (HTML links → their URL, markup dropped) and cut it into sections at
 *    headings (markdown `#`, setext underlines, numbered titles).
 * 2. Read each section as table rows (tab- or pipe-separated) and prose lines; take hostnames,
 *    IPs, CIDR ranges, URLs, ports, protocols and directions from each.
 * 3. Port-only rows that name another section ("see Spam Rule updates") lend their ports to it.
 * 4. Build endpoints: a host with IPs on its row → `pinned`; several hosts sharing an IP list →
 *    `pool`; a host without IPs → `hostname-only` (or `cloudfront` / `aws-ip-ranges` / `rotating`
 *    when its row says so); port-only rows → `internal` or `any-destination`.
 * 5. Change-history sections: "from A to B" retires A on B's endpoint; other addresses found only
 *    there, and addresses without a host, become `mentions`, so nothing found is dropped.
 */
export interface ExtractOptions {
  vendor: string;
  product: string;
  /** Catalogue id; defaults to a slug of vendor and product. */
  id?: string;
  /** Document title; defaults to the first heading. */
  title?: string;
  /** Document issue; defaults to an "Issue N" / "Version N" line, else "unknown". */
  issue?: string;
  /** Document date; defaults to a "Month YYYY" line, else "undated". */
  date?: string;
}

/** Thrown when the drafted catalogue does not validate (a defect of the extractor). */
export class CatalogueExtractError extends Error {
  override readonly name = "CatalogueExtractError";
}

export function extractCatalogueDraft(text: string, options: ExtractOptions): Catalogue {
  const lines = normalise(text).split("\n");
  const sections = splitSections(lines, options.title ?? "Document");
  const meta = documentMeta(lines, sections, options);
  lendCrossReferencedPorts(sections);
  const draft = new DraftBuilder(meta.title, meta.issue);
  for (const section of sections) if (!section.history) draft.addSection(section);
  for (const section of sections) if (section.history) draft.addHistory(section);

  const catalogue = {
    schemaVersion: 1 as const,
    id: options.id ?? slug(`${options.vendor}-${options.product}`, true),
    vendor: options.vendor,
    product: options.product,
    document: { title: meta.title, issue: meta.issue, date: meta.date },
    review: "needs-review" as const,
    endpoints: draft.endpoints,
    pools: draft.pools,
    feeds: draft.feeds,
    mentions: draft.mentions,
  };
  if (catalogue.endpoints.length === 0) {
    throw new CatalogueExtractError("found no hostname, IP address or port in the document");
  }
  try {
    return parseCatalogue(catalogue, "extracted draft");
  } catch (error) {
    throw new CatalogueExtractError("the extracted draft does not validate", { cause: error });
  }
}

function normalise(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>(.*?)<\/a>/gi, (_, url: string, label: string) =>
      label.trim() === url ? ` ${url} ` : ` ${url} ${label} `,
    )
    .replace(/<[^>\n]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/\*\*|__/g, "");
}
