import type { VendorDocumentCheck } from "#shared/domain/vendor-document";
import type { DriftEvent, DriftSubject } from "../drift-event";
import { makeEvent, type RunContext } from "./run-context";

export function documentSubjectKey(catalogueId: string): string {
  return `document:${catalogueId}`;
}

/**
 * The vendor revised the document the catalogue was written from: one event per change of its
 * text (a baseline, an unchanged page and a failed download raise nothing). Its id hashes the
 * URL and the two versions' text hashes, not the run: a retried or redelivered run, or two runs
 * that both saw the same change before the pointer moved, raise the same event, committed once.
 */
export function vendorDocumentChanged(run: RunContext, check: VendorDocumentCheck): DriftEvent[] {
  const { current, previous, diff } = check;
  if (check.status !== "changed" || !current || !previous || !diff) return [];
  const subject: DriftSubject = {
    kind: "document",
    key: documentSubjectKey(check.catalogueId),
    catalogueId: check.catalogueId,
  };
  const catalogue = run.input.catalogue;
  const lines = `+${diff.linesAdded} -${diff.linesRemoved} lines`;
  return [
    makeEvent(run, subject, null, [], {
      type: "vendor-document-changed",
      severity: "medium",
      evidence: {
        observedAt: current.fetchedAt,
        document: {
          url: check.url,
          source: current.source,
          sha256: current.sha256,
          previousSha256: previous.sha256,
          archiveKey: current.archiveKey,
          previousArchiveKey: previous.archiveKey,
          fetchedAt: current.fetchedAt,
          previousFetchedAt: previous.fetchedAt,
          linesAdded: diff.linesAdded,
          linesRemoved: diff.linesRemoved,
          diff: diff.text,
          truncated: diff.truncated,
        },
      },
      reason:
        `The vendor's document behind ${catalogue.vendor} ${catalogue.product} ` +
        `(${check.url}) changed since ${previous.fetchedAt} (${lines}): hosts, addresses or ` +
        "ports it documents may have moved.",
      action:
        "Review the catalogue against the diff: draft the new version with `driftwatch catalogue " +
        "extract`, compare it with `driftwatch catalogue diff`, then import the reviewed catalogue. " +
        "No firewall change until then.",
      cause: { url: check.url, from: previous.sha256, to: current.sha256 },
    }),
  ];
}
