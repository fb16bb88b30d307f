import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import ipaddr from "ipaddr.js";
import type { IpSighting } from "#shared/observe/dns/observation-store";
import { readAllPages } from "../read-all-pages";
import { parseIpSighting } from "./ip-sighting-item";
import { ipPk } from "./observation-keys";
import { storeCall } from "./observation-store-error";
import type { ObservationTable } from "./observation-table";

/** Every hostname that ever had the IP in its observed set (the `IP#<ip>` index items). */
export async function hostsForIp(table: ObservationTable, ip: string): Promise<IpSighting[]> {
  const canonical = ipaddr.isValid(ip) ? ipaddr.parse(ip).toString() : ip;
  const items = await readAllPages((startKey) =>
    storeCall(`query ${ipPk(canonical)}`, () =>
      table.documents.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :host)",
          ExpressionAttributeValues: { ":pk": ipPk(canonical), ":host": "HOST#" },
          ExclusiveStartKey: startKey,
        }),
      ),
    ),
  );
  return items.map(parseIpSighting);
}
