/** A DynamoDB call of the observation store failed, or a stored item is malformed. */
export class ObservationStoreError extends Error {
  override name = "ObservationStoreError";
}

/** A failed condition (the item exists), which callers of the store handle themselves. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

/**
 * Runs one DynamoDB call, turning any failure but a failed condition into an
 * `ObservationStoreError` saying `what` failed (the SDK error as its cause).
 */
export async function storeCall<T>(what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ObservationStoreError || isConditionFailure(error)) throw error;
    throw new ObservationStoreError(`${what} failed`, { cause: error });
  }
}
