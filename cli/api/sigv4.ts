import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Checksum,
  SourceData,
} from "@smithy/types";

/**
 * Signing a GET for the audit HTTP API (API Gateway, IAM authorization) with AWS Signature
 * Version 4, service `execute-api`: the SDK's own signer (@smithy/signature-v4) with node:crypto
 * for the SHA-256 and HMAC it needs.
 */

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === "string") return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** SHA-256, or HMAC-SHA-256 with a secret: the hash constructor the signer asks for. */
class Sha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined
      ? createHash("sha256")
      : createHmac("sha256", bytes(this.secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface SignedGet {
  /** The URL to send it to (as given). */
  url: URL;
  /** `host`, `x-amz-date`, `x-amz-content-sha256`, `authorization` (and the session token). */
  headers: Record<string, string>;
}

/** A GET of `url` signed for API Gateway in `region`. `signingDate` for tests; now otherwise. */
export async function signGet(
  url: URL,
  options: { region: string; credentials: Credentials; signingDate?: Date },
): Promise<SignedGet> {
  const signer = new SignatureV4({
    service: "execute-api",
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
    uriEscapePath: true,
  });
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const signed = await signer.sign(
    {
      method: "GET",
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port !== "" ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { host: url.host },
    },
    options.signingDate !== undefined ? { signingDate: options.signingDate } : {},
  );
  return { url, headers: { ...signed.headers } };
}

const EXECUTE_API_HOST = /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$/;

/** The region to sign for: the API's host names it (`…execute-api.<region>.amazonaws.com`), else AWS_REGION. */
export function signingRegion(url: URL, env: NodeJS.ProcessEnv): string | undefined {
  return EXECUTE_API_HOST.exec(url.hostname)?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
}
