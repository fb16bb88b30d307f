/** The latest of ISO timestamps, null for none. */
export function latest(times: readonly string[]): string | null {
  let best: string | null = null;
  for (const time of times) if (best === null || time > best) best = time;
  return best;
}

/** The earliest of ISO timestamps, `""` for none. */
export function earliest(times: readonly string[]): string {
  let best = times[0] ?? "";
  for (const time of times) if (time < best) best = time;
  return best;
}
