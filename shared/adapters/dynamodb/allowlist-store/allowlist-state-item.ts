import { z } from "zod";
import type { AllowlistState } from "#shared/allowlists/ports";

/** The allowlist state item (`ALLOWLIST#<group>` / `STATE`) and back: pure mapping, no I/O. */

const StateItem = z.object({
  group: z.string(),
  contentSha256: z.string(),
  generatedAt: z.string(),
  addresses: z.number().int().nonnegative(),
  domains: z.number().int().positive().optional(),
  keys: z.object({ txt: z.string(), json: z.string() }),
  etags: z.record(z.string(), z.string()).optional(),
  updatedAt: z.string(),
});

export const allowlistStateKey = (group: string) => ({ pk: `ALLOWLIST#${group}`, sk: "STATE" });

export function allowlistStateItem(state: AllowlistState): Record<string, unknown> {
  return { ...allowlistStateKey(state.group), kind: "allowlist", ...state };
}

/** The state a stored item holds, validated (zod throws). */
export function parseAllowlistState(item: Record<string, unknown>): AllowlistState {
  return StateItem.parse(item);
}
