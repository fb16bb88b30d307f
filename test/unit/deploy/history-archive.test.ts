import { describe, expect, it } from "vitest";
import { historyArchiveLine } from "#shared/record/history-archive";
import { asArray, at } from "#test/helpers/cfn-template";
import { serverlessYml } from "#test/helpers/sharded-run-definition";
import { observation } from "#test/helpers/verdict-fixtures";

/**
 * The history archive's Glue table (serverless.yml HistoryTable) reads what
 * shared/record/history-archive.ts writes, and only the resolve function may write it.
 */

const resources = at(serverlessYml(), "resources", "Resources") as Record<string, unknown>;
const table = at(resources, "HistoryTable", "Properties", "TableInput");

/** A Hive type (`array<struct<ip:string,ttl:int>>`) as the shape of a JSON value. */
type Shape = "scalar" | { array: Shape } | { struct: Record<string, Shape> };

function parseHiveType(text: string): Shape {
  let position = 0;
  const name = () => {
    const match = /^[a-z_][a-z0-9_]*/.exec(text.slice(position));
    if (match === null) throw new Error(`bad type at ${position}: ${text}`);
    position += match[0].length;
    return match[0];
  };
  const expect_ = (character: string) => {
    if (text[position] !== character) throw new Error(`expected ${character} at ${position}`);
    position += 1;
  };
  const type = (): Shape => {
    const word = name();
    if (word === "array") {
      expect_("<");
      const element = type();
      expect_(">");
      return { array: element };
    }
    if (word === "struct") {
      expect_("<");
      const fields: Record<string, Shape> = {};
      for (;;) {
        const field = name();
        expect_(":");
        fields[field] = type();
        if (text[position] === ">") break;
        expect_(",");
      }
      expect_(">");
      return { struct: fields };
    }
    return "scalar";
  };
  const shape = type();
  if (position !== text.length) throw new Error(`trailing text in ${text}`);
  return shape;
}

/** The shape a JSON value has, arrays by their first element. */
function shapeOf(value: unknown): Shape {
  if (Array.isArray(value)) return { array: shapeOf(value[0]) };
  if (value !== null && typeof value === "object") {
    return {
      struct: Object.fromEntries(Object.entries(value).map(([key, v]) => [key, shapeOf(v)])),
    };
  }
  return "scalar";
}

describe("the history archive's Glue table", () => {
  it("has one column per field of an archive line, nested fields and all", () => {
    // Prepare: a line with every list non-empty, so each nested shape is seen
    const sample = observation("products.clearswift.net", {
      active: ["13.32.121.18"],
      entered: ["34.117.59.81"],
      left: ["13.32.121.67"],
      suspicious: [{ ip: "10.20.30.40", range: "private", resolver: "192.0.2.53:53" }],
    });
    sample.answers[0] = {
      ...sample.answers[0],
      cnameChain: ["edge.example.net"],
      detail: "x",
    } as (typeof sample.answers)[0];
    sample.answers[0]?.aaaa.push({ ip: "2600::1", ttl: 60 });
    const line = historyArchiveLine(sample);

    // Act
    const columns = asArray(at(table, "StorageDescriptor", "Columns")).map((column) => [
      `${at(column, "Name")}`,
      parseHiveType(`${at(column, "Type")}`),
    ]);

    // Assess
    expect(columns).toEqual(Object.entries(line).map(([key, value]) => [key, shapeOf(value)]));
  });

  it("reads gzipped JSON Lines under history/, partitioned by dt with projection (no crawler)", () => {
    expect(at(resources, "HistoryTable", "Properties", "DatabaseName")).toEqual({
      Ref: "HistoryDatabase",
    });
    expect(at(table, "TableType")).toBe("EXTERNAL_TABLE");
    expect(at(table, "PartitionKeys")).toEqual([{ Name: "dt", Type: "string" }]);
    expect(at(table, "StorageDescriptor", "SerdeInfo", "SerializationLibrary")).toBe(
      "org.openx.data.jsonserde.JsonSerDe",
    );
    expect(at(table, "StorageDescriptor", "Location")).toEqual({
      "Fn::Join": ["", ["s3://", { Ref: "Bucket" }, "/history/"]],
    });
    expect(at(table, "Parameters")).toMatchObject({
      "projection.enabled": "true",
      "projection.dt.type": "date",
      "projection.dt.format": "yyyy-MM-dd",
      "projection.dt.interval.unit": "DAYS",
    });
    expect(`${at(table, "Parameters", "projection.dt.range")}`).toMatch(/^\d{4}-\d{2}-\d{2},NOW$/);
    const crawlers = Object.values(resources).filter((r) => at(r, "Type") === "AWS::Glue::Crawler");
    expect(crawlers).toEqual([]);
  });

  it("lets only the roles that judge a run touch history/, and only with s3:PutObject", () => {
    // Act: every statement of every role naming the history prefix
    const grants = Object.entries(resources)
      .filter(([, resource]) => at(resource, "Type") === "AWS::IAM::Role")
      .flatMap(([role, resource]) =>
        asArray(at(resource, "Properties", "Policies")).flatMap((policy) =>
          asArray(at(policy, "PolicyDocument", "Statement"))
            .filter((statement) => JSON.stringify(at(statement, "Resource")).includes("/history/"))
            .map((statement) => [role, at(statement, "Action")]),
        ),
      );

    // Assess
    // The single-function run; the sharded run's complete step, and its plan step (the backlog).
    expect(grants.sort()).toEqual([
      ["CompleteRunRole", "s3:PutObject"],
      ["PlanRunRole", "s3:PutObject"],
      ["ResolveHostnamesRole", "s3:PutObject"],
    ]);
  });

  it("moves the archives to cheaper storage that Athena still reads, and never expires them", () => {
    const rules = asArray(
      at(resources, "Bucket", "Properties", "LifecycleConfiguration", "Rules"),
    ).filter((rule) => at(rule, "Prefix") === "history/");

    expect(rules).toHaveLength(1);
    expect(at(rules[0], "ExpirationInDays")).toBeUndefined();
    const classes = asArray(at(rules[0], "Transitions")).map((t) => at(t, "StorageClass"));
    expect(classes.every((c) => c === "STANDARD_IA" || c === "GLACIER_IR")).toBe(true);
  });
});
