import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { AwsClients } from "#shared/adapters/aws/clients";
import type { JudgeDrift } from "#shared/detect/judge-drift";

/**
 * Faults at the adapter boundary, for the crash tests: the process "dies" where the error is
 * thrown, and nothing after it runs.
 */

/** What DynamoDB answers when it cannot take a write (an SDK error, as the adapters see it). */
export function dynamoUnavailable(): Error {
  return Object.assign(new Error("DynamoDB is unavailable (injected)"), {
    name: "InternalServerError",
    $fault: "server",
  });
}

/**
 * The stack's clients, with DynamoDB refusing the next `times` writes of change events and
 * change sets (`EVENT#…` items) once `arm` is called: the commit step fails after the
 * observations or the feed pointer were saved.
 */
export function failingEventCommits(clients: AwsClients) {
  let armed = 0;
  let failures = 0;
  const send = clients.documents.send.bind(clients.documents);
  const documents = new Proxy(clients.documents, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return (command: unknown, ...rest: unknown[]) => {
        if (
          armed > 0 &&
          command instanceof PutCommand &&
          String(command.input.Item?.pk).startsWith("EVENT#")
        ) {
          armed--;
          failures++;
          return Promise.reject(dynamoUnavailable());
        }
        return (send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
      };
    },
  });
  return {
    clients: { ...clients, documents } satisfies AwsClients,
    arm(times = 1) {
      armed = times;
    },
    failures: () => failures,
  };
}

/** A `judgeDrift` that fails its next call once armed (the compare step dies before committing). */
export function failingOnce(judgeDrift: JudgeDrift) {
  let armed = false;
  const wrapped: JudgeDrift = (input) => {
    if (!armed) return judgeDrift(input);
    armed = false;
    return Promise.reject(dynamoUnavailable());
  };
  return {
    judgeDrift: wrapped,
    arm() {
      armed = true;
    },
  };
}
