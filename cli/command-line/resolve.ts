import type { Command } from "commander";
import type { ResolveCommandOptions } from "#cli/commands/resolve";
import { runWatchingInterrupts } from "#cli/interrupt";
import {
  catalogueOption,
  deadlineOption,
  dnsServerOption,
  processOutput,
  samplesOption,
  stateDirOption,
  timeoutMsOption,
} from "#cli/options";

/**
 * `driftwatch resolve`: one resolution run of the catalogue, recorded in the embedded store or,
 * when AWS_REGION and DRIFTWATCH_TABLE_NAME are set, in the AWS table (`openRuntime`).
 */
export function registerResolveCommand(program: Command): void {
  program
    .command("resolve")
    .description(
      "Resolve every catalogued hostname once and record what was seen, in the embedded store, or in AWS when AWS_REGION and DRIFTWATCH_TABLE_NAME are set (exit 1 when no hostname could be resolved; 130/143 when interrupted)",
    )
    .addOption(dnsServerOption())
    .addOption(samplesOption("queries per name and resolver, merged (round robin)"))
    .addOption(timeoutMsOption())
    .addOption(deadlineOption("stop asking after this long; what is left is a timeout", 30))
    .addOption(stateDirOption())
    .addOption(catalogueOption())
    .option(
      "--zone <file>",
      "serve this zone file (fixtures/dns/README.md) on loopback and ask it instead of the system's resolvers",
    )
    .option("--json", "machine-readable output")
    .option("--quiet", "no progress")
    .action(async (options: ResolveCommandOptions) => {
      const { runResolveCommand } = await import("#cli/commands/resolve");
      await runWatchingInterrupts((interruption) =>
        runResolveCommand(options, processOutput, process.env, () => new Date(), interruption),
      );
    });
}
