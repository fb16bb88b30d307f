import type { Command } from "commander";
import type { IpCommandOptions } from "#cli/commands/query/ip";
import { processOutput } from "#cli/options";
import { DEFAULT_STATE_DIR } from "#cli/state-dir";
import { DEFAULT_CATALOGUE_PATH } from "#shared/catalogue/default-catalogue-path";

/** `driftwatch ip IP`. */
export function registerIpCommand(program: Command): void {
  program
    .command("ip")
    .description(
      "Which hostnames ever resolved to an IP: first seen, whether still observed, and what the catalogue documents for it",
    )
    .argument("<ip>", "an IPv4 or IPv6 address")
    .option("--catalogue <file>", "catalogue JSON", DEFAULT_CATALOGUE_PATH)
    .option("--state-dir <dir>", "the state directory `driftwatch detect` used", DEFAULT_STATE_DIR)
    .option(
      "--api <url>",
      "ask the audit HTTP API (SigV4-signed, docs/api.md) instead of the table",
    )
    .option("--json", "machine-readable output")
    .option("--csv", "CSV with a header row (RFC 4180)")
    .action(async (ip: string, options: IpCommandOptions) => {
      const { runIpCommand } = await import("#cli/commands/query/ip");
      process.exitCode = await runIpCommand(ip, options, processOutput);
    });
}
