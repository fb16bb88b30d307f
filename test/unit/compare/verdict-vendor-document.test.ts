import { describe, expect, it } from "vitest";
import { evaluateDrift } from "#shared/compare/evaluate-drift";
import type {
  VendorDocumentCheck,
  VendorDocumentStatus,
  VendorDocumentVersion,
} from "#shared/domain/vendor-document";
import { buildNotifications } from "#shared/notify/build-notifications";
import { changeSetIdOf } from "#shared/record/change-set";
import { expectValidNotifications } from "#test/helpers/notify-schema";
import { driftInput, NOW, RUN_ID, steadyState } from "#test/helpers/verdict-fixtures";

const url = "https://vendor.example/ports-and-protocols";

function version(letter: string, fetchedAt: string): VendorDocumentVersion {
  return {
    sha256: letter.repeat(64),
    archiveKey: `vendor-documents/clearswift-seg-5.3/${letter.repeat(64)}.txt`,
    rawKey: `vendor-documents/clearswift-seg-5.3/raw/${letter.repeat(64)}`,
    source: url,
    contentType: "text/html",
    fetchedAt,
    lines: 120,
  };
}

const changed: VendorDocumentCheck = {
  catalogueId: "clearswift-seg-5.3",
  url,
  status: "changed",
  previous: version("a", "2026-08-20T12:00:00.000Z"),
  current: version("b", NOW.toISOString()),
  diff: {
    text: "--- old\n+++ new\n@@ -1,1 +1,1 @@\n-a.example.com 443\n+b.example.com 443\n",
    linesAdded: 1,
    linesRemoved: 1,
    truncated: false,
  },
};

describe("vendor-document-changed", () => {
  it("raises one medium event for a changed document, with the diff and both archive keys", () => {
    const events = evaluateDrift(driftInput(steadyState(), { documents: [changed] }));
    const document = events.filter((e) => e.type === "vendor-document-changed");
    expect(document).toHaveLength(1);
    expect(document[0]).toMatchObject({
      severity: "medium",
      subject: { kind: "document", key: "document:clearswift-seg-5.3" },
      group: null,
      endpoint: null,
      added: [],
      removed: [],
      evidence: {
        document: {
          url,
          previousSha256: "a".repeat(64),
          sha256: "b".repeat(64),
          linesAdded: 1,
          diff: changed.diff?.text,
        },
      },
    });
  });

  it("raises nothing for a baseline, an unchanged page, a 304 or a failed download", () => {
    const statuses: VendorDocumentStatus[] = [
      "baseline",
      "unchanged",
      "not-modified",
      "unreachable",
      "rejected",
    ];
    for (const status of statuses) {
      const { diff: _diff, previous: _previous, ...rest } = changed;
      const events = evaluateDrift(driftInput(steadyState(), { documents: [{ ...rest, status }] }));
      expect(events.filter((e) => e.type === "vendor-document-changed")).toEqual([]);
    }
  });

  it("gives the same change the same id in another run, and another change another id", () => {
    const first = evaluateDrift(driftInput(steadyState(), { documents: [changed] }));
    const retried = evaluateDrift(
      driftInput(steadyState(), {
        documents: [changed],
        runId: "another-run",
        now: new Date("2026-08-22T00:00:00Z"),
      }),
    );
    const next = evaluateDrift(
      driftInput(steadyState(), {
        documents: [
          { ...changed, previous: changed.current, current: version("c", NOW.toISOString()) },
        ],
      }),
    );
    const id = (events: typeof first) =>
      events.find((e) => e.type === "vendor-document-changed")?.eventId;
    expect(id(retried)).toBe(id(first));
    expect(id(next)).not.toBe(id(first));
  });

  it("is published as a schema-valid notification whose e-mail shows the diff", () => {
    const [event] = evaluateDrift(driftInput([], { documents: [changed] })).filter(
      (e) => e.type === "vendor-document-changed",
    );
    if (event === undefined) throw new Error("no event");
    const messages = buildNotifications({
      changeSetId: changeSetIdOf(event.subject.key, [event.eventId]),
      subject: event.subject,
      group: null,
      sequence: 1,
      runId: RUN_ID,
      catalogueId: "clearswift-seg-5.3",
      createdAt: NOW.toISOString(),
      events: [event],
    });
    expectValidNotifications(messages.map((m) => m.body));
    expect(messages[0]?.body.eventTypes).toEqual(["vendor-document-changed"]);
    expect(messages[0]?.attributes.eventType).toEqual(["vendor-document-changed"]);
    expect(messages[0]?.emailText).toContain("   | +b.example.com 443");
    expect(messages[0]?.emailSubject).toContain("vendor-document-changed");
  });
});
