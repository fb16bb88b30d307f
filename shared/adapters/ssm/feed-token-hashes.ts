import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";

/** The token-hash parameter could not be read (missing, access denied, throttled, SSM down). */
export class FeedTokenParameterError extends Error {
  override readonly name = "FeedTokenParameterError";
  constructor(
    readonly parameterName: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`SSM parameter ${parameterName}: ${problem}`, options);
  }
}

/**
 * Reads the firewall feed's token hashes: the SSM parameter's value, decrypted (a SecureString;
 * a String is read as well, it only holds hashes). What the value means is the authorizer's
 * business (`parseTokenHashes`).
 */
export function createSsmFeedTokenHashes(deps: {
  ssm: SSMClient;
  parameterName: string;
}): () => Promise<string> {
  const { ssm, parameterName } = deps;
  return async () => {
    let value: string | undefined;
    try {
      const response = await ssm.send(
        new GetParameterCommand({ Name: parameterName, WithDecryption: true }),
      );
      value = response.Parameter?.Value;
    } catch (error) {
      const name = error instanceof Error ? error.name : "Error";
      const code = (error as { code?: unknown }).code;
      const why = typeof code === "string" && code !== name ? `${name} ${code}` : name;
      throw new FeedTokenParameterError(parameterName, `read failed (${why})`, { cause: error });
    }
    if (value === undefined) throw new FeedTokenParameterError(parameterName, "has no value");
    return value;
  };
}
