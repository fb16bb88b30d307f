import { readdir, readFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { join, sep } from "node:path";
import { createLimiter } from "#shared/observe/dns/limiter";
import type { BucketMirror } from "./bucket-mirror";

/**
 * Objects read and put at once. A 10,000-host estate restores 560 allowlist files at every
 * start.
 */
const RESTORE_CONCURRENCY = 16;

/** Where the objects go: fauxqs's S3 endpoint on loopback and the bucket. */
export interface RestoreTarget {
  endpoint: string;
  bucket: string;
}

/**
 * Loads the mirrored objects that `wanted` accepts into the bucket (distinct keys, any order).
 *
 * Each object is one plain S3 PutObject request (`PUT /<bucket>/<key>`) over a kept-alive
 * loopback connection, not a call through the SDK client: fauxqs keeps S3 in memory and checks
 * no signature, and the SDK's middleware (signing, checksums, retries, XML) cost 2.7 ms of CPU
 * per put against 0.2 ms for the request alone. 560 files of 2 KB: 1.5 s through the SDK 16 at
 * once, 0.1-0.2 s this way (2-core machine, 2026-12-04). What the run itself writes still goes
 * through `clients.s3`.
 */
export async function restoreObjects(
  target: RestoreTarget,
  mirror: BucketMirror,
  wanted: (key: string) => boolean,
): Promise<void> {
  let files: string[];
  try {
    files = await readdir(mirror.dir, { recursive: true, withFileTypes: false });
  } catch {
    return;
  }
  const agent = new Agent({ keepAlive: true, maxSockets: RESTORE_CONCURRENCY });
  const limit = createLimiter(RESTORE_CONCURRENCY);
  try {
    await Promise.all(
      files.map((file) =>
        limit(async () => {
          const key = file.split(sep).join("/");
          if (wanted(key)) await restoreObject(target, mirror, key, agent);
        }),
      ),
    );
  } finally {
    agent.destroy();
  }
}

/**
 * Loads one mirrored object into the bucket, when it is a file on disk (nothing when it is not:
 * never written, removed, or a directory, and the bucket answers as it would). Through `agent`'s
 * connections, or one of its own (an archive read on request).
 */
export async function restoreObject(
  target: RestoreTarget,
  mirror: BucketMirror,
  key: string,
  agent: Agent | false = false,
): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(join(mirror.dir, ...key.split("/")));
  } catch {
    return;
  }
  mirror.known(key, await putObject(target, agent, key, body));
}

/**
 * One PutObject: the ETag the bucket gave it (the quoted md5 of the bytes, computed once, by the
 * bucket); rejects with the key and the status when the bucket refuses it.
 */
function putObject(
  target: RestoreTarget,
  agent: Agent | false,
  key: string,
  body: Buffer,
): Promise<string> {
  const path = [target.bucket, ...key.split("/")].map(encodeURIComponent).join("/");
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`/${path}`, target.endpoint),
      {
        method: "PUT",
        agent,
        headers: { "content-type": "application/octet-stream", "content-length": body.length },
      },
      (res) => {
        res.resume();
        res.on("error", reject);
        res.on("end", () => {
          const etag = res.headers.etag;
          if (res.statusCode === 200 && etag !== undefined) resolve(etag);
          else reject(new Error(`restore of object ${key}: the bucket answered ${res.statusCode}`));
        });
      },
    );
    req.on("error", (error) =>
      reject(new Error(`restore of object ${key}: ${error.message}`, { cause: error })),
    );
    req.end(body);
  });
}
