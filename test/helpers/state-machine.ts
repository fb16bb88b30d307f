/**
 * A small interpreter of the Amazon States Language subset the sharded run's state machine uses
 * (serverless.yml, ShardedRunStateMachine): Task states whose Resource is a Lambda ARN, an inline
 * Map with ItemsPath / ItemSelector / MaxConcurrency / ItemProcessor, Parameters, ResultPath,
 * Retry (ErrorEquals, MaxAttempts, IntervalSeconds, BackoffRate, MaxDelaySeconds) and Next/End.
 * Anything else in a definition throws, so a test never passes over a state it cannot run.
 * Retry intervals are recorded, not slept. Tasks run `invoke(resource, input)`: a test maps each
 * Lambda ARN to a local handler or a packaged bundle.
 */

export interface AslRetrier {
  ErrorEquals: string[];
  MaxAttempts?: number;
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}

export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ItemsPath?: string;
  ItemSelector?: Record<string, unknown>;
  MaxConcurrency?: number;
  ItemProcessor?: AslMachine & { ProcessorConfig?: { Mode?: string } };
  ResultPath?: string | null;
  Retry?: AslRetrier[];
  Next?: string;
  End?: boolean;
}

export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
  Comment?: string;
  TimeoutSeconds?: number;
}

/** What happened, in order: each task attempt, its outcome, and each retry's delay. */
export type AslEvent =
  | { type: "TaskStarted"; state: string; resource: string; input: unknown; attempt: number }
  | { type: "TaskSucceeded"; state: string; output: unknown }
  | { type: "TaskFailed"; state: string; error: string; message: string }
  | { type: "RetryScheduled"; state: string; delaySeconds: number }
  | { type: "MapStarted"; state: string; items: number }
  | { type: "MapSucceeded"; state: string };

/** The execution failed: the error of the state that failed for good. */
export class ExecutionFailedError extends Error {
  override readonly name = "ExecutionFailedError";
  constructor(
    readonly state: string,
    readonly error: string,
    readonly causeMessage: string,
  ) {
    super(`execution failed in ${state}: ${error}: ${causeMessage}`);
  }
}

export class UnsupportedAslError extends Error {
  override readonly name = "UnsupportedAslError";
}

export type TaskInvoker = (resource: string, input: unknown) => Promise<unknown>;

const SUPPORTED_KEYS = new Set([
  "Type",
  "Resource",
  "Parameters",
  "ItemsPath",
  "ItemSelector",
  "MaxConcurrency",
  "ItemProcessor",
  "ResultPath",
  "Retry",
  "Next",
  "End",
  "Comment",
]);

/** `$`, `$.a.b` or `$$.Map.Item.Value` / `$$.Map.Item.Index` against the input and the context. */
function readPath(path: string, input: unknown, context: Record<string, unknown>): unknown {
  const [root, ...keys] = path.split(".");
  let current: unknown = root === "$$" ? context : root === "$" ? input : undefined;
  if (current === undefined) throw new UnsupportedAslError(`path ${path}`);
  for (const key of keys) {
    if (current === null || typeof current !== "object" || !(key in current)) {
      throw new ExecutionFailedError("(path)", "States.Runtime", `${path} is not in the input`);
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A payload template: keys ending in `.$` take the value at their path. */
function fill(
  template: Record<string, unknown>,
  input: unknown,
  context: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) =>
      key.endsWith(".$")
        ? [key.slice(0, -2), readPath(String(value), input, context)]
        : [key, value],
    ),
  );
}

function withResult(input: unknown, resultPath: string | null | undefined, result: unknown) {
  if (resultPath === undefined || resultPath === "$") return result;
  if (resultPath === null) return input;
  const match = /^\$\.([A-Za-z0-9_]+)$/.exec(resultPath);
  if (match?.[1] === undefined) throw new UnsupportedAslError(`ResultPath ${resultPath}`);
  return { ...(input as Record<string, unknown>), [match[1]]: result };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}

export interface Execution {
  output: unknown;
  events: AslEvent[];
}

/** Runs `machine` on `input`; rejects with `ExecutionFailedError` when a state fails for good. */
export async function runStateMachine(
  machine: AslMachine,
  input: unknown,
  invoke: TaskInvoker,
): Promise<Execution> {
  const events: AslEvent[] = [];
  const output = await runStates(machine, input, {}, invoke, events);
  return { output, events };
}

async function runStates(
  machine: AslMachine,
  input: unknown,
  context: Record<string, unknown>,
  invoke: TaskInvoker,
  events: AslEvent[],
): Promise<unknown> {
  let name: string | undefined = machine.StartAt;
  let current = input;
  while (name !== undefined) {
    const state: AslState | undefined = machine.States[name];
    if (state === undefined) throw new UnsupportedAslError(`no state ${name}`);
    const unknownKeys = Object.keys(state).filter((key) => !SUPPORTED_KEYS.has(key));
    if (unknownKeys.length > 0) throw new UnsupportedAslError(`${name}: ${unknownKeys.join(", ")}`);
    let result: unknown;
    if (state.Type === "Task") {
      const payload = state.Parameters ? fill(state.Parameters, current, context) : current;
      result = await runTask(name, state, payload, invoke, events);
    } else if (state.Type === "Map") {
      result = await runMap(name, state, current, invoke, events);
    } else {
      throw new UnsupportedAslError(`${name}: state type ${state.Type}`);
    }
    current = withResult(current, state.ResultPath, result);
    if (state.End === true) return current;
    name = state.Next;
    if (name === undefined) throw new UnsupportedAslError("a state with neither Next nor End");
  }
  return current;
}

async function runTask(
  name: string,
  state: AslState,
  payload: unknown,
  invoke: TaskInvoker,
  events: AslEvent[],
): Promise<unknown> {
  const resource = state.Resource;
  if (resource === undefined) throw new UnsupportedAslError(`${name}: Task without Resource`);
  const attempts = new Map<AslRetrier, number>();
  for (let attempt = 1; ; attempt++) {
    events.push({ type: "TaskStarted", state: name, resource, input: payload, attempt });
    try {
      const output = await invoke(resource, structuredClone(payload));
      const roundTripped: unknown =
        output === undefined ? null : JSON.parse(JSON.stringify(output));
      events.push({ type: "TaskSucceeded", state: name, output: roundTripped });
      return roundTripped;
    } catch (error) {
      const error_ = errorName(error);
      const message = error instanceof Error ? error.message : String(error);
      events.push({ type: "TaskFailed", state: name, error: error_, message });
      const retrier = (state.Retry ?? []).find(
        (r) => r.ErrorEquals.includes(error_) || r.ErrorEquals.includes("States.ALL"),
      );
      const used = retrier === undefined ? 0 : (attempts.get(retrier) ?? 0);
      if (retrier === undefined || used >= (retrier.MaxAttempts ?? 3)) {
        throw new ExecutionFailedError(name, error_, message);
      }
      attempts.set(retrier, used + 1);
      const delay = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** used;
      events.push({
        type: "RetryScheduled",
        state: name,
        delaySeconds: Math.min(delay, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY),
      });
    }
  }
}

async function runMap(
  name: string,
  state: AslState,
  input: unknown,
  invoke: TaskInvoker,
  events: AslEvent[],
): Promise<unknown[]> {
  const processor = state.ItemProcessor;
  if (processor === undefined) throw new UnsupportedAslError(`${name}: Map without ItemProcessor`);
  if ((processor.ProcessorConfig?.Mode ?? "INLINE") !== "INLINE") {
    throw new UnsupportedAslError(`${name}: only an inline Map`);
  }
  const items = readPath(state.ItemsPath ?? "$", input, {});
  if (!Array.isArray(items)) {
    throw new ExecutionFailedError(name, "States.Runtime", `${state.ItemsPath} is not an array`);
  }
  events.push({ type: "MapStarted", state: name, items: items.length });
  const limit =
    state.MaxConcurrency && state.MaxConcurrency > 0 ? state.MaxConcurrency : items.length;
  const results: unknown[] = new Array(items.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      const context = { Map: { Item: { Value: items[index], Index: index } } };
      const itemInput = state.ItemSelector
        ? fill(state.ItemSelector, input, context)
        : items[index];
      try {
        results[index] = await runStates(processor, itemInput, context, invoke, events);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
  events.push({ type: "MapSucceeded", state: name });
  return results;
}
