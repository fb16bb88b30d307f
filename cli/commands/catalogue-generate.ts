import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandOutput } from "#cli/options";
import { prepareWritableDirectory, RuntimeConfigError } from "#cli/runtime";
import { GenerateEstateError, generateEstate } from "#shared/catalogue/generate/generate-estate";
import { estateFiles } from "#shared/catalogue/generate/zone-files";

export interface CatalogueGenerateOptions {
  hosts: number;
  out: string;
  seed: number;
}

/**
 * `driftwatch catalogue generate`: writes a generated estate (catalogue JSON, loopback zone,
 * NSD root zone) into `--out` and prints what it wrote. Exit 1 when the directory cannot be
 * written or the options are out of range.
 */
export async function runCatalogueGenerate(
  options: CatalogueGenerateOptions,
  output: CommandOutput,
): Promise<number> {
  let estate: ReturnType<typeof generateEstate>;
  try {
    estate = generateEstate({ hosts: options.hosts, seed: options.seed });
  } catch (error) {
    if (!(error instanceof GenerateEstateError)) throw error;
    output.stderr(`driftwatch: --hosts: ${error.message}\n`);
    return 1;
  }
  const files = estateFiles(estate);
  try {
    // One level at a time: a recursive mkdir never settles where the kernel refuses a parent.
    await prepareWritableDirectory(options.out, `--out ${options.out}`);
    for (const file of files) await writeFile(join(options.out, file.name), file.text);
  } catch (error) {
    const message =
      error instanceof RuntimeConfigError ? error.message : `--out ${options.out}: ${error}`;
    output.stderr(`driftwatch: ${message}\n`);
    return 1;
  }
  const counts = Object.entries(estate.counts)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(", ");
  output.stdout(
    `generated ${estate.catalogue.id}: ${options.hosts} hostnames (${counts}), ` +
      `${estate.catalogue.pools.length} pools, ${estate.names.length} zone names\n`,
  );
  for (const file of files) output.stdout(`  ${join(options.out, file.name)}\n`);
  return 0;
}
