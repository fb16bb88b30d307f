import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signGet, signingRegion } from "#cli/api/sigv4";

/**
 * The CLI signs its audit API calls with SigV4 for `execute-api`. The signature is recomputed
 * here from the AWS specification (canonical request, string to sign, derived key), independently
 * of the SDK's signer, so the test proves the request is signed as API Gateway checks it, not
 * only that an Authorization header is present.
 */

const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const SIGNING_DATE = new Date("2026-12-03T17:00:00.000Z");

const hmac = (key: string | Buffer, data: string) =>
  createHmac("sha256", key).update(data).digest();
const sha256 = (data: string) => createHash("sha256").update(data).digest("hex");
/** RFC 3986 encoding, as SigV4 wants it (unreserved characters only). */
const encode = (text: string) =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/** SigV4 per the specification, for a GET without a body. */
function expectedSignature(url: URL, headers: Record<string, string>, region: string): string {
  const signedHeaders = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name !== "authorization")
    .sort();
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(headers[name] ?? "").trim()}\n`)
    .join("");
  const canonicalQuery = [...url.searchParams]
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  const canonicalUri = url.pathname.split("/").map(encode).join("/");
  const canonicalRequest = [
    "GET",
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(";"),
    sha256(""),
  ].join("\n");
  const amzDate = headers["x-amz-date"] ?? "";
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/execute-api/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const key = ["execute-api", "aws4_request"].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(`AWS4${CREDENTIALS.secretAccessKey}`, day), region),
  );
  return createHmac("sha256", key).update(stringToSign).digest("hex");
}

describe("signGet", () => {
  it("signs a GET for execute-api: Authorization with the credential scope and signed headers, x-amz-date", async () => {
    // Prepare
    const url = new URL(
      "https://abc123.execute-api.eu-west-1.amazonaws.com/history/applianceupdate.clearswift.com?limit=10&from=2026-08-21T00:00:00Z",
    );

    // Act
    const { headers } = await signGet(url, {
      region: "eu-west-1",
      credentials: CREDENTIALS,
      signingDate: SIGNING_DATE,
    });

    // Assess
    expect(headers["x-amz-date"]).toBe("20261203T170000Z");
    expect(headers.host).toBe("abc123.execute-api.eu-west-1.amazonaws.com");
    const authorization = headers.authorization ?? "";
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261203\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(authorization.split("Signature=")[1]).toBe(expectedSignature(url, headers, "eu-west-1"));
  });

  it("signs a path with characters to escape and a local URL with a port", async () => {
    const url = new URL("http://127.0.0.1:8123/ips/2001:db8::1");

    const { headers } = await signGet(url, {
      region: "us-east-1",
      credentials: CREDENTIALS,
      signingDate: SIGNING_DATE,
    });

    expect(headers.host).toBe("127.0.0.1:8123");
    expect(headers.authorization?.split("Signature=")[1]).toBe(
      expectedSignature(url, headers, "us-east-1"),
    );
  });

  it("sends the session token of temporary credentials, signed", async () => {
    const { headers } = await signGet(new URL("https://api.example.com/events"), {
      region: "eu-west-1",
      credentials: { ...CREDENTIALS, sessionToken: "FwoGZXIvYXdzEXAMPLE" },
      signingDate: SIGNING_DATE,
    });

    expect(headers["x-amz-security-token"]).toBe("FwoGZXIvYXdzEXAMPLE");
    expect(headers.authorization).toContain("x-amz-security-token");
  });

  it("changes the signature with the query string, so a tampered query is refused", async () => {
    const sign = async (query: string) =>
      (
        await signGet(new URL(`https://api.example.com/events${query}`), {
          region: "eu-west-1",
          credentials: CREDENTIALS,
          signingDate: SIGNING_DATE,
        })
      ).headers.authorization;

    expect(await sign("?limit=10")).not.toBe(await sign("?limit=1000"));
  });
});

describe("signingRegion", () => {
  it("reads the region from an execute-api host name, else from AWS_REGION", () => {
    const api = new URL("https://abc123.execute-api.ap-southeast-2.amazonaws.com/");
    const local = new URL("http://127.0.0.1:8123/");

    expect(signingRegion(api, { AWS_REGION: "eu-west-1" })).toBe("ap-southeast-2");
    expect(signingRegion(local, { AWS_REGION: "eu-west-1" })).toBe("eu-west-1");
    expect(signingRegion(local, {})).toBeUndefined();
  });
});
