import { describe, expect, it } from "vitest";
import type { ArchivedObject, ObjectArchive } from "#shared/domain/object-archive";
import {
  checkVendorDocument,
  documentPointerKey,
  markVendorDocumentJudged,
} from "#shared/observe/vendor-document/check-vendor-document";
import {
  DocumentFetchError,
  type DocumentFetcher,
  type DocumentFetchResult,
} from "#shared/observe/vendor-document/ports";

/** An archive in memory, with the port's write-when-changed behaviour. */
function memoryArchive(): ObjectArchive & { objects: Map<string, ArchivedObject> } {
  const objects = new Map<string, ArchivedObject>();
  return {
    objects,
    async putIfChanged(key, bytes, contentType, metadata = {}) {
      const old = objects.get(key);
      if (old !== undefined && Buffer.from(old.bytes).equals(Buffer.from(bytes))) return false;
      objects.set(key, { bytes, contentType, metadata });
      return true;
    },
    async get(key) {
      return objects.get(key) ?? null;
    },
    async exists(key) {
      return objects.has(key);
    },
  };
}

/** A fetcher that answers with the scripted results in turn and records the requests. */
function scripted(...answers: (DocumentFetchResult | Error)[]) {
  const requests: unknown[] = [];
  const fetcher: DocumentFetcher = {
    async fetch(request) {
      requests.push(request);
      const answer = answers.shift();
      if (answer === undefined) throw new Error("no answer scripted");
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { fetcher, requests };
}

const url = "https://vendor.example/ports";
const page = (text: string, etag?: string): DocumentFetchResult => ({
  status: "fetched",
  url,
  bytes: new TextEncoder().encode(text),
  contentType: "text/plain",
  ...(etag === undefined ? {} : { etag }),
});
const input = (minute: number) => ({
  catalogueId: "acme-1",
  url,
  now: new Date(Date.UTC(2026, 11, 3, 10, minute)),
});

describe("checkVendorDocument", () => {
  it("baselines, asks conditionally, and diffs a change only once the pointer is moved", async () => {
    // Prepare
    const archive = memoryArchive();
    const { fetcher, requests } = scripted(
      page("a.example.com 443\n", '"1"'),
      { status: "not-modified", url },
      page("b.example.com 443\n", '"2"'),
      page("b.example.com 443\n", '"2"'),
    );

    // Act
    const baseline = await checkVendorDocument({ fetcher, archive }, input(0));
    const notModified = await checkVendorDocument({ fetcher, archive }, input(1));
    const changed = await checkVendorDocument({ fetcher, archive }, input(2));
    const seenAgain = await checkVendorDocument({ fetcher, archive }, input(3));
    await markVendorDocumentJudged(archive, seenAgain);

    // Assess
    expect([baseline, notModified, changed, seenAgain].map((r) => r.check.status)).toEqual([
      "baseline",
      "not-modified",
      "changed",
      "changed",
    ]);
    expect(requests[1]).toEqual({ url, etag: '"1"' });
    expect(requests[3]).toEqual({ url, etag: '"1"' });
    expect(changed.check.diff?.text).toContain("-a.example.com 443\n+b.example.com 443\n");
    expect(seenAgain.check.previous).toEqual(changed.check.previous);
    expect(seenAgain.check.current?.sha256).toBe(changed.check.current?.sha256);
    const pointer = JSON.parse(
      new TextDecoder().decode(archive.objects.get(documentPointerKey("acme-1"))?.bytes),
    );
    expect(pointer).toMatchObject({
      etag: '"2"',
      version: { sha256: changed.check.current?.sha256 },
    });
  });

  it("makes any fetch failure a status and writes nothing", async () => {
    const archive = memoryArchive();
    const { fetcher } = scripted(
      new DocumentFetchError("unreachable", "ENOTFOUND fetching https://vendor.example/ports"),
      new TypeError("socket hang up"),
    );

    const first = await checkVendorDocument({ fetcher, archive }, input(0));
    const second = await checkVendorDocument({ fetcher, archive }, input(1));

    expect(first.check).toMatchObject({
      status: "unreachable",
      reason: expect.stringContaining("ENOTFOUND"),
    });
    expect(second.check).toMatchObject({ status: "unreachable", reason: "socket hang up" });
    expect(archive.objects.size).toBe(0);
  });

  it("takes a malformed pointer as a new baseline, and says so", async () => {
    const archive = memoryArchive();
    await archive.putIfChanged(
      documentPointerKey("acme-1"),
      new TextEncoder().encode("{"),
      "application/json",
    );
    const warnings: string[] = [];
    const logger = { info() {}, warn: (message: string) => void warnings.push(message) };
    const { fetcher } = scripted(page("a\n"));

    const result = await checkVendorDocument({ fetcher, archive, logger }, input(0));

    expect(result.check.status).toBe("baseline");
    expect(warnings).toEqual(["vendor document pointer is not JSON: a new baseline"]);
  });

  it("still raises a change when the previous text is missing from the archive", async () => {
    const archive = memoryArchive();
    const { fetcher } = scripted(page("a\n"), page("b\n"));
    const baseline = await checkVendorDocument({ fetcher, archive }, input(0));
    archive.objects.delete(baseline.check.current?.archiveKey ?? "");

    const changed = await checkVendorDocument({ fetcher, archive }, input(1));

    expect(changed.check.status).toBe("changed");
    expect(changed.check.diff?.text).toContain("is missing from the archive");
    expect(changed.check.diff?.truncated).toBe(true);
  });
});
