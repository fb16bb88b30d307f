import { type Command, InvalidArgumentError } from "commander";
import type {
  CatalogueDiffOptions,
  CatalogueExtractOptions,
  CatalogueImportOptions,
  CatalogueListOptions,
} from "#cli/commands/catalogue";
import type { CatalogueGenerateOptions } from "#cli/commands/catalogue-generate";
import { positiveWholeNumber, processOutput, stateDirOption } from "#cli/options";
import { MAX_GENERATED_HOSTS } from "#shared/catalogue/generate/generate-estate";

/** `--seed`: a whole number (0 is a seed too). */
export function seedArgument(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) {
    throw new InvalidArgumentError("--seed must be a whole number from 0 to 4294967295");
  }
  return Number(value);
}

/** `driftwatch catalogue validate|list|extract|diff|import|generate`. */
export function registerCatalogueCommands(program: Command): void {
  const catalogue = program
    .command("catalogue")
    .description("The vendor catalogue: validate, list, draft from a document, import");
  const commands = () => import("#cli/commands/catalogue");

  catalogue
    .command("validate")
    .description("Check a catalogue file against the schema; print each problem with its path")
    .argument("<file>", "catalogue JSON file")
    .action(async (file: string) => {
      const { runCatalogueValidate } = await commands();
      process.exitCode = await runCatalogueValidate(file, processOutput);
    });

  catalogue
    .command("list")
    .description("Print the catalogue: a table, or one JSON document with --json")
    .option("--json", "one JSON document: every endpoint with its IPs, ports, group and policy")
    .option("--catalogue <file>", "catalogue file (default: the shipped Clearswift catalogue)")
    .option("--from-store", "list the catalogue imported into the store")
    .option("--id <catalogueId>", "with --from-store: which catalogue (default: the only one)")
    .addOption(stateDirOption("embedded store state directory"))
    .action(async (options: CatalogueListOptions) => {
      const { runCatalogueList } = await commands();
      process.exitCode = await runCatalogueList(options, processOutput);
    });

  catalogue
    .command("extract")
    .description("Draft a catalogue (needs review) from another vendor's plain-text document")
    .argument("<file>", "the vendor's document, plain text or markdown")
    .option("--out <file>", "write the draft here instead of stdout")
    .option("--vendor <name>", "vendor name")
    .option("--product <name>", "product name (default: the file name)")
    .option("--id <catalogueId>", "catalogue id (default: a slug of the file name)")
    .option("--title <title>", "document title (default: the first heading)")
    .action(async (file: string, options: CatalogueExtractOptions) => {
      const { runCatalogueExtract } = await commands();
      process.exitCode = await runCatalogueExtract(file, options, processOutput);
    });

  catalogue
    .command("diff")
    .description(
      "What a new issue of the document changed: hosts added and removed, IPs, ranges, ports, policies (a table, or --json)",
    )
    .argument("<old>", "the earlier catalogue JSON file")
    .argument("<new>", "the later catalogue JSON file")
    .option("--json", "one JSON document: added, removed and changed hosts")
    .action(async (oldFile: string, newFile: string, options: CatalogueDiffOptions) => {
      const { runCatalogueDiff } = await commands();
      process.exitCode = await runCatalogueDiff(oldFile, newFile, options, processOutput);
    });

  catalogue
    .command("import")
    .description(
      "Import one or several catalogues into the store idempotently (embedded store, or AWS when AWS_REGION and DRIFTWATCH_TABLE_NAME are set); a firewall group name must be unique across the store's catalogues, else nothing is imported",
    )
    .argument("[files...]", "catalogue JSON files (default: the shipped Clearswift catalogue)")
    .addOption(stateDirOption("embedded store state directory"))
    .option("--json", "print the import summary as JSON")
    .action(async (files: string[], options: CatalogueImportOptions) => {
      const { runCatalogueImport } = await commands();
      process.exitCode = await runCatalogueImport(files, options, processOutput);
    });

  catalogue
    .command("generate")
    .description(
      "Generate an estate for scale tests: a catalogue of N hostnames and the zone that answers for them (loopback server and NSD)",
    )
    .requiredOption(
      "--hosts <n>",
      `how many hostnames (1 to ${MAX_GENERATED_HOSTS})`,
      positiveWholeNumber("--hosts"),
    )
    .requiredOption("--out <dir>", "directory for catalogue.json, loopback.zone and nsd-root.zone")
    .option("--seed <n>", "the same seed gives the same estate", seedArgument, 1)
    .action(async (options: CatalogueGenerateOptions) => {
      const { runCatalogueGenerate } = await import("#cli/commands/catalogue-generate");
      process.exitCode = await runCatalogueGenerate(options, processOutput);
    });
}
