import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { at } from "./cfn-template";

/**
 * A recording proxy on loopback for the AWS calls of a process under test: point its
 * AWS_ENDPOINT_URL_* variables at `endpoint` and every request is forwarded to dynalite (DynamoDB),
 * fauxqs (SNS, SQS, S3) or a fake SSM or EC2 when given one, and recorded: the service (from the SigV4 credential scope), the
 * operation, the resources it names and the status it got.
 */

export type AwsService = "dynamodb" | "s3" | "sns" | "sqs" | "ssm" | "ec2";

export interface RecordedAwsCall {
  service: AwsService;
  /** The API operation, e.g. `BatchGetItem`, `HeadObject`, `Publish`. */
  operation: string;
  /** DynamoDB: the tables (one, or the keys of `RequestItems` / `TransactItems`). */
  tables?: string[];
  indexName?: string;
  /** BatchWriteItem: the kinds of request in it (`PutRequest`, `DeleteRequest`). */
  writeRequests?: string[];
  /**
   * A DynamoDB write (PutItem, UpdateItem, DeleteItem, BatchWriteItem): the partition keys
   * (`pk`, TABLE.md) of the items it writes, distinct, in order: IAM's `dynamodb:LeadingKeys`.
   */
  partitionKeys?: string[];
  bucket?: string;
  key?: string;
  /** CopyObject: the source, `bucket/key`. */
  copySource?: string;
  topicArn?: string;
  queueUrl?: string;
  /** SSM: the parameter read, and whether it was asked decrypted. */
  parameterName?: string;
  withDecryption?: boolean;
  /** EC2: the prefix lists the call names (none: a describe of every list). */
  prefixListIds?: string[];
  /** The upstream's HTTP status. */
  status: number;
}

export interface AwsCallRecorder {
  /** `http://127.0.0.1:<port>`: the value for every AWS_ENDPOINT_URL_* variable. */
  endpoint: string;
  /** The AWS_ENDPOINT_URL_* variables pointing at the proxy. */
  environment: Record<string, string>;
  /** Every call so far, in the order the proxy received them. */
  readonly calls: readonly RecordedAwsCall[];
  stop(): Promise<void>;
}

/** The SigV4 signing service of a request (`Credential=<key>/<date>/<region>/<service>/…`). */
function signingService(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization ?? "";
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1];
}

/** The table's partition key attribute (shared/adapters/dynamodb/TABLE.md). */
const PARTITION_KEY = "pk";

/** The partition keys of the items a write names (its Item, Key or batched requests). */
function writtenPartitionKeys(operation: string, body: Record<string, unknown>): string[] {
  const keyOf = (item: unknown) => at(item, PARTITION_KEY, "S");
  let named: unknown[] = [];
  if (operation === "PutItem") named = [keyOf(body.Item)];
  else if (operation === "UpdateItem" || operation === "DeleteItem") named = [keyOf(body.Key)];
  else if (operation === "BatchWriteItem") {
    named = Object.values((body.RequestItems ?? {}) as Record<string, unknown[]>)
      .flat()
      .map((request) =>
        keyOf(at(request, "PutRequest", "Item") ?? at(request, "DeleteRequest", "Key")),
      );
  }
  return [...new Set(named.filter((key): key is string => typeof key === "string"))];
}

function dynamoDbCall(
  target: string,
  body: Record<string, unknown>,
): Omit<RecordedAwsCall, "status"> {
  const operation = target.replace(/^DynamoDB_\d+\./, "");
  const call: Omit<RecordedAwsCall, "status"> = { service: "dynamodb", operation };
  if (typeof body.TableName === "string") call.tables = [body.TableName];
  if (typeof body.IndexName === "string") call.indexName = body.IndexName;
  const requestItems = body.RequestItems;
  if (requestItems !== null && typeof requestItems === "object") {
    call.tables = Object.keys(requestItems);
    if (operation === "BatchWriteItem") {
      const kinds = Object.values(requestItems as Record<string, Record<string, unknown>[]>)
        .flat()
        .flatMap((item) => Object.keys(item));
      call.writeRequests = [...new Set(kinds)].sort();
    }
  }
  const partitionKeys = writtenPartitionKeys(operation, body);
  if (partitionKeys.length > 0) call.partitionKeys = partitionKeys;
  if (Array.isArray(body.TransactItems)) {
    const tables = (body.TransactItems as Record<string, { TableName?: string }>[]).flatMap(
      (item) => Object.values(item).flatMap((part) => (part.TableName ? [part.TableName] : [])),
    );
    call.tables = [...new Set(tables)];
    call.writeRequests = [
      ...new Set((body.TransactItems as object[]).flatMap((item) => Object.keys(item))),
    ].sort();
  }
  return call;
}

/** The query-protocol (form) or JSON-protocol parameters of an SNS or SQS request. */
function queryParameters(request: IncomingMessage, body: Buffer): Record<string, unknown> {
  const type = `${request.headers["content-type"] ?? ""}`;
  if (type.includes("json")) return JSON.parse(body.toString("utf8") || "{}");
  const url = new URL(request.url ?? "/", "http://localhost");
  const form = new URLSearchParams(body.toString("utf8"));
  return { ...Object.fromEntries(url.searchParams), ...Object.fromEntries(form) };
}

function messagingCall(
  service: "sns" | "sqs",
  request: IncomingMessage,
  body: Buffer,
): Omit<RecordedAwsCall, "status"> {
  const parameters = queryParameters(request, body);
  const target = `${request.headers["x-amz-target"] ?? ""}`;
  const operation = target !== "" ? target.replace(/^[^.]+\./, "") : `${parameters.Action ?? ""}`;
  const call: Omit<RecordedAwsCall, "status"> = { service, operation };
  const topicArn = parameters.TopicArn ?? parameters.TargetArn;
  if (typeof topicArn === "string") call.topicArn = topicArn;
  if (typeof parameters.QueueUrl === "string") call.queueUrl = parameters.QueueUrl;
  return call;
}

/** A path-style S3 request (`/<bucket>/<key>`) as its REST API operation. */
function s3Call(request: IncomingMessage): Omit<RecordedAwsCall, "status"> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const [, bucket = "", ...keyParts] = url.pathname.split("/");
  const key = keyParts.map(decodeURIComponent).join("/");
  const query = url.searchParams;
  const method = request.method ?? "GET";
  const copySource = request.headers["x-amz-copy-source"];
  let operation: string;
  if (key === "") {
    if (method === "GET" && query.get("list-type") === "2") operation = "ListObjectsV2";
    else if (method === "GET" && query.has("versions")) operation = "ListObjectVersions";
    else if (method === "GET" && [...query.keys()].length === 0) operation = "ListObjects";
    else if (method === "HEAD") operation = "HeadBucket";
    else if (method === "POST" && query.has("delete")) operation = "DeleteObjects";
    else operation = `${method} bucket ?${[...query.keys()].join("&")}`;
  } else if (query.has("uploads") || query.has("uploadId")) {
    operation = "MultipartUpload";
  } else if ([...query.keys()].some((k) => k !== "versionId" && k !== "x-id")) {
    operation = `${method} object ?${[...query.keys()].join("&")}`;
  } else if (method === "GET") {
    operation = query.has("versionId") ? "GetObjectVersion" : "GetObject";
  } else if (method === "HEAD") {
    operation = query.has("versionId") ? "HeadObjectVersion" : "HeadObject";
  } else if (method === "PUT") {
    operation = typeof copySource === "string" ? "CopyObject" : "PutObject";
  } else if (method === "DELETE") {
    operation = "DeleteObject";
  } else {
    operation = `${method} object`;
  }
  return {
    service: "s3",
    operation,
    ...(bucket !== "" ? { bucket: decodeURIComponent(bucket) } : {}),
    ...(key !== "" ? { key } : {}),
    ...(typeof copySource === "string"
      ? { copySource: decodeURIComponent(copySource).replace(/^\//, "") }
      : {}),
  };
}

function ssmCall(request: IncomingMessage, body: Buffer): Omit<RecordedAwsCall, "status"> {
  const operation = `${request.headers["x-amz-target"] ?? ""}`.replace(/^AmazonSSM\./, "");
  const input = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
  return {
    service: "ssm",
    operation,
    ...(typeof input.Name === "string" ? { parameterName: input.Name } : {}),
    ...(input.WithDecryption === true ? { withDecryption: true } : {}),
  };
}

function ec2Call(body: Buffer): Omit<RecordedAwsCall, "status"> {
  const form = new URLSearchParams(body.toString("utf8"));
  const ids = [...form]
    .filter(([name]) => name === "PrefixListId" || /^PrefixListId\.\d+$/.test(name))
    .map(([, value]) => value);
  return {
    service: "ec2",
    operation: form.get("Action") ?? "",
    ...(ids.length > 0 ? { prefixListIds: ids } : {}),
  };
}

function describeCall(
  service: string | undefined,
  request: IncomingMessage,
  body: Buffer,
): Omit<RecordedAwsCall, "status"> {
  switch (service) {
    case "dynamodb":
      return dynamoDbCall(
        `${request.headers["x-amz-target"] ?? ""}`,
        JSON.parse(body.toString("utf8") || "{}"),
      );
    case "sns":
    case "sqs":
      return messagingCall(service, request, body);
    case "s3":
      return s3Call(request);
    case "ssm":
      return ssmCall(request, body);
    case "ec2":
      return ec2Call(body);
    default:
      throw new Error(`unexpected AWS service ${service ?? "(unsigned request)"}`);
  }
}

/**
 * Starts the proxy. `upstreams`: where DynamoDB requests go, and where SNS, SQS and S3 go (the
 * embedded stack's `dynamodbEndpoint` and `messagingEndpoint`).
 */
export async function startAwsCallRecorder(upstreams: {
  dynamodb: string;
  messaging: string;
  ssm?: string;
  ec2?: string;
}): Promise<AwsCallRecorder> {
  const upstreamOf = (service: string | undefined): string | undefined => {
    if (service === "dynamodb") return upstreams.dynamodb;
    if (service === "ssm" || service === "ec2") return upstreams[service];
    return upstreams.messaging;
  };
  const calls: RecordedAwsCall[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const service = signingService(request);
      let call: Omit<RecordedAwsCall, "status">;
      try {
        call = describeCall(service, request, body);
      } catch (error) {
        response.writeHead(400, { "content-type": "text/plain" }).end(String(error));
        return;
      }
      const upstreamUrl = upstreamOf(service);
      if (upstreamUrl === undefined) {
        response.writeHead(400, { "content-type": "text/plain" }).end(`no upstream for ${service}`);
        return;
      }
      const upstream = new URL(upstreamUrl);
      const headers = { ...request.headers };
      // The body is forwarded whole: no 100-continue handshake, no chunked re-encoding.
      delete headers.expect;
      delete headers["transfer-encoding"];
      headers["content-length"] = String(body.length);
      const forwarded = httpRequest(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.url,
          headers,
        },
        (upstreamResponse) => {
          calls.push({ ...call, status: upstreamResponse.statusCode ?? 0 });
          response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
          upstreamResponse.pipe(response);
        },
      );
      forwarded.on("error", (error) => {
        calls.push({ ...call, status: 502 });
        response.writeHead(502, { "content-type": "text/plain" }).end(String(error));
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    environment: {
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_SNS: endpoint,
      AWS_ENDPOINT_URL_SQS: endpoint,
      ...(upstreams.ssm === undefined ? {} : { AWS_ENDPOINT_URL_SSM: endpoint }),
      ...(upstreams.ec2 === undefined ? {} : { AWS_ENDPOINT_URL_EC2: endpoint }),
    },
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
