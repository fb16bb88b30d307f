import { documentMeta } from "#shared/catalogue/extract/document-meta";
import { DraftBuilder } from "#shared/catalogue/extract/draft-builder";
import { reviewFlagsOf, SourceLines } from "#shared/catalogue/extract/draft-facts";
import { lendCrossReferencedPorts } from "#shared/catalogue/extract/lend-cross-referenced-ports";
import { mergeDuplicateHosts } from "#shared/catalogue/extract/merge-duplicate-hosts";
import { normaliseText } from "#shared/catalogue/extract/normalise-text";
import { slug } from "#shared/catalogue/extract/slug";
import { splitSections } from "#shared/catalogue/extract/split-sections";
import { parseCatalogue } from "#shared/catalogue/load";
import type { Catalogue } from "#shared/catalogue/schema";

/**
 * Drafts a catalogue from a vendor's "ports and protocols" document (plain text, markdown or
 * HTML), so that a second vendor can be onboarded in minutes. It reads the document's structure,
 * and a person reviews the draft (`review: "needs-review"`, every assumption in `reviewFlags`).
 * docs/extract.md describes the rules.
 *
 * 1. Normalise the text, keeping its line numbers: HTML tables → tab-separated rows, HTML
 *    headings and list items → markdown, links → their URL, space-aligned tables → tab rows.
 * 2. Cut it into sections at headings (markdown `#`, setext underlines, numbered titles, a short
 *    title above a bullet list), reading the ports a heading names (`Updates (TCP 80,
 *    outbound)`, `123 UDP`, `(https)`); read each section as rows (tab, pipe) and prose lines,
 *    taking hostnames, URL hosts, wildcards, IPv4/IPv6 addresses, CIDRs, ports and directions.
 * 3. Port-only rows that name another section ("see Spam Rule updates") lend their ports to it.
 * 4. Build endpoints, each fact with its source line and confidence: a host with addresses on
 *    its row → `pinned` (ranges on the endpoint); several hosts sharing them → `pool`; hosts
 *    listed without addresses above a section's address list → that list as a pool (flagged);
 *    a wildcard → `wildcard-domain`; no addresses → `hostname-only` (or a feed or `rotating`
 *    when the row says so); port-only rows → `internal` or `any-destination`. A host's ports
 *    come from `host:port`, its row, its URL, its heading, the section, or are assumed (tcp/443,
 *    flagged).
 * 5. Change-history sections: "from A to B" retires A on B's endpoint; other addresses found only
 *    there, and addresses without a host, become `mentions`, so nothing found is dropped.
 * 6. Merge hosts listed more than once, and list every assumed fact as a review flag.
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
  const lines = normaliseText(text).split("\n");
  const sections = splitSections(lines, options.title ?? "Document");
  const meta = documentMeta(lines, sections, options);
  lendCrossReferencedPorts(sections);
  const source = new SourceLines(text.replace(/\r\n?/g, "\n").split("\n"));
  const draft = new DraftBuilder(meta.title, meta.issue, source);
  for (const section of sections) if (!section.history) draft.addSection(section);
  for (const section of sections) if (section.history) draft.addHistory(section);
  const endpoints = mergeDuplicateHosts(draft.endpoints, source);

  const catalogue = {
    schemaVersion: 1 as const,
    id: options.id ?? slug(`${options.vendor}-${options.product}`, true),
    vendor: options.vendor,
    product: options.product,
    document: { title: meta.title, issue: meta.issue, date: meta.date },
    review: "needs-review" as const,
    endpoints,
    pools: draft.pools,
    feeds: draft.feeds,
    mentions: draft.mentions,
    reviewFlags: reviewFlagsOf(endpoints, draft.pools),
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
