import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  createDynamoObservationStore,
  type DynamoObservationStoreOptions,
} from "#shared/adapters/dynamodb/observation-store";
import type { EmbeddedStack } from "#shared/adapters/local/embedded-stack";

/**
 * The observation store over the test stack's table through a client that records the name of
 * every command it sends (`commands`), so a test can count the requests a read or write takes.
 */
export function recordingObservationStore(
  stack: EmbeddedStack,
  options: Omit<DynamoObservationStoreOptions, "documents" | "tableName"> = {},
) {
  const commands: string[] = [];
  const documents = {
    send: (command: { constructor: { name: string } }) => {
      commands.push(command.constructor.name);
      return stack.clients.documents.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
  const store = createDynamoObservationStore({
    documents,
    tableName: stack.tableName,
    ...options,
  });
  return { store, commands };
}
