// Types of build/cli-build.mjs for the TypeScript that imports it (the vitest global setup, tests).

/** A repository file as a build read it. */
export interface InputFingerprint {
  mtimeMs: number;
  size: number;
  sha256: string;
}

export interface BuildStamp {
  /** The entry file, relative to dist/. */
  entry: string;
  builtAt: string;
  /** Every repository file the build read (null: an optional input that was absent). */
  inputs: Record<string, InputFingerprint | null>;
}

export const ROOT: string;
export function fingerprint(path: string): Promise<InputFingerprint>;
export function readBuildStamp(root?: string): BuildStamp | null;
export function staleReason(root?: string, stamp?: BuildStamp | null): string | null;
export function buildCli(root?: string, options?: { logLevel?: string }): Promise<BuildStamp>;
export function builtCliEntry(root?: string): Promise<string>;
