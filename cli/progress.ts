/**
 * Progress on a terminal, nothing when piped: a single status line on stderr, rewritten in place,
 * cleared before the result is printed.
 */
export interface Progress {
  update(message: string): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream, enabled: boolean): Progress {
  if (!enabled || !stream.isTTY) return { update() {}, done() {} };
  let shown = false;
  return {
    update(message) {
      const width = Math.max(20, (stream.columns || 80) - 1);
      stream.write(`\r\x1b[2K${message.slice(0, width)}`);
      shown = true;
    },
    done() {
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}
