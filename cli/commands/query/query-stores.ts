import type { Runtime } from "#cli/runtime";
import { createDynamoEventStore } from "#shared/adapters/dynamodb/event-store";
import { createDynamoObservationStore } from "#shared/adapters/dynamodb/observation-store";

/** The read sides the auditor's queries ask, over the store a runtime opened. */

export function observationQueries(runtime: Runtime) {
  return createDynamoObservationStore({
    documents: runtime.clients.documents,
    tableName: runtime.tableName,
  });
}

export function eventQueries(runtime: Runtime) {
  return createDynamoEventStore({
    documents: runtime.clients.documents,
    tableName: runtime.tableName,
  });
}
