import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  DescribeManagedPrefixListsCommand,
  GetManagedPrefixListEntriesCommand,
  type ManagedPrefixList,
  ModifyManagedPrefixListCommand,
} from "@aws-sdk/client-ec2";
import { type FakeEc2Faults, type FakePrefixList, startFakeEc2 } from "./ec2-prefix-list-fake";

/**
 * The stateful EC2 fake of ec2-prefix-list-fake.ts on the wire: EC2's query protocol (form
 * requests, XML answers) on loopback, for a bundle running in its own process
 * (AWS_ENDPOINT_URL_EC2). Each request is parsed into the SDK command's input and run by the
 * fake, which enforces what AWS enforces (versions, sizes, paging); its answer or error code is
 * written back as EC2 writes it.
 */

const NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

const xml = (text: unknown) =>
  String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** `Prefix.N.Field` form parameters as a list of objects (`Prefix.N` alone: of values). */
function listOf(form: URLSearchParams, prefix: string): Record<string, string>[] {
  const items = new Map<number, Record<string, string>>();
  for (const [name, value] of form) {
    const match = new RegExp(`^${prefix}\\.(\\d+)(?:\\.(\\w+))?$`).exec(name);
    if (match === null) continue;
    const item = items.get(Number(match[1])) ?? {};
    item[match[2] ?? "value"] = value;
    items.set(Number(match[1]), item);
  }
  return [...items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

const number = (value: string | null) => (value === null ? undefined : Number(value));

function listXml(list: ManagedPrefixList): string {
  const tags = list.Tags ?? [];
  return [
    `<prefixListId>${xml(list.PrefixListId)}</prefixListId>`,
    `<addressFamily>${xml(list.AddressFamily)}</addressFamily>`,
    `<state>${xml(list.State)}</state>`,
    `<maxEntries>${xml(list.MaxEntries)}</maxEntries>`,
    `<version>${xml(list.Version)}</version>`,
    `<tagSet>${tags.map((t) => `<item><key>${xml(t.Key)}</key><value>${xml(t.Value)}</value></item>`).join("")}</tagSet>`,
  ].join("");
}

async function answer(client: ReturnType<typeof startFakeEc2>["client"], form: URLSearchParams) {
  const action = form.get("Action");
  const nextToken = form.get("NextToken");
  const paging = {
    ...(number(form.get("MaxResults")) === undefined
      ? {}
      : { MaxResults: number(form.get("MaxResults")) }),
    ...(nextToken === null ? {} : { NextToken: nextToken }),
  };
  const next = (token: string | undefined) =>
    token === undefined ? "" : `<nextToken>${xml(token)}</nextToken>`;
  if (action === "DescribeManagedPrefixLists") {
    const ids = listOf(form, "PrefixListId").map((item) => item.value ?? "");
    const out = await client.send(
      new DescribeManagedPrefixListsCommand({
        ...paging,
        ...(ids.length > 0 ? { PrefixListIds: ids } : {}),
      }),
    );
    const lists = (out.PrefixLists ?? []).map((l) => `<item>${listXml(l)}</item>`).join("");
    return `<prefixListSet>${lists}</prefixListSet>${next(out.NextToken)}`;
  }
  if (action === "GetManagedPrefixListEntries") {
    const out = await client.send(
      new GetManagedPrefixListEntriesCommand({
        PrefixListId: form.get("PrefixListId") ?? "",
        ...paging,
      }),
    );
    const entries = (out.Entries ?? [])
      .map(
        (e) =>
          `<item><cidr>${xml(e.Cidr)}</cidr><description>${xml(e.Description ?? "")}</description></item>`,
      )
      .join("");
    return `<entrySet>${entries}</entrySet>${next(out.NextToken)}`;
  }
  if (action === "ModifyManagedPrefixList") {
    const add = listOf(form, "AddEntry").map((e) => ({ Cidr: e.Cidr, Description: e.Description }));
    const remove = listOf(form, "RemoveEntry").map((e) => ({ Cidr: e.Cidr }));
    const out = await client.send(
      new ModifyManagedPrefixListCommand({
        PrefixListId: form.get("PrefixListId") ?? "",
        ...(form.has("CurrentVersion")
          ? { CurrentVersion: number(form.get("CurrentVersion")) }
          : {}),
        ...(form.has("MaxEntries") ? { MaxEntries: number(form.get("MaxEntries")) } : {}),
        ...(add.length > 0 ? { AddEntries: add } : {}),
        ...(remove.length > 0 ? { RemoveEntries: remove } : {}),
      }),
    );
    return `<prefixList>${listXml(out.PrefixList ?? {})}</prefixList>`;
  }
  throw Object.assign(new Error(`${action} is not served here`), { name: "InvalidAction" });
}

/** Serves `lists` over EC2's wire protocol; the fake's record of modifications beside it. */
export async function startEc2PrefixListServer(lists: FakePrefixList[], faults?: FakeEc2Faults) {
  const fake = startFakeEc2(lists, faults);
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      const form = new URLSearchParams(body);
      const action = form.get("Action") ?? "";
      answer(fake.client, form).then(
        (inner) => {
          response.writeHead(200, { "content-type": "text/xml" });
          response.end(
            `<${action}Response xmlns="${NS}"><requestId>fake</requestId>${inner}</${action}Response>`,
          );
        },
        (error: { name?: string; message?: string }) => {
          const code = xml(error.name ?? "InternalError");
          response.writeHead(400, { "content-type": "text/xml" });
          response.end(
            `<Response><Errors><Error><Code>${code}</Code><Message>${xml(error.message ?? code)}</Message></Error></Errors><RequestID>fake</RequestID></Response>`,
          );
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    modifications: fake.modifications,
    stop: async () => {
      fake.ec2.restore();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
