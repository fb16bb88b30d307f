import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { expect } from "vitest";

/** The published JSON Schema of the SNS contract, compiled once. */
const schemaPath = fileURLToPath(
  new URL("../../schema/drift-notification.schema.json", import.meta.url),
);
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));

/** Schema errors of a message, as readable lines (empty when valid). */
export function notificationSchemaErrors(message: unknown): string[] {
  if (validate(message)) return [];
  return (validate.errors ?? []).map(
    (error: ErrorObject) => `${error.instancePath || "/"} ${error.message ?? ""}`,
  );
}

/** Asserts that every message is valid against schema/drift-notification.schema.json. */
export function expectValidNotifications(messages: readonly unknown[]): void {
  expect(messages.length).toBeGreaterThan(0);
  for (const message of messages) expect(notificationSchemaErrors(message)).toEqual([]);
}
