import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { judgeDrift } from "#shared/detect/judge-drift";
import { notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { HOSTS, observation, recordInput, steadyState } from "#test/helpers/verdict-fixtures";

async function objects(stack: EmbeddedStack) {
  const listing = await stack.clients.s3.send(
    new ListObjectsV2Command({ Bucket: stack.bucketName, Prefix: "allowlists/" }),
  );
  const found = new Map<string, string>();
  for (const object of listing.Contents ?? []) {
    const head = await stack.clients.s3.send(
      new HeadObjectCommand({ Bucket: stack.bucketName, Key: object.Key }),
    );
    found.set(object.Key ?? "", head.ETag ?? "");
  }
  return found;
}

async function text(stack: EmbeddedStack, key: string): Promise<string> {
  const object = await stack.clients.s3.send(
    new GetObjectCommand({ Bucket: stack.bucketName, Key: key }),
  );
  return (await object.Body?.transformToString()) ?? "";
}

describe("allowlists in S3", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it("writes a text and a JSON file per group on the first run", async () => {
    // Act
    const result = await judgeDrift(notifyDeps(stack), recordInput("r1", 0, steadyState()));

    // Assess
    const groups = [
      "av-update-mirrors",
      "ntp",
      "online-help",
      "product-updates",
      "service-availability",
      "swisssign-mpki",
    ];
    const keys = groups.flatMap((g) => [`allowlists/${g}.json`, `allowlists/${g}.txt`]).sort();
    expect([...(await objects(stack)).keys()].sort()).toEqual(keys);
    expect([...result.allowlistsWritten].sort()).toEqual(keys);
    const edl = (await text(stack, "allowlists/online-help.txt")).split("\n");
    expect(edl).toContain("# generated: 2026-08-21T12:00:00.000Z (when this content last changed)");
    expect(edl.filter((line) => !line.startsWith("#"))).toEqual(["3.10.94.193", ""]);
  });

  it("rewrites nothing when no list changed, though hours have passed", async () => {
    // Prepare
    const deps = notifyDeps(stack);
    await judgeDrift(deps, recordInput("r1", 0, steadyState()));
    const before = await objects(stack);

    // Act
    const result = await judgeDrift(deps, recordInput("r2", 5, steadyState()));

    // Assess
    expect(result.allowlistsWritten).toEqual([]);
    expect(await objects(stack)).toEqual(before);
  });

  it("rewrites only the files of the group whose list changed, with the time of the change", async () => {
    // Prepare
    const deps = notifyDeps(stack);
    await judgeDrift(deps, recordInput("r1", 0, steadyState()));
    const before = await objects(stack);

    // Act
    const result = await judgeDrift(
      deps,
      recordInput(
        "r2",
        2,
        steadyState(
          observation(HOSTS.rotating, { active: ["162.159.200.1"], entered: ["162.159.200.2"] }),
        ),
      ),
    );
    const after = await objects(stack);

    // Assess
    expect(result.allowlistsWritten).toEqual(["allowlists/ntp.txt", "allowlists/ntp.json"]);
    const changed = [...after].filter(([key, etag]) => before.get(key) !== etag).map(([k]) => k);
    expect(changed.sort()).toEqual(["allowlists/ntp.json", "allowlists/ntp.txt"]);
    const edl = (await text(stack, "allowlists/ntp.txt")).split("\n");
    expect(edl).toContain("# generated: 2026-08-21T14:00:00.000Z (when this content last changed)");
    expect(edl.filter((line) => !line.startsWith("#"))).toEqual([
      "162.159.200.1",
      "162.159.200.2",
      "",
    ]);
  });

  it("checks the files of a steady run by one listing, no request per file", async () => {
    // Prepare: every S3 command the writer sends on the second run, counted.
    const deps = notifyDeps(stack);
    await judgeDrift(deps, recordInput("r1", 0, steadyState()));
    const sent: string[] = [];
    stack.clients.s3.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(context.commandName ?? "");
        return next(args);
      },
      { step: "initialize", name: "countS3Commands" },
    );

    // Act
    const result = await judgeDrift(deps, recordInput("r2", 5, steadyState()));
    stack.clients.s3.middlewareStack.remove("countS3Commands");

    // Assess
    expect(result.allowlistsWritten).toEqual([]);
    // (GetObject: the cycle's feed snapshots, read for the matchers, not the allowlists.)
    expect(sent.filter((name) => /^(Head|Put)Object/.test(name))).toEqual([]);
    expect(sent.filter((name) => name === "ListObjectsV2Command").length).toBeGreaterThan(0);
  });

  it("rewrites a file edited in the bucket with the bytes it should hold", async () => {
    // Prepare
    const deps = notifyDeps(stack);
    await judgeDrift(deps, recordInput("r1", 0, steadyState()));
    const original = await text(stack, "allowlists/ntp.txt");
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.bucketName,
        Key: "allowlists/ntp.txt",
        Body: "0.0.0.0/0\n",
      }),
    );

    // Act
    const result = await judgeDrift(deps, recordInput("r2", 3, steadyState()));

    // Assess
    expect(result.allowlistsWritten).toEqual(["allowlists/ntp.txt"]);
    expect(await text(stack, "allowlists/ntp.txt")).toBe(original);
  });

  it("restores a deleted file with its previous bytes", async () => {
    // Prepare
    const deps = notifyDeps(stack);
    await judgeDrift(deps, recordInput("r1", 0, steadyState()));
    const original = await text(stack, "allowlists/ntp.txt");
    await stack.clients.s3.send(
      new DeleteObjectCommand({ Bucket: stack.bucketName, Key: "allowlists/ntp.txt" }),
    );

    // Act
    const result = await judgeDrift(deps, recordInput("r2", 3, steadyState()));

    // Assess
    expect(result.allowlistsWritten).toEqual(["allowlists/ntp.txt"]);
    expect(await text(stack, "allowlists/ntp.txt")).toBe(original);
  });

  it("records each file's ETag with the content, so a steady run writes no state", async () => {
    // Prepare
    const deps = notifyDeps(stack);
    await judgeDrift(deps, recordInput("r1", 0, steadyState()));
    const written = await state("ntp");

    // Act
    await judgeDrift(deps, recordInput("r2", 3, steadyState()));

    // Assess: the md5s of the files as the bucket lists them, and the state as it was
    const listed = await objects(stack);
    expect(written?.etags).toEqual({
      "allowlists/ntp.json": listed.get("allowlists/ntp.json")?.replaceAll('"', ""),
      "allowlists/ntp.txt": listed.get("allowlists/ntp.txt")?.replaceAll('"', ""),
    });
    expect(await state("ntp")).toEqual(written);
  });

  it("records the ETags of a state written before they were, once, rewriting no file", async () => {
    // Prepare: the state as an older version wrote it
    const deps = notifyDeps(stack);
    await judgeDrift(deps, recordInput("r1", 0, steadyState()));
    const written = await state("ntp");
    await stack.clients.documents.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: "ALLOWLIST#ntp", sk: "STATE" },
        UpdateExpression: "REMOVE etags",
      }),
    );
    const before = await objects(stack);

    // Act
    const result = await judgeDrift(deps, recordInput("r2", 3, steadyState()));

    // Assess
    expect(result.allowlistsWritten).toEqual([]);
    expect(await objects(stack)).toEqual(before);
    expect(await state("ntp")).toEqual(written);
  });

  async function state(group: string): Promise<Record<string, unknown> | undefined> {
    const got = await stack.clients.documents.send(
      new GetCommand({
        TableName: stack.tableName,
        Key: { pk: `ALLOWLIST#${group}`, sk: "STATE" },
        ConsistentRead: true,
      }),
    );
    return got.Item;
  }
});
