import { createHash, randomUUID } from "node:crypto";
import { mkdir, rename, rm, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

/** A write of the bucket's mirror failed: the S3 call that caused it fails with it. */
export class BucketMirrorError extends Error {
  override readonly name = "BucketMirrorError";
  constructor(
    readonly key: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`mirror of object ${key}: ${reason}`, options);
  }
}

/**
 * The bucket's copy on disk, one file per key. Each write goes to a temporary file in
 * `incomingDir` (outside the mirror, so a half-written file is never restored as an object) and
 * is renamed into place. Writes of one key are applied in the order the mirror is asked, which
 * is the order the bucket acknowledged them (the middleware asks after each S3 call returns);
 * two puts of one key racing each other may be acknowledged in either order. Our keys are
 * content-addressed (feed archives) or rewritten by the next run (allowlists), so that heals.
 */
export interface BucketMirror {
  readonly dir: string;
  /** Each mirrored key's ETag (the quoted md5 of its bytes, as S3 gives it for a single put). */
  readonly etags: ReadonlyMap<string, string>;
  write(key: string, bytes: Uint8Array): Promise<void>;
  remove(key: string): Promise<void>;
  /** Remembers an object found on disk, without writing it, by its ETag (quoted md5). */
  known(key: string, etag: string): void;
  /** Resolves when every write asked so far is done (failed or not). */
  settled(): Promise<void>;
}

export async function createBucketMirror(dir: string, incomingDir: string): Promise<BucketMirror> {
  // Left by a process killed between writing and renaming: never renamed, so never an object.
  await rm(incomingDir, { recursive: true, force: true });
  await mkdir(incomingDir, { recursive: true });
  const etags = new Map<string, string>();
  const queues = new Map<string, Promise<void>>();

  const pathOf = (key: string) => {
    const path = join(dir, ...key.split("/"));
    if (key === "" || relative(dir, path).startsWith("..") || path === dir) {
      throw new BucketMirrorError(key, "the key does not name a file inside the mirror");
    }
    return path;
  };

  /** Runs `change` after the key's earlier changes; the key's queue never holds a rejection. */
  const inOrder = (key: string, change: () => Promise<void>): Promise<void> => {
    const done = (queues.get(key) ?? Promise.resolve()).then(change);
    const tail = done.catch(() => {});
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return done;
  };

  return {
    dir,
    etags,
    write(key, bytes) {
      return inOrder(key, async () => {
        const target = pathOf(key);
        const temporary = join(incomingDir, randomUUID());
        try {
          await mkdir(dirname(target), { recursive: true });
          await writeFile(temporary, bytes);
          await rename(temporary, target);
        } catch (error) {
          await rm(temporary, { force: true });
          throw new BucketMirrorError(key, `cannot write ${target}`, { cause: error });
        }
        etags.set(key, etagOf(bytes));
      });
    },
    remove(key) {
      return inOrder(key, async () => {
        const target = pathOf(key);
        try {
          await unlink(target);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
            throw new BucketMirrorError(key, `cannot remove ${target}`, { cause: error });
          }
        }
        etags.delete(key);
      });
    },
    known(key, etag) {
      etags.set(key, etag);
    },
    async settled() {
      await Promise.all(queues.values());
    },
  };
}

const etagOf = (bytes: Uint8Array) => `"${createHash("md5").update(bytes).digest("hex")}"`;
