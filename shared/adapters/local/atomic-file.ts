import { randomUUID } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Writes `content` to `path` whole or not at all: a hidden temporary file beside it (a leading
 * dot, ending in `.tmp`, so no reader of `*.json` takes it for a finished file), then a rename.
 * A process killed part-way leaves the old file or none, never half a one.
 */
export async function writeFileAtomically(path: string, content: string): Promise<void> {
  const temporary = join(dirname(path), `.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, content);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
