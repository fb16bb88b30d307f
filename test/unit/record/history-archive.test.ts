import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { ObjectArchive } from "#shared/domain/object-archive";
import {
  archiveRunHistory,
  encodeHistoryJsonLines,
  HISTORY_ARCHIVE_CONTENT_TYPE,
  type HistoryArchiveLine,
  historyArchiveKey,
} from "#shared/record/history-archive";
import { observation } from "#test/helpers/verdict-fixtures";

const OBSERVED_AT = "2026-08-21T23:59:59.500Z";
const RUN = "2026-08-21T23:45Z";

const runOf = () => [
  observation("products.clearswift.net", {
    observedAt: OBSERVED_AT,
    runId: RUN,
    active: ["13.32.121.18"],
    entered: ["34.117.59.81"],
    left: ["13.32.121.67"],
  }),
  observation("aav-update-1.clearswift.net", {
    observedAt: OBSERVED_AT,
    runId: RUN,
    active: ["185.155.104.24"],
    suspicious: [{ ip: "10.20.30.40", range: "private", resolver: "192.0.2.53:53" }],
  }),
  observation("ra.swisssign.net", {
    observedAt: OBSERVED_AT,
    runId: RUN,
    outcome: "servfail",
    consecutiveFailures: 2,
  }),
];

describe("historyArchiveKey", () => {
  it("partitions by the UTC day of the run's observation time", () => {
    expect(historyArchiveKey({ runId: RUN, observedAt: OBSERVED_AT })).toBe(
      "history/dt=2026-08-21/2026-08-21T23:45Z.jsonl.gz",
    );
    expect(
      historyArchiveKey({ runId: "cli-2026/x y", observedAt: "2026-08-22T01:00:00+02:00" }),
    ).toBe("history/dt=2026-08-21/cli-2026_x_y.jsonl.gz");
  });
});

describe("encodeHistoryJsonLines", () => {
  it("writes one JSON object per hostname and line, sorted by hostname, in the Glue table's columns", () => {
    // Act
    const text = encodeHistoryJsonLines(runOf());

    // Assess
    expect(text.endsWith("\n")).toBe(true);
    const lines = text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as HistoryArchiveLine);
    expect(lines.map((line) => line.hostname)).toEqual([
      "aav-update-1.clearswift.net",
      "products.clearswift.net",
      "ra.swisssign.net",
    ]);
    const [aav, products, failed] = lines;
    expect(Object.keys(products ?? {})).toEqual([
      "run_id",
      "observed_at",
      "hostname",
      "outcome",
      "consecutive_failures",
      "tracked_since",
      "observed",
      "entered",
      "left",
      "suspicious",
      "answers",
    ]);
    expect(products).toMatchObject({
      run_id: RUN,
      observed_at: OBSERVED_AT,
      outcome: "answered",
      entered: ["34.117.59.81"],
      left: [{ ip: "13.32.121.67", left_at: OBSERVED_AT }],
    });
    expect(products?.observed.map((ip) => [ip.ip, ip.family])).toEqual([
      ["13.32.121.18", 4],
      ["34.117.59.81", 4],
    ]);
    expect(products?.answers[0]).toMatchObject({
      resolver: "192.0.2.53:53",
      outcome: "answered",
      cname_chain: [],
      detail: null,
    });
    expect(aav?.suspicious).toEqual([
      { ip: "10.20.30.40", address_range: "private", resolver: "192.0.2.53:53" },
    ]);
    expect(failed).toMatchObject({ outcome: "servfail", consecutive_failures: 2 });
  });

  it("never breaks a line, whatever a value holds", () => {
    // Prepare
    const [run] = runOf();
    if (run === undefined) throw new Error("fixture");
    const hostile = {
      ...run,
      answers: [{ ...run.answers[0], detail: "line one\nline two\r\u2028" }],
    } as typeof run;

    // Act
    const text = encodeHistoryJsonLines([hostile]);

    // Assess
    expect(text.split("\n")).toHaveLength(2);
    expect((JSON.parse(text) as HistoryArchiveLine).answers[0]?.detail).toBe(
      "line one\nline two\r\u2028",
    );
  });

  it("gives the same bytes for the same run, in whatever order the observations come", () => {
    expect(encodeHistoryJsonLines(runOf().reverse())).toBe(encodeHistoryJsonLines(runOf()));
  });
});

describe("archiveRunHistory", () => {
  function recordingArchive() {
    const puts: { key: string; bytes: Uint8Array; contentType: string; overwrite?: boolean }[] = [];
    const archive: Pick<ObjectArchive, "putIfChanged"> = {
      async putIfChanged(key, bytes, contentType, _metadata, options) {
        puts.push({ key, bytes, contentType, ...options });
        return true;
      },
    };
    return { archive, puts };
  }

  it("writes the gzipped JSON Lines under the run's key, without reading first", async () => {
    // Prepare
    const { archive, puts } = recordingArchive();

    // Act
    const key = await archiveRunHistory(archive, runOf());

    // Assess
    expect(key).toBe("history/dt=2026-08-21/2026-08-21T23:45Z.jsonl.gz");
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({
      key,
      contentType: HISTORY_ARCHIVE_CONTENT_TYPE,
      overwrite: true,
    });
    expect(gunzipSync(puts[0]?.bytes ?? new Uint8Array()).toString("utf8")).toBe(
      encodeHistoryJsonLines(runOf()),
    );
  });

  it("writes nothing for a run without observations", async () => {
    const { archive, puts } = recordingArchive();

    expect(await archiveRunHistory(archive, [])).toBeNull();
    expect(puts).toEqual([]);
  });
});
