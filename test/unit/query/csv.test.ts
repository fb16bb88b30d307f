import { describe, expect, it } from "vitest";
import { type CsvColumns, csvField, csvRow, toCsv } from "#shared/query/csv";
import { readCsvRecords } from "#test/helpers/csv-reader";

const parseCsv = (text: string): string[][] => readCsvRecords(text).rows;

describe("csvField", () => {
  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\rhere", '"cr\rhere"'],
    ["", ""],
  ])("writes %j as %j", (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it("writes absent values empty, numbers and booleans as text, lists joined by a space", () => {
    expect([null, undefined, 3, false, ["10.0.0.1", "10.0.0.2"]].map(csvField)).toEqual([
      "",
      "",
      "3",
      "false",
      "10.0.0.1 10.0.0.2",
    ]);
  });
});

describe("toCsv", () => {
  it("writes a header row and CRLF-terminated records that read back to the same values", () => {
    // Prepare
    const rows = [
      { host: "a.example.com", reason: 'moved, "again"\nsee run 2', ips: ["192.0.2.1"] },
      { host: "b.example.com", reason: "", ips: [] },
    ];
    const columns: CsvColumns<(typeof rows)[number]> = [
      ["hostname", (r) => r.host],
      ["reason", (r) => r.reason],
      ["ips", (r) => r.ips],
    ];

    // Act
    const text = toCsv(columns, rows);

    // Assess
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text.split("\r\n")[0]).toBe("hostname,reason,ips");
    expect(parseCsv(text)).toEqual([
      ["hostname", "reason", "ips"],
      ["a.example.com", 'moved, "again"\nsee run 2', "192.0.2.1"],
      ["b.example.com", "", ""],
    ]);
  });

  it("keeps every record the header's width", () => {
    expect(csvRow(["a", null, "c"])).toBe("a,,c\r\n");
  });
});
