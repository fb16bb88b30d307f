import { createHash } from "node:crypto";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { type ObjectArchive, ObjectArchiveError } from "#shared/domain/object-archive";

/** The S3 adapter of the `ObjectArchive` port (shared/domain/object-archive.ts). */
export function createS3ObjectArchive(deps: { s3: S3Client; bucketName: string }): ObjectArchive {
  const { s3, bucketName } = deps;

  /**
   * The object's head, or null when it does not exist. Without s3:ListBucket, S3 answers 403
   * for a missing key: `putIfChanged` then writes (a real permission problem fails the put).
   */
  async function head(key: string, forbiddenMeansMissing: boolean) {
    try {
      return await s3.send(new HeadObjectCommand({ Bucket: bucketName, Key: key }));
    } catch (error) {
      const status = httpStatus(error);
      if (error instanceof NotFound || status === 404) return null;
      if (forbiddenMeansMissing && status === 403) return null;
      throw new ObjectArchiveError(key, "head failed", { cause: error });
    }
  }

  return {
    async putIfChanged(key, bytes, contentType, metadata = {}, options = {}) {
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const existing = options.overwrite === true ? null : await head(key, true);
      if (existing !== null) {
        const storedSha = existing.Metadata?.sha256;
        // Objects restored without metadata still carry an ETag: the md5 of a single-part put.
        const md5 = createHash("md5").update(bytes).digest("hex");
        if (storedSha === sha256 || (storedSha === undefined && existing.ETag === `"${md5}"`)) {
          return false;
        }
      }
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucketName,
            Key: key,
            Body: bytes,
            ContentType: contentType,
            Metadata: asciiMetadata({ ...metadata, sha256 }),
          }),
        );
      } catch (error) {
        throw new ObjectArchiveError(key, "put failed", { cause: error });
      }
      return true;
    },

    async get(key) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
        const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
        return {
          bytes,
          ...(response.ContentType !== undefined ? { contentType: response.ContentType } : {}),
          metadata: response.Metadata ?? {},
        };
      } catch (error) {
        if (error instanceof NoSuchKey || httpStatus(error) === 404) return null;
        const hint =
          httpStatus(error) === 403
            ? " (missing, or access denied: without s3:ListBucket S3 answers 403 for a missing key)"
            : "";
        throw new ObjectArchiveError(key, `get failed${hint}`, { cause: error });
      }
    },

    async exists(key) {
      return (await head(key, false)) !== null;
    },

    async etags(prefix) {
      const found = new Map<string, string>();
      let token: string | undefined;
      do {
        const page = await s3
          .send(
            new ListObjectsV2Command({
              Bucket: bucketName,
              Prefix: prefix,
              ...(token === undefined ? {} : { ContinuationToken: token }),
            }),
          )
          .catch((error: unknown) => {
            throw new ObjectArchiveError(prefix, "list failed", { cause: error });
          });
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined && object.ETag !== undefined) {
            found.set(object.Key, object.ETag.replace(/"/g, ""));
          }
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return found;
    },
  };
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
}

/** S3 metadata travels in HTTP headers: lower-case keys, US-ASCII values. */
function asciiMetadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    out[key.toLowerCase()] = /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
  }
  return out;
}
