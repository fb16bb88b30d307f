import { describe, expect, it } from "vitest";
import { AwsIpRangesDocument, isAwsIpRangesDocument } from "#shared/observe/feeds/schema";
import { readAwsIpRanges } from "#test/helpers/feed-fixtures";

/** The hand check of ip-ranges.json accepts exactly the documents the zod schema accepts. */

const entry4 = { ip_prefix: "3.4.12.4/32", region: "eu-west-1", service: "AMAZON" };
const entry6 = { ipv6_prefix: "2406:daba:f000::/40", region: "ap-southeast-4", service: "EC2" };
const base = {
  syncToken: "1787347025",
  createDate: "2026-08-21-21-17-05",
  prefixes: [{ ...entry4, network_border_group: "eu-west-1" }],
  ipv6_prefixes: [{ ...entry6, network_border_group: "ap-southeast-4" }],
};

/** What a field may wrongly hold: other types, empty and near-miss strings, nothing at all. */
const VALUES: unknown[] = [
  undefined,
  null,
  0,
  1787347025,
  true,
  "",
  "x",
  " 1787347025",
  "1787347025\n",
  "17873a7025",
  "2026-08-21-21-17-5",
  "2026-08-21 21-17-05",
  [],
  ["3.4.12.4/32"],
  {},
  [{}],
];

type Doc = Record<string, unknown>;

/** The base document with one field (top level or in the first entry of a list) set to `value`. */
function variants(): unknown[] {
  const docs: unknown[] = [base, { ...base, extra: { anything: 1 } }, { ...base, prefixes: [] }];
  for (const value of VALUES) {
    for (const field of Object.keys(base)) docs.push({ ...base, [field]: value });
    for (const [list, fields] of [
      ["prefixes", ["ip_prefix", "region", "service", "network_border_group"]],
      ["ipv6_prefixes", ["ipv6_prefix", "region", "service", "network_border_group"]],
    ] as const) {
      const first = (base[list] as Doc[])[0] as Doc;
      docs.push({ ...base, [list]: [value] }, { ...base, [list]: [first, value] });
      for (const field of fields) docs.push({ ...base, [list]: [{ ...first, [field]: value }] });
    }
  }
  docs.push(null, [], "ip-ranges", 17, [base]);
  // Through JSON, as documents arrive: a field set to undefined is a missing field.
  return docs.map((doc) => JSON.parse(JSON.stringify(doc)) as unknown);
}

describe("checking the shape of ip-ranges.json by hand", () => {
  it("accepts and rejects what the zod schema accepts and rejects", () => {
    // Prepare
    const docs = variants();

    // Act
    const verdicts = docs.map((doc) => [isAwsIpRangesDocument(doc), doc]);
    const expected = docs.map((doc) => [AwsIpRangesDocument.safeParse(doc).success, doc]);

    // Assess
    expect(docs.length).toBeGreaterThan(250);
    expect(verdicts.filter(([ok]) => ok).length).toBeGreaterThan(3);
    expect(verdicts.filter(([ok]) => !ok).length).toBeGreaterThan(200);
    expect(verdicts).toEqual(expected);
  });

  it("accepts a real version", async () => {
    const document = JSON.parse(
      new TextDecoder().decode(await readAwsIpRanges("2026-08-21-21-17-05")),
    ) as unknown;

    expect(isAwsIpRangesDocument(document)).toBe(true);
    expect(AwsIpRangesDocument.safeParse(document).success).toBe(true);
  });
});
