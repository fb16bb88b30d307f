import {
  DescribeManagedPrefixListsCommand,
  type DescribeManagedPrefixListsCommandInput,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
  type GetManagedPrefixListEntriesCommandInput,
  ModifyManagedPrefixListCommand,
  type ModifyManagedPrefixListCommandInput,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";

/**
 * EC2's managed prefix lists as an aws-sdk-client-mock of EC2Client that keeps state and
 * enforces what AWS enforces: CurrentVersion must match, entries and size are never changed in
 * one call, at most 100 adds and 100 removes a call, never more entries than MaxEntries, a
 * removed entry must exist, results are paged. Faults are injected per call.
 */

export interface FakePrefixList {
  id: string;
  family: "IPv4" | "IPv6";
  version: number;
  maxEntries: number;
  state: string;
  tags: Record<string, string>;
  entries: Map<string, string>;
}

export interface FakeEc2Faults {
  /** Fail the next calls of an operation with these error codes, in order. */
  errors?: Partial<Record<"Describe" | "Entries" | "Modify", string[]>>;
  /** Runs before each Modify is judged: another writer's change, a state change. */
  beforeModify?: (list: FakePrefixList, input: ModifyManagedPrefixListCommandInput) => void;
  /** States the next Describe calls of one list see (then its own), e.g. modify-in-progress. */
  describeStates?: string[];
}

export function ec2Error(code: string, message = code): Error {
  return Object.assign(new Error(message), { name: code, $fault: "client", $metadata: {} });
}

export function fakePrefixList(
  fields: Partial<Omit<FakePrefixList, "entries">> & { id: string; entries?: string[] },
): FakePrefixList {
  return {
    family: "IPv4",
    version: 1,
    maxEntries: 20,
    state: "create-complete",
    tags: {},
    ...fields,
    entries: new Map((fields.entries ?? []).map((cidr) => [cidr, "by hand"])),
  };
}

export function startFakeEc2(lists: FakePrefixList[], faults: FakeEc2Faults = {}) {
  const ec2 = mockClient(EC2Client);
  const modifications: ModifyManagedPrefixListCommandInput[] = [];
  const find = (id: string | undefined) => {
    const list = lists.find((l) => l.id === id);
    if (list === undefined) throw ec2Error("InvalidPrefixListID.NotFound", `${id}`);
    return list;
  };
  const injected = (operation: "Describe" | "Entries" | "Modify") => {
    const code = faults.errors?.[operation]?.shift();
    if (code !== undefined) throw ec2Error(code);
  };
  const view = (list: FakePrefixList, described = false) => ({
    PrefixListId: list.id,
    AddressFamily: list.family,
    Version: list.version,
    MaxEntries: list.maxEntries,
    State: (described ? faults.describeStates?.shift() : undefined) ?? list.state,
    Tags: Object.entries(list.tags).map(([Key, Value]) => ({ Key, Value })),
  });

  ec2
    .on(DescribeManagedPrefixListsCommand)
    .callsFake((input: DescribeManagedPrefixListsCommandInput) => {
      injected("Describe");
      const selected = input.PrefixListIds ? input.PrefixListIds.map(find) : lists;
      const start = Number(input.NextToken ?? 0);
      const size = input.MaxResults ?? 100;
      const page = selected.slice(start, start + Math.min(size, 2));
      const next = start + page.length;
      return {
        PrefixLists: page.map((list) => view(list, input.PrefixListIds !== undefined)),
        ...(next < selected.length ? { NextToken: String(next) } : {}),
      };
    });

  ec2
    .on(GetManagedPrefixListEntriesCommand)
    .callsFake((input: GetManagedPrefixListEntriesCommandInput) => {
      injected("Entries");
      const list = find(input.PrefixListId);
      const entries = [...list.entries].map(([Cidr, Description]) => ({ Cidr, Description }));
      const start = Number(input.NextToken ?? 0);
      const page = entries.slice(start, start + (input.MaxResults ?? 100));
      const next = start + page.length;
      return { Entries: page, ...(next < entries.length ? { NextToken: String(next) } : {}) };
    });

  ec2.on(ModifyManagedPrefixListCommand).callsFake((input: ModifyManagedPrefixListCommandInput) => {
    const list = find(input.PrefixListId);
    faults.beforeModify?.(list, input);
    injected("Modify");
    if (list.state.endsWith("in-progress")) throw ec2Error("IncorrectState");
    if (input.CurrentVersion !== undefined && input.CurrentVersion !== list.version) {
      throw ec2Error("PrefixListVersionMismatch");
    }
    const adds = input.AddEntries ?? [];
    const removes = input.RemoveEntries ?? [];
    if (input.MaxEntries !== undefined && adds.length + removes.length > 0) {
      throw ec2Error("InvalidParameterCombination");
    }
    if (adds.length > 100 || removes.length > 100) throw ec2Error("InvalidParameterValue");
    if (input.MaxEntries !== undefined) {
      if (input.MaxEntries < list.entries.size) throw ec2Error("InvalidParameterValue");
      list.maxEntries = input.MaxEntries;
    } else {
      const next = new Map(list.entries);
      for (const { Cidr = "" } of removes) {
        if (!next.delete(Cidr)) throw ec2Error("InvalidPrefixListModification", `${Cidr} absent`);
      }
      for (const { Cidr = "", Description = "" } of adds) next.set(Cidr, Description);
      if (next.size > list.maxEntries) throw ec2Error("PrefixListMaxEntriesExceeded");
      list.entries = next;
    }
    list.version += 1;
    list.state = "modify-complete";
    modifications.push(input);
    return { PrefixList: view(list) };
  });

  return { ec2, modifications, client: new EC2Client({ region: "eu-west-1" }) };
}
