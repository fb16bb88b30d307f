import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { AwsClients } from "#shared/adapters/aws/clients";
import type { BucketMirror } from "./bucket-mirror";

/** Loads the mirrored objects that `wanted` accepts into the bucket. */
export async function restoreObjects(
  clients: AwsClients,
  bucket: string,
  mirror: BucketMirror,
  wanted: (key: string) => boolean,
): Promise<void> {
  let files: string[];
  try {
    files = await readdir(mirror.dir, { recursive: true, withFileTypes: false });
  } catch {
    return;
  }
  for (const file of files) {
    const path = join(mirror.dir, file);
    const key = relative(mirror.dir, path).split(sep).join("/");
    if (!wanted(key)) continue;
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      continue; // a directory
    }
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    mirror.known(key, body);
  }
}
