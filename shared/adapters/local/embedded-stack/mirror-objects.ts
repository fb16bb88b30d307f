import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { AwsClients } from "#shared/adapters/aws/clients";
import type { BucketMirror } from "./bucket-mirror";

/**
 * Writes the objects the mirror does not hold yet (put into the bucket some other way than
 * `clients.s3`, e.g. by a second client on the same endpoint); the rest stay as they are.
 */
export async function mirrorObjects(clients: AwsClients, bucket: string, mirror: BucketMirror) {
  let token: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      if (object.ETag !== undefined && mirror.etags.get(object.Key) === object.ETag) continue;
      const response = await clients.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: object.Key }),
      );
      await mirror.write(
        object.Key,
        (await response.Body?.transformToByteArray()) ?? new Uint8Array(),
      );
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
}
