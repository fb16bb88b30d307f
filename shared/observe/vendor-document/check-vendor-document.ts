import { z } from "zod";
import { sha256Hex } from "#shared/domain/canonical";
import type { ObjectArchive } from "#shared/domain/object-archive";
import type { VendorDocumentCheck, VendorDocumentVersion } from "#shared/domain/vendor-document";
import { type DocumentFetchOutcome, decideVendorDocument } from "./decide";
import { documentText } from "./document-text";
import {
  DocumentFetchError,
  type DocumentFetcher,
  type DocumentLogger,
  type VendorDocumentPointer,
} from "./ports";
import { unifiedTextDiff } from "./text-diff";

/** `vendor-documents/<catalogueId>/current.json`: the pointer, rewritten. */
export function documentPointerKey(catalogueId: string): string {
  return `vendor-documents/${catalogueId}/current.json`;
}

/** `vendor-documents/<catalogueId>/<sha256>.txt`: a version's text, content-addressed. */
export function documentTextKey(catalogueId: string, sha256: string): string {
  return `vendor-documents/${catalogueId}/${sha256}.txt`;
}

/** `vendor-documents/<catalogueId>/raw/<sha256>`: a version's body as served, content-addressed. */
export function documentRawKey(catalogueId: string, sha256: string): string {
  return `vendor-documents/${catalogueId}/raw/${sha256}`;
}

const Version = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  archiveKey: z.string().min(1),
  rawKey: z.string().min(1),
  source: z.string().min(1),
  contentType: z.string(),
  fetchedAt: z.string(),
  lines: z.number().int().nonnegative(),
});
const Pointer = z.object({
  v: z.literal(1),
  catalogueId: z.string().min(1),
  url: z.string().min(1),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  version: Version,
  confirmedAt: z.string(),
});

export interface CheckVendorDocumentDeps {
  fetcher: DocumentFetcher;
  archive: ObjectArchive;
  logger?: DocumentLogger;
}

export interface VendorDocumentCheckResult {
  check: VendorDocumentCheck;
  /** `changed`: the pointer `markVendorDocumentJudged` writes once the event is committed. */
  pointerWhenJudged: VendorDocumentPointer | null;
}

/**
 * Checks the vendor's document of a catalogue:
 * 1. Read the pointer (the current version and its validators); an unreadable one is logged
 *    and the check is a new baseline.
 * 2. Download, conditional on the validators when the URL is the same; a failure is a status.
 * 3. Reduce the body to its text (HTML to text) and hash it; decide (`decideVendorDocument`).
 * 4. Archive a new version (text and raw body, content-addressed), write the pointer of a
 *    baseline or an unchanged document; for a change, diff the current version's text with the
 *    new one and leave the pointer to `markVendorDocumentJudged`.
 * Store errors (the archive) are thrown; download errors never are.
 */
export async function checkVendorDocument(
  deps: CheckVendorDocumentDeps,
  input: { catalogueId: string; url: string; now: Date },
): Promise<VendorDocumentCheckResult> {
  const { archive, logger } = deps;
  // 1.
  const pointer = await readPointer(archive, input.catalogueId, logger);
  const conditional = pointer !== null && pointer.url === input.url;
  // 2. and 3.
  const outcome = await download(deps.fetcher, input, conditional ? pointer : null);
  const decision = decideVendorDocument(pointer, input, outcome, input.now);
  // 4.
  if (decision.archive !== undefined && outcome.kind === "fetched") {
    await archiveVersion(archive, decision.archive, outcome);
  }
  if (decision.pointerNow !== null) await writePointer(archive, decision.pointerNow);
  const check: VendorDocumentCheck = {
    catalogueId: input.catalogueId,
    url: input.url,
    status: decision.status,
    ...(decision.reason === undefined ? {} : { reason: decision.reason }),
    ...(decision.current === undefined ? {} : { current: decision.current }),
    ...(decision.previous === undefined ? {} : { previous: decision.previous }),
    ...(decision.pointerNow === null ? {} : { confirmedAt: decision.pointerNow.confirmedAt }),
  };
  if (
    decision.status === "changed" &&
    decision.previous &&
    decision.current &&
    outcome.kind === "fetched"
  ) {
    check.diff = await diffVersions(archive, decision.previous, decision.current, outcome.text);
  }
  const fields = { catalogueId: input.catalogueId, url: input.url, status: check.status };
  if (check.status === "unreachable" || check.status === "rejected") {
    logger?.warn("vendor document not checked", { ...fields, reason: check.reason });
  } else logger?.info("vendor document checked", { ...fields, sha256: check.current?.sha256 });
  return { check, pointerWhenJudged: decision.pointerWhenJudged };
}

/** After the compare step committed a change: the pointer moves to the new version. */
export async function markVendorDocumentJudged(
  archive: ObjectArchive,
  result: VendorDocumentCheckResult,
): Promise<void> {
  if (result.pointerWhenJudged !== null) await writePointer(archive, result.pointerWhenJudged);
}

type Downloaded = Extract<DocumentFetchOutcome, { kind: "fetched" }> & {
  text: string;
  body: Uint8Array;
};

async function download(
  fetcher: DocumentFetcher,
  input: { catalogueId: string; url: string; now: Date },
  validators: VendorDocumentPointer | null,
): Promise<Exclude<DocumentFetchOutcome, { kind: "fetched" }> | Downloaded> {
  try {
    const fetched = await fetcher.fetch({
      url: input.url,
      ...(validators?.etag === undefined ? {} : { etag: validators.etag }),
      ...(validators?.lastModified === undefined ? {} : { lastModified: validators.lastModified }),
    });
    if (fetched.status === "not-modified") return { kind: "not-modified", url: fetched.url };
    const text = documentText(new TextDecoder().decode(fetched.bytes), fetched.contentType);
    const sha256 = sha256Hex(text);
    const version: VendorDocumentVersion = {
      sha256,
      archiveKey: documentTextKey(input.catalogueId, sha256),
      rawKey: documentRawKey(input.catalogueId, sha256Hex(fetched.bytes)),
      source: fetched.url,
      contentType: fetched.contentType,
      fetchedAt: input.now.toISOString(),
      lines: text === "" ? 0 : text.split("\n").length - 1,
    };
    return {
      kind: "fetched",
      version,
      text,
      body: fetched.bytes,
      ...(fetched.etag === undefined ? {} : { etag: fetched.etag }),
      ...(fetched.lastModified === undefined ? {} : { lastModified: fetched.lastModified }),
    };
  } catch (error) {
    if (error instanceof DocumentFetchError) {
      return { kind: "failed", status: error.status, reason: error.reason };
    }
    // Anything else a fetcher throws is still a failed download, not a failed run.
    const reason = error instanceof Error ? error.message : String(error);
    return { kind: "failed", status: "unreachable", reason };
  }
}

async function archiveVersion(
  archive: ObjectArchive,
  version: VendorDocumentVersion,
  downloaded: Downloaded,
): Promise<void> {
  const metadata = { source: version.source, fetchedAt: version.fetchedAt };
  await archive.putIfChanged(
    version.rawKey,
    downloaded.body,
    version.contentType || "application/octet-stream",
    metadata,
  );
  await archive.putIfChanged(
    version.archiveKey,
    new TextEncoder().encode(downloaded.text),
    "text/plain; charset=utf-8",
    {
      ...metadata,
      rawKey: version.rawKey,
    },
  );
}

async function diffVersions(
  archive: ObjectArchive,
  previous: VendorDocumentVersion,
  current: VendorDocumentVersion,
  currentText: string,
) {
  const stored = await archive.get(previous.archiveKey);
  const labels = {
    fromLabel: `${previous.source} (${previous.fetchedAt}, sha256 ${previous.sha256.slice(0, 12)})`,
    toLabel: `${current.source} (${current.fetchedAt}, sha256 ${current.sha256.slice(0, 12)})`,
  };
  if (stored === null) {
    return {
      ...unifiedTextDiff("", currentText, labels),
      text: `(the previous version's text ${previous.archiveKey} is missing from the archive; the new text is ${current.archiveKey})\n`,
      truncated: true,
    };
  }
  return unifiedTextDiff(new TextDecoder().decode(stored.bytes), currentText, labels);
}

async function readPointer(
  archive: ObjectArchive,
  catalogueId: string,
  logger: DocumentLogger | undefined,
): Promise<VendorDocumentPointer | null> {
  const key = documentPointerKey(catalogueId);
  const object = await archive.get(key);
  if (object === null) return null;
  try {
    const parsed = Pointer.safeParse(JSON.parse(new TextDecoder().decode(object.bytes)));
    if (parsed.success) return parsed.data as VendorDocumentPointer;
    logger?.warn("vendor document pointer is malformed: a new baseline", {
      key,
      error: parsed.error.message,
    });
  } catch (error) {
    logger?.warn("vendor document pointer is not JSON: a new baseline", {
      key,
      error: String(error),
    });
  }
  return null;
}

async function writePointer(archive: ObjectArchive, pointer: VendorDocumentPointer): Promise<void> {
  const bytes = new TextEncoder().encode(`${JSON.stringify(pointer, null, 2)}\n`);
  await archive.putIfChanged(documentPointerKey(pointer.catalogueId), bytes, "application/json");
}
