import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerCatalogueCommands } from "#cli/command-line/catalogue";
import { registerChangesCommand } from "#cli/command-line/changes";
import { registerDemoCommand } from "#cli/command-line/demo";
import { registerDetectCommand } from "#cli/command-line/detect";
import { registerEventsCommand } from "#cli/command-line/events";
import { registerFeedsCommand } from "#cli/command-line/feeds";
import { registerFirewallFeedCommands } from "#cli/command-line/firewall";
import { registerHistoryCommand } from "#cli/command-line/history";
import { registerIpCommand } from "#cli/command-line/ip";
import { registerNotificationsCommand } from "#cli/command-line/notifications";
import { registerReportCommand } from "#cli/command-line/report";
import { registerResolveCommand } from "#cli/command-line/resolve";
import { registerStateCommand } from "#cli/command-line/state";
import { describeError } from "#cli/options";

/**
 * Builds the `driftwatch` command tree. Each command returns its exit code. What a command
 * accepts is declared in `cli/command-line/`; its action imports the module that runs it, so
 * `driftwatch --help` (or one command) loads neither the AWS SDK nor the embedded stack unless
 * the command runs against a store.
 */
export function buildProgram(): Command {
  const program = new Command("driftwatch")
    .description("Drift detector for firewall allowlists")
    .version(packageVersion(), "-V, --version", "the driftwatch version")
    .exitOverride();
  registerDetectCommand(program);
  registerCatalogueCommands(program);
  registerFeedsCommand(program);
  registerResolveCommand(program);
  registerDemoCommand(program);
  registerHistoryCommand(program);
  registerIpCommand(program);
  registerEventsCommand(program);
  registerStateCommand(program);
  registerChangesCommand(program);
  registerNotificationsCommand(program);
  registerReportCommand(program);
  registerFirewallFeedCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    process.stderr.write(`driftwatch: ${describeError(error)}\n`);
    return 1;
  }
}

function packageVersion(): string {
  const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}
