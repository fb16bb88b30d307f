import {
  DescribeManagedPrefixListsCommand,
  type EC2Client,
  type ManagedPrefixList as Ec2PrefixList,
  GetManagedPrefixListEntriesCommand,
  ModifyManagedPrefixListCommand,
} from "@aws-sdk/client-ec2";
import type { PrefixListFamily } from "#shared/notify/prefix-lists/plan";
import {
  type ManagedPrefixList,
  type PrefixListChange,
  PrefixListConflictError,
  type PrefixLists,
  PrefixListThrottledError,
} from "#shared/notify/prefix-lists/ports";

/**
 * The managed prefix lists of the account, through EC2. A list is kept in step with a group when
 * it carries both tags: `driftwatch:group` = the group and `driftwatch:stage` = the stage (the
 * function's IAM role may only read entries of and modify lists tagged with its stage).
 */

export const PREFIX_LIST_GROUP_TAG = "driftwatch:group";
export const PREFIX_LIST_STAGE_TAG = "driftwatch:stage";

/** EC2 codes for a list that moved: another version, or a modification still running. */
const CONFLICT_CODES = new Set(["IncorrectState", "PrefixListVersionMismatch"]);
const THROTTLING_CODES = new Set(["RequestLimitExceeded", "Throttling", "ThrottlingException"]);

export class PrefixListNotFoundError extends Error {
  override readonly name = "PrefixListNotFoundError";
}

export function createEc2PrefixLists(deps: { ec2: EC2Client; stage: string }): PrefixLists {
  const { ec2, stage } = deps;

  async function call<T>(id: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const code = (error as { name?: string }).name ?? "";
      if (CONFLICT_CODES.has(code)) throw new PrefixListConflictError(id, code, { cause: error });
      if (THROTTLING_CODES.has(code)) {
        throw new PrefixListThrottledError(id, code, { cause: error });
      }
      throw error;
    }
  }

  /** Every list of this stage tagged for a group and not being deleted, all pages read. */
  async function taggedLists(): Promise<{ group: string; list: Ec2PrefixList }[]> {
    const found: { group: string; list: Ec2PrefixList }[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call("(discovery)", () =>
        ec2.send(
          new DescribeManagedPrefixListsCommand({
            MaxResults: 100,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        ),
      );
      for (const list of page.PrefixLists ?? []) {
        const group = tag(list, PREFIX_LIST_GROUP_TAG);
        if (group === undefined || tag(list, PREFIX_LIST_STAGE_TAG) !== stage) continue;
        if (`${list.State}`.startsWith("delete")) continue;
        found.push({ group, list });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return found;
  }

  return {
    async listsOf(group) {
      return (await taggedLists())
        .filter((t) => t.group === group)
        .map((t) => toPrefixList(t.list));
    },

    async taggedGroups() {
      return [...new Set((await taggedLists()).map((t) => t.group))].sort();
    },

    async describe(id) {
      const page = await call(id, () =>
        ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] })),
      );
      const list = page.PrefixLists?.find((l) => l.PrefixListId === id);
      if (list === undefined) throw new PrefixListNotFoundError(`prefix list ${id} not found`);
      return toPrefixList(list);
    },

    async entries(id) {
      const cidrs: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await call(id, () =>
          ec2.send(
            new GetManagedPrefixListEntriesCommand({
              PrefixListId: id,
              MaxResults: 100,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          ),
        );
        for (const entry of page.Entries ?? []) if (entry.Cidr) cidrs.push(entry.Cidr);
        nextToken = page.NextToken;
      } while (nextToken);
      return cidrs;
    },

    async modify(id, currentVersion, change) {
      const response = await call(id, () =>
        ec2.send(
          new ModifyManagedPrefixListCommand({
            PrefixListId: id,
            CurrentVersion: currentVersion,
            ...changeInput(change),
          }),
        ),
      );
      return response.PrefixList?.Version ?? currentVersion + 1;
    },
  };
}

function changeInput(change: PrefixListChange) {
  if ("maxEntries" in change) return { MaxEntries: change.maxEntries };
  return {
    ...(change.add.length > 0
      ? { AddEntries: change.add.map((Cidr) => ({ Cidr, Description: change.description })) }
      : {}),
    ...(change.remove.length > 0 ? { RemoveEntries: change.remove.map((Cidr) => ({ Cidr })) } : {}),
  };
}

function tag(list: Ec2PrefixList, key: string): string | undefined {
  return list.Tags?.find((t) => t.Key === key)?.Value;
}

function toPrefixList(list: Ec2PrefixList): ManagedPrefixList {
  const family: PrefixListFamily = list.AddressFamily === "IPv6" ? "IPv6" : "IPv4";
  return {
    id: list.PrefixListId ?? "",
    family,
    version: list.Version ?? 0,
    maxEntries: list.MaxEntries ?? 0,
    state: `${list.State}`.endsWith("in-progress") ? "in-progress" : "ready",
  };
}
