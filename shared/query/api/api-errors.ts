/**
 * What the audit API answers for a request it cannot serve as asked. Each message is safe to
 * show the caller: it names the parameter and the value as they sent them, never a table, a key
 * or a stack.
 */

/** A parameter is missing, malformed or out of range: 400. */
export class ApiParameterError extends Error {
  override readonly name = "ApiParameterError";
  constructor(
    /** The parameter as the caller knows it: `hostname`, `at`, `limit`, `cursor`... */
    readonly parameter: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${parameter}: ${problem}`, options);
  }
}

/** What was asked for does not exist (a hostname never observed, an unknown route): 404. */
export class ApiNotFoundError extends Error {
  override readonly name = "ApiNotFoundError";
  constructor(
    message: string,
    /** Why, for a program: `reason` and its facts, beside the message in the body. */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The route exists, not for this method: 405. */
export class ApiMethodNotAllowedError extends Error {
  override readonly name = "ApiMethodNotAllowedError";
  constructor(
    readonly allowed: readonly string[],
    message: string,
  ) {
    super(message);
  }
}
