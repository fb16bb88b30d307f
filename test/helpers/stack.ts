import { type EmbeddedStack, startEmbeddedStack } from "#shared/adapters/local/embedded-stack";

/**
 * Integration-test harness: dynalite and fauxqs on random loopback ports, in memory, with the
 * table, bucket, topic and an inbox queue created. Call `stop()` in `afterAll`/`afterEach`.
 */
export async function startTestStack(): Promise<EmbeddedStack> {
  return startEmbeddedStack({});
}
