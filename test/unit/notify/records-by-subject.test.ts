import { describe, expect, it } from "vitest";
import { recordsBySubject } from "#shared/notify/records-by-subject";

const PINNED = "endpoint:product-updates/updates.example.com";
const FEED = "feed:aws-ip-ranges";

describe("recordsBySubject", () => {
  it("groups the stream records of each subject, subjects in order of their first record", () => {
    // Prepare
    const inserts = [
      { recordId: "101", subjectKey: FEED },
      { recordId: "102", subjectKey: PINNED },
      { recordId: "103", subjectKey: FEED },
    ];

    // Act
    const bySubject = recordsBySubject(inserts);

    // Assess
    expect([...bySubject]).toEqual([
      [FEED, ["101", "103"]],
      [PINNED, ["102"]],
    ]);
  });

  it("has no subject for a batch without change-event inserts", () => {
    expect(recordsBySubject([]).size).toBe(0);
  });
});
