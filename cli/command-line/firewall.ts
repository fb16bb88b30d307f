import { type Command, Option } from "commander";
import type { AllowlistCommandOptions } from "#cli/commands/firewall/allowlist";
import type { ServeCommandOptions } from "#cli/commands/firewall/serve";
import type { VersionCommandOptions } from "#cli/commands/firewall/version";
import { processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/state-dir";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/default-catalogue-path";

const CATALOGUE_HELP = "catalogue JSON, or a catalogue id";
const STATE_DIR_HELP = "the state directory `driftwatch detect` used";

/**
 * `serve --catalogue FILE|ID`, repeatable: the catalogues served, the first the default (what a
 * request without `?catalogue=ID` is answered from); the shipped one when not given.
 */
function servedCataloguesOption(): Option {
  const shipped: string[] = [DEFAULT_CATALOGUE_PATH];
  return new Option(
    "--catalogue <file|id>",
    `${CATALOGUE_HELP}; repeat it to serve several (the first is the default, the others ?catalogue=ID)`,
  )
    .default(shipped, DEFAULT_CATALOGUE_PATH)
    .argParser((value: string, previous: string[]) =>
      previous === shipped ? [value] : [...previous, value],
    );
}

/**
 * `driftwatch version`, `driftwatch allowlist GROUP`, `driftwatch serve`: the firewall feed
 * (`changes --since-version N` is declared with `changes`).
 */
export function registerFirewallFeedCommands(program: Command): void {
  program
    .command("version")
    .description(
      "The catalogue's allowlist version (moves by one for every allowlist content change) and the version each group last changed in",
    )
    .option("--catalogue <file|id>", CATALOGUE_HELP, DEFAULT_CATALOGUE_PATH)
    .option("--state-dir <dir>", STATE_DIR_HELP, DEFAULT_STATE_DIR)
    .option("--json", "one JSON document (the body of GET /version)")
    .action(async (options: VersionCommandOptions) => {
      const { runVersionCommand } = await import("#cli/commands/firewall/version");
      process.exitCode = await runVersionCommand(options, processOutput);
    });

  program
    .command("allowlist")
    .description(
      "A group's allowlist as the last cycle wrote it: the EDL (one entry per line) or its JSON",
    )
    .argument("<group>", "the firewall group")
    .option(
      "--format <txt|json|domains>",
      "txt: the EDL; json: addresses with ports; domains: the domain EDL of wildcard names",
      "txt",
    )
    .option("--catalogue <file|id>", CATALOGUE_HELP, DEFAULT_CATALOGUE_PATH)
    .option("--state-dir <dir>", STATE_DIR_HELP, DEFAULT_STATE_DIR)
    .action(async (group: string, options: AllowlistCommandOptions) => {
      const { runAllowlistCommand } = await import("#cli/commands/firewall/allowlist");
      process.exitCode = await runAllowlistCommand(group, options, processOutput);
    });

  program
    .command("serve")
    .description(
      "Serve the firewall feed over HTTP (GET /catalogues, /version, /changes?since=N, /changes.atom, /allowlists/{group}.txt|.json) for a lab firewall or a test; a token is required (Bearer, or Basic with the token as password); stops on SIGINT/SIGTERM",
    )
    .requiredOption("--port <port>", "TCP port (0: any free port)")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--token-file <file>", "file holding the token, or sha256:<hex> of it")
    .option("--token <token>", "the token (visible to ps: prefer --token-file or the variable)")
    .addOption(servedCataloguesOption())
    .option("--state-dir <dir>", STATE_DIR_HELP, DEFAULT_STATE_DIR)
    .addHelpText("after", "\nWithout --token-file or --token, the token is DRIFTWATCH_FEED_TOKEN.")
    .action(async (options: ServeCommandOptions) => {
      const { runServeCommand } = await import("#cli/commands/firewall/serve");
      process.exitCode = await runServeCommand(options, processOutput);
    });
}
