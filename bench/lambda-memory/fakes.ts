/**
 * The fakes of bench/lambda-memory.bench.ts, in a process of their own so that their memory is not
 * counted against the function: dynalite (DynamoDB, in memory) and fauxqs (S3/SNS) on loopback
 * (the embedded stack), the catalogue imported and both feeds ingested from the shipped fixtures,
 * as after the deployment's first import and ingest. Prints one JSON line with the endpoints,
 * then serves until stdin closes.
 *
 *   npx tsx bench/lambda-memory/fakes.ts <catalogue.json>
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DynamoDbCatalogueStore } from "#shared/adapters/dynamodb/catalogue-store";
import { createDynamoFeedPointerStore } from "#shared/adapters/dynamodb/feed-pointer-store";
import { startEmbeddedStack } from "#shared/adapters/local/embedded-stack";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import { Catalogue } from "#shared/catalogue/schema";
import { createHttpFeedFetcher } from "#shared/observe/feeds/http-fetcher";
import { ingestFeeds } from "#shared/observe/feeds/ingest-feeds";

const cataloguePath = process.argv[2];
if (cataloguePath === undefined) throw new Error("usage: fakes.ts <catalogue.json>");
const root = resolve(import.meta.dirname, "../..");
const fixture = (path: string) => pathToFileURL(join(root, "fixtures/feeds", path)).href;

const stack = await startEmbeddedStack({});
const catalogue = Catalogue.parse(JSON.parse(await readFile(cataloguePath, "utf8")));
await new DynamoDbCatalogueStore({
  documents: stack.clients.documents,
  tableName: stack.tableName,
}).importCatalogue(catalogue, new Date(Date.now() - 86_400_000));
await ingestFeeds(
  {
    fetcher: createHttpFeedFetcher({ timeoutMs: 10_000, maxBytes: 16 * 1024 * 1024 }),
    archive: createS3ObjectArchive({ s3: stack.clients.s3, bucketName: stack.bucketName }),
    pointers: createDynamoFeedPointerStore({
      documents: stack.clients.documents,
      tableName: stack.tableName,
    }),
  },
  {
    feeds: [
      { id: "aws-ip-ranges", url: fixture("aws-ip-ranges/ip-ranges-2026-08-21-18-17-05.json.gz") },
      { id: "cloudfront", url: fixture("cloudfront/list-cloudfront-ips.json.gz") },
    ],
    now: new Date(Date.now() - 3_600_000),
    options: { grace: { runs: 3, hours: 6 } },
  },
);
console.log(
  JSON.stringify({
    catalogueId: catalogue.id,
    tableName: stack.tableName,
    bucketName: stack.bucketName,
    dynamodbEndpoint: stack.dynamodbEndpoint,
    messagingEndpoint: stack.messagingEndpoint,
  }),
);
process.stdin.resume();
process.stdin.on("end", () => {
  void stack.stop().then(() => process.exit(0));
});
