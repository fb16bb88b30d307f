import type { Endpoint, ExtractedFact, Pool, PortSpec, ReviewFlag } from "#shared/catalogue/schema";

/** The document's lines, to quote the line each fact was read on. */
export class SourceLines {
  constructor(private readonly lines: string[]) {}

  /**
   * A fact read on a 1-based line; `assumed` says what a reviewer must check. An address not on
   * that line is looked for on the next ones (an HTML row spans several lines of the document).
   */
  fact(
    fact: ExtractedFact["fact"],
    value: string,
    line: number,
    confidence: ExtractedFact["confidence"],
    assumed?: string,
  ): ExtractedFact {
    const at =
      fact === "hostname" || fact === "ip" || fact === "range"
        ? this.lineOf(value, line)
        : Math.max(1, line);
    const text = (this.lines[at - 1] ?? "").replace(/\s+/g, " ").trim().slice(0, 200);
    return { fact, value, line: at, text, confidence, ...(assumed ? { assumed } : {}) };
  }

  private lineOf(value: string, line: number): number {
    const wanted = value.replace(/^\*\./, "").toLowerCase();
    for (let at = Math.max(1, line); at < line + 20 && at <= this.lines.length; at++) {
      if ((this.lines[at - 1] ?? "").toLowerCase().includes(wanted)) return at;
    }
    return Math.max(1, line);
  }
}

/** `tcp/443/out` */
export function portValue(port: PortSpec): string {
  return `${port.protocol}/${port.port}/${port.direction}`;
}

const PATH_OF: Record<ExtractedFact["fact"], string> = {
  hostname: "hostname",
  ip: "ips",
  range: "ranges",
  port: "ports",
  policy: "policy",
  pool: "pool",
};

/** A review flag for every assumed fact of the draft's endpoints and pools, by path. */
export function reviewFlagsOf(endpoints: Endpoint[], pools: Pool[]): ReviewFlag[] {
  const flags: ReviewFlag[] = [];
  endpoints.forEach((endpoint, i) => {
    for (const fact of endpoint.facts ?? []) {
      if (fact.assumed === undefined) continue;
      const path = `endpoints[${i}].${PATH_OF[fact.fact]}`;
      flags.push({ path, subject: endpoint.id, line: fact.line, reason: fact.assumed });
    }
  });
  pools.forEach((pool, i) => {
    for (const fact of pool.facts ?? []) {
      if (fact.assumed === undefined) continue;
      flags.push({ path: `pools[${i}]`, subject: pool.id, line: fact.line, reason: fact.assumed });
    }
  });
  return flags;
}
