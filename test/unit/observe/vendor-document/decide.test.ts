import { describe, expect, it } from "vitest";
import type { VendorDocumentVersion } from "#shared/domain/vendor-document";
import {
  type DocumentFetchOutcome,
  decideVendorDocument,
} from "#shared/observe/vendor-document/decide";
import type { VendorDocumentPointer } from "#shared/observe/vendor-document/ports";

const source = { catalogueId: "acme-1", url: "https://vendor.example/ports" };
const now = new Date("2026-12-03T10:00:00.000Z");

function version(sha: string, fetchedAt = "2026-12-01T10:00:00.000Z"): VendorDocumentVersion {
  return {
    sha256: sha.repeat(64).slice(0, 64),
    archiveKey: `vendor-documents/acme-1/${sha}.txt`,
    rawKey: `vendor-documents/acme-1/raw/${sha}`,
    source: source.url,
    contentType: "text/html",
    fetchedAt,
    lines: 10,
  };
}

const pointerA = {
  v: 1,
  catalogueId: "acme-1",
  url: source.url,
  etag: '"a"',
  version: version("a"),
  confirmedAt: "2026-12-01T10:00:00.000Z",
} satisfies VendorDocumentPointer;

const fetched = (sha: string, etag?: string): DocumentFetchOutcome => ({
  kind: "fetched",
  version: version(sha, now.toISOString()),
  ...(etag === undefined ? {} : { etag }),
});
const offline: DocumentFetchOutcome = {
  kind: "failed",
  status: "unreachable",
  reason: "ENOTFOUND fetching https://vendor.example/ports",
};

describe("decideVendorDocument", () => {
  it("takes the first download as a baseline: archived and pointed at, no change", () => {
    const decision = decideVendorDocument(null, source, fetched("a", '"a"'), now);
    expect(decision.status).toBe("baseline");
    expect(decision.archive?.sha256).toBe(version("a").sha256);
    expect(decision.pointerNow).toMatchObject({
      url: source.url,
      etag: '"a"',
      confirmedAt: now.toISOString(),
    });
    expect(decision.pointerWhenJudged).toBeNull();
  });

  it("reports the same text as unchanged and keeps the version it had (its first fetch time)", () => {
    const decision = decideVendorDocument(pointerA, source, fetched("a", '"a2"'), now);
    expect(decision.status).toBe("unchanged");
    expect(decision.archive).toBeUndefined();
    expect(decision.pointerNow?.version).toEqual(pointerA.version);
    expect(decision.pointerNow?.etag).toBe('"a2"');
    expect(decision.pointerNow?.confirmedAt).toBe(now.toISOString());
  });

  it("reads a 304 as not modified and refreshes only confirmedAt", () => {
    const decision = decideVendorDocument(
      pointerA,
      source,
      { kind: "not-modified", url: source.url },
      now,
    );
    expect(decision.status).toBe("not-modified");
    expect(decision.pointerNow).toEqual({ ...pointerA, confirmedAt: now.toISOString() });
  });

  it("rejects a 304 when nothing was asked conditionally", () => {
    const decision = decideVendorDocument(
      null,
      source,
      { kind: "not-modified", url: source.url },
      now,
    );
    expect(decision.status).toBe("rejected");
    expect(decision.pointerNow).toBeNull();
  });

  it("reports other text as changed, and moves the pointer only once judged", () => {
    const decision = decideVendorDocument(pointerA, source, fetched("b", '"b"'), now);
    expect(decision.status).toBe("changed");
    expect(decision.previous).toEqual(pointerA.version);
    expect(decision.current?.sha256).toBe(version("b").sha256);
    expect(decision.archive?.sha256).toBe(version("b").sha256);
    expect(decision.pointerNow).toBeNull();
    expect(decision.pointerWhenJudged).toMatchObject({
      etag: '"b"',
      version: { sha256: version("b").sha256 },
    });
  });

  it("makes a failed download a status that writes nothing and keeps the last good version", () => {
    for (const outcome of [
      offline,
      {
        kind: "failed",
        status: "rejected",
        reason: "body too large",
      } satisfies DocumentFetchOutcome,
    ]) {
      const decision = decideVendorDocument(pointerA, source, outcome, now);
      expect(decision.status).toBe(outcome.status);
      expect(decision.reason).toBe(outcome.reason);
      expect(decision.current).toEqual(pointerA.version);
      expect(decision.pointerNow).toBeNull();
      expect(decision.pointerWhenJudged).toBeNull();
      expect(decision.archive).toBeUndefined();
    }
  });

  it("raises nothing for a page flapping between failure and the same content", () => {
    let pointer: VendorDocumentPointer = pointerA;
    const statuses: string[] = [];
    for (const outcome of [offline, fetched("a"), offline, offline, fetched("a"), offline]) {
      const decision = decideVendorDocument(pointer, source, outcome, now);
      statuses.push(decision.status);
      pointer = decision.pointerNow ?? pointer;
    }
    expect(statuses).toEqual([
      "unreachable",
      "unchanged",
      "unreachable",
      "unreachable",
      "unchanged",
      "unreachable",
    ]);
  });

  it("compares a change after a failure with the last good version", () => {
    const failed = decideVendorDocument(pointerA, source, offline, now);
    expect(failed.pointerNow).toBeNull();
    const decision = decideVendorDocument(pointerA, source, fetched("b"), now);
    expect(decision.status).toBe("changed");
    expect(decision.previous?.sha256).toBe(pointerA.version.sha256);
  });

  it("starts a new baseline when the catalogue names another URL", () => {
    const moved = { ...source, url: "https://vendor.example/v2/ports" };
    const decision = decideVendorDocument(pointerA, moved, fetched("b"), now);
    expect(decision.status).toBe("baseline");
    expect(decision.reason).toContain(source.url);
    expect(decision.pointerNow?.url).toBe(moved.url);
  });
});
