import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";

/**
 * DynamoDB Streams records for items already in a table (dynalite has no Streams): the INSERT
 * records the table's NEW_IMAGE stream would have carried for them, in the shape Lambda's event
 * source mapping delivers (NewImage in DynamoDB JSON, binary as base64), in write order.
 */

/** An attribute value as JSON carries it in a stream record (binary as base64). */
type StreamAttributeValue = { [type: string]: unknown };
/** aws-lambda types binary as its SDK v2 Buffer-like types; the JSON Lambda delivers has base64. */
type StreamImage = NonNullable<DynamoDBRecord["dynamodb"]>["NewImage"];

function toStreamJson(value: AttributeValue): StreamAttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString("base64") };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString("base64")) };
  if (value.M !== undefined) return { M: streamImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toStreamJson) };
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return Object.fromEntries(entries);
}

function streamImage(item: Record<string, AttributeValue>): Record<string, StreamAttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([name, v]) => [name, toStreamJson(v)]));
}

/** When an item was written: the change set's `createdAt`, a change event's `committedAt`. */
function writtenAt(item: Record<string, AttributeValue>): string {
  return item.createdAt?.S ?? item.committedAt?.S ?? "";
}

export interface StreamSource {
  dynamodb: DynamoDBClient;
  tableName: string;
  /** The stream's ARN, as the event source mapping names it. */
  streamArn: string;
  region: string;
  /** Only items whose partition key starts with this (the mapping's filter pattern). */
  pkPrefix: string;
  /** The first record's sequence number (default 10^20); the next ones count up from it. */
  firstSequence?: bigint;
}

/**
 * INSERT records for every item whose `pk` starts with `pkPrefix`, ordered as they were written
 * (time, then a change set before its change events), numbered with increasing sequence numbers.
 */
export async function insertRecordsFor(source: StreamSource): Promise<DynamoDBRecord[]> {
  const firstSequence = source.firstSequence ?? 100_000_000_000_000_000_000n;
  const items: Record<string, AttributeValue>[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await source.dynamodb.send(
      new ScanCommand({
        TableName: source.tableName,
        FilterExpression: "begins_with(pk, :prefix)",
        ExpressionAttributeValues: { ":prefix": { S: source.pkPrefix } },
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  const ordered = items.sort((a, b) => {
    const byTime = writtenAt(a).localeCompare(writtenAt(b));
    return (
      byTime || `${a.sk?.S}`.localeCompare(`${b.sk?.S}`) || `${a.pk?.S}`.localeCompare(`${b.pk?.S}`)
    );
  });
  return ordered.map((item, index) => {
    const sequence = (firstSequence + BigInt(index)).toString();
    const newImage = streamImage(item);
    return {
      eventID: sequence.slice(-32).padStart(32, "0"),
      eventName: "INSERT",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: source.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.parse(writtenAt(item)) / 1000),
        Keys: Object.fromEntries(["pk", "sk"].map((name) => [name, newImage[name]])) as StreamImage,
        NewImage: newImage as StreamImage,
        SequenceNumber: sequence,
        SizeBytes: Buffer.byteLength(JSON.stringify(newImage)),
        StreamViewType: "NEW_IMAGE",
      },
      eventSourceARN: source.streamArn,
    } satisfies DynamoDBRecord;
  });
}

/** Records in batches of the mapping's batch size, as the event source mapping invokes. */
export function streamBatches(records: DynamoDBRecord[], batchSize: number): DynamoDBStreamEvent[] {
  const batches: DynamoDBStreamEvent[] = [];
  for (let start = 0; start < records.length; start += batchSize) {
    batches.push({ Records: records.slice(start, start + batchSize) });
  }
  return batches;
}
