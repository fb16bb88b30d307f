import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerCatalogueCommands } from "#cli/commands/catalogue";
import { registerDemoCommand } from "#cli/commands/demo";
import { registerDetectCommand } from "#cli/commands/detect";
import { registerFeedsCommand } from "#cli/commands/feeds";
import { registerEventsCommand } from "#cli/commands/query/events";
import { registerHistoryCommand } from "#cli/commands/query/history";
import { registerIpCommand } from "#cli/commands/query/ip";
import { registerResolveCommand } from "#cli/commands/resolve";
import { describeError } from "#cli/options";

/** Builds the `driftwatch` command tree. Each command returns its exit code. */
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
