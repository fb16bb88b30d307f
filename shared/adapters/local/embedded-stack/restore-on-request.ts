import type { S3Client } from "@aws-sdk/client-s3";
import type { BucketMirror } from "./bucket-mirror";
import { type RestoreTarget, restoreObject } from "./restore-objects";

/** The reads that load an archived object first. */
const READS = new Set(["GetObjectCommand", "HeadObjectCommand"]);

/**
 * An S3 middleware: a GetObject or HeadObject of an archived key (`archived(key)`) that is on
 * disk but not in the bucket yet loads it first, once, so archives stay on disk until something
 * reads one (a content snapshot of an allowlist version when its group changes, an old feed
 * snapshot). Archive keys are content-addressed or per run, never rewritten, so the bytes on disk
 * are the object's.
 */
export function restoreOnRequest(
  s3: S3Client,
  target: RestoreTarget,
  mirror: BucketMirror,
  archived: (key: string) => boolean,
): void {
  const loading = new Map<string, Promise<void>>();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const { Bucket, Key } = args.input as { Bucket?: string; Key?: string };
      if (
        Bucket === target.bucket &&
        Key !== undefined &&
        READS.has(context.commandName ?? "") &&
        archived(Key) &&
        !mirror.etags.has(Key)
      ) {
        let load = loading.get(Key);
        if (load === undefined) {
          load = restoreObject(target, mirror, Key);
          loading.set(Key, load);
        }
        await load;
      }
      return next(args);
    },
    { step: "initialize", name: "embeddedBucketRestoreOnRequest" },
  );
}
