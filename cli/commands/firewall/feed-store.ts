import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { QueryInputError } from "#cli/commands/query/query-command";
import { openRuntime, type Runtime } from "#cli/runtime";
import { createDynamoAllowlistVersionStore } from "#shared/adapters/dynamodb/allowlist-version-store";
import { createS3ObjectArchive } from "#shared/adapters/s3/object-archive";
import { loadCatalogueFile } from "#shared/catalogue/load";
import { CATALOGUE_ID_PATTERN } from "#shared/config/catalogue-ids";
import type { DeploymentFeedDeps } from "#shared/query/firewall-feed/feed-catalogues";
import type { FirewallFeedDeps } from "#shared/query/firewall-feed/feed-queries";

/**
 * The catalogue `--catalogue` names: a catalogue JSON file (its `id`), or, when no such file
 * exists, a catalogue id itself (the firewall feed reads versions by id only).
 */
export async function catalogueIdOf(value: string): Promise<string> {
  if (existsSync(value) || !CATALOGUE_ID_PATTERN.test(value) || value.endsWith(".json")) {
    return (await loadCatalogueFile(value)).id;
  }
  return value;
}

/**
 * The firewall feed over the store `driftwatch detect` writes: the embedded one in the state
 * directory, or the AWS table and bucket (`AWS_REGION`, `DRIFTWATCH_TABLE_NAME`,
 * `DRIFTWATCH_BUCKET_NAME`).
 */
export function feedDeps(runtime: Runtime, catalogueId: string): FirewallFeedDeps {
  return { ...feedReads(runtime), catalogueId };
}

/** The feed of several catalogues (`driftwatch serve`): `catalogueIds`, the first the default. */
export function deploymentFeedDeps(
  runtime: Runtime,
  catalogueIds: readonly string[],
): DeploymentFeedDeps {
  return { ...feedReads(runtime), catalogueIds };
}

function feedReads(runtime: Runtime): Omit<FirewallFeedDeps, "catalogueId"> {
  return {
    versions: createDynamoAllowlistVersionStore({
      documents: runtime.clients.documents,
      tableName: runtime.tableName,
    }),
    objects: createS3ObjectArchive({ s3: runtime.clients.s3, bucketName: runtime.bucketName }),
  };
}

/**
 * Opens the store; in embedded mode a state directory without one is a mistake, said so. AWS
 * mode needs DRIFTWATCH_BUCKET_NAME only for the allowlist files (`bucket: false`: versions and
 * changes only).
 */
export async function openFeedRuntime(
  stateDir: string,
  env: NodeJS.ProcessEnv,
  bucket = true,
): Promise<Runtime> {
  if (env.DRIFTWATCH_TABLE_NAME === undefined && !existsSync(join(resolve(stateDir), "dynamodb"))) {
    throw new QueryInputError(
      `no driftwatch state in ${stateDir}: run \`driftwatch detect\` first, or point --state-dir at the directory it used`,
    );
  }
  return openRuntime({ stateDir, env, needs: bucket ? ["bucket"] : [] });
}

/** Runs `use` over the feed of the store, closing the store whatever happens. */
export async function withFeed<T>(
  options: { stateDir: string; catalogueId: string; bucket?: boolean },
  env: NodeJS.ProcessEnv,
  use: (deps: FirewallFeedDeps) => Promise<T>,
): Promise<T> {
  const runtime = await openFeedRuntime(options.stateDir, env, options.bucket ?? true);
  try {
    return await use(feedDeps(runtime, options.catalogueId));
  } finally {
    await runtime.close();
  }
}
