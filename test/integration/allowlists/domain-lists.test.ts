import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { Catalogue, type Endpoint } from "#shared/catalogue/schema";
import { judgeDrift } from "#shared/detect/judge-drift";
import { notifyDeps } from "#test/helpers/notify-stack";
import { startTestStack } from "#test/helpers/stack";
import { catalogue, recordInput, steadyState } from "#test/helpers/verdict-fixtures";

const base = catalogue.endpoints.find((e) => e.group === "av-update-mirrors");
if (base === undefined) throw new Error("fixture catalogue has no av-update-mirrors endpoint");

const wildcard = (hostname: string): Endpoint => ({
  ...base,
  id: `avira-cloud/${hostname.replace("*.", "wildcard.")}`,
  hostname,
  policy: "wildcard-domain",
  ips: [],
  pool: undefined,
});

/** The fixture catalogue plus wildcard domains in the av-update-mirrors group, validated. */
function withWildcards(...hostnames: string[]): Catalogue {
  return Catalogue.parse({
    ...catalogue,
    endpoints: [...catalogue.endpoints, ...hostnames.map(wildcard)],
  });
}

async function text(stack: EmbeddedStack, key: string): Promise<string> {
  const object = await stack.clients.s3.send(
    new GetObjectCommand({ Bucket: stack.bucketName, Key: key }),
  );
  return (await object.Body?.transformToString()) ?? "";
}

async function keys(stack: EmbeddedStack): Promise<string[]> {
  const listing = await stack.clients.s3.send(
    new ListObjectsV2Command({ Bucket: stack.bucketName, Prefix: "allowlists/" }),
  );
  return (listing.Contents ?? []).map((o) => o.Key ?? "").sort();
}

const body = (file: string) => file.split("\n").filter((line) => !line.startsWith("#"));

describe("domain lists of wildcard domains", () => {
  let stack: EmbeddedStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it("writes the wildcards of a group as a PAN-OS domain EDL and a Network Firewall list", async () => {
    // Act
    await judgeDrift(notifyDeps(stack), {
      ...recordInput("r1", 0, steadyState()),
      catalogue: withWildcards("*.apc.avira.com", "*.avira-update.com"),
    });

    // Assess
    const edl = await text(stack, "allowlists/av-update-mirrors.domains.txt");
    expect(edl).toContain("# driftwatch domain list for firewall group av-update-mirrors");
    expect(body(edl)).toEqual(["*.apc.avira.com", "*.avira-update.com", ""]);
    expect(await text(stack, "allowlists/av-update-mirrors.network-firewall-domains.txt")).toBe(
      ".apc.avira.com\n.avira-update.com\n",
    );
    const json = JSON.parse(await text(stack, "allowlists/av-update-mirrors.json"));
    expect(json.domains).toEqual(["*.apc.avira.com", "*.avira-update.com"]);
    // The IP list is unchanged: a wildcard lists no address.
    expect(json.addresses).not.toContain("*.apc.avira.com");
    expect(body(await text(stack, "allowlists/av-update-mirrors.txt"))).not.toContain(
      "*.apc.avira.com",
    );
    // Groups without wildcards get no domain list.
    expect((await keys(stack)).filter((k) => k.includes("domains"))).toEqual([
      "allowlists/av-update-mirrors.domains.txt",
      "allowlists/av-update-mirrors.network-firewall-domains.txt",
    ]);
  });

  it("empties the domain lists once when the last wildcard leaves the catalogue", async () => {
    // Prepare
    const deps = notifyDeps(stack);
    await judgeDrift(deps, {
      ...recordInput("r1", 0, steadyState()),
      catalogue: withWildcards("*.apc.avira.com"),
    });

    // Act
    const removed = await judgeDrift(deps, recordInput("r2", 1, steadyState()));
    const after = await judgeDrift(deps, recordInput("r3", 2, steadyState()));

    // Assess
    expect(removed.allowlistsWritten).toContain("allowlists/av-update-mirrors.domains.txt");
    expect(body(await text(stack, "allowlists/av-update-mirrors.domains.txt"))).toEqual([""]);
    expect(await text(stack, "allowlists/av-update-mirrors.network-firewall-domains.txt")).toBe("");
    expect(after.allowlistsWritten).toEqual([]);
  });

  it("keeps the hash of a group without wildcards as it was", async () => {
    // Act
    const plain = await judgeDrift(notifyDeps(stack), recordInput("r1", 0, steadyState()));
    const json = JSON.parse(await text(stack, "allowlists/av-update-mirrors.json"));

    // Assess
    expect(plain.allowlistsWritten).not.toContain("allowlists/av-update-mirrors.domains.txt");
    expect(json.domains).toBeUndefined();
  });
});
