import {
  type CopyObjectCommandInput,
  type DeleteObjectCommandInput,
  type DeleteObjectsCommandInput,
  GetObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { BucketMirror } from "./bucket-mirror";

/**
 * An S3 middleware: once the embedded bucket has accepted a write, the same change is made on
 * disk before the caller sees the response. The request's bytes are used when it has them
 * (PutObject with a string or bytes body); otherwise the object is read back.
 */
export function writeThrough(s3: S3Client, bucket: string, mirror: BucketMirror): void {
  const readBack = async (key: string) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
  };
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { Bucket?: string };
      if (input.Bucket !== bucket) return result;
      switch (context.commandName) {
        case "PutObjectCommand": {
          const { Key, Body } = args.input as PutObjectCommandInput;
          if (Key === undefined) break;
          const bytes =
            typeof Body === "string"
              ? new TextEncoder().encode(Body)
              : Body instanceof Uint8Array
                ? Body
                : await readBack(Key);
          await mirror.write(Key, bytes);
          break;
        }
        case "CopyObjectCommand": {
          const { Key } = args.input as CopyObjectCommandInput;
          if (Key !== undefined) await mirror.write(Key, await readBack(Key));
          break;
        }
        case "DeleteObjectCommand": {
          const { Key } = args.input as DeleteObjectCommandInput;
          if (Key !== undefined) await mirror.remove(Key);
          break;
        }
        case "DeleteObjectsCommand": {
          const { Delete } = args.input as DeleteObjectsCommandInput;
          const keys = (Delete?.Objects ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
          await Promise.all(keys.map((key) => mirror.remove(key)));
          break;
        }
      }
      return result;
    },
    { step: "initialize", name: "embeddedBucketWriteThrough" },
  );
}
