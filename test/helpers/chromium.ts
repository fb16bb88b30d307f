import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";

/**
 * Headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe
 * (`--remote-debugging-pipe`: fd 3 in, fd 4 out, NUL-separated JSON), so no WebSocket client
 * and no npm package is needed. `scripts/ensure-chromium.sh` installs it (CI calls it).
 */

/** The Chromium binary: `CHROMIUM` or the first of Debian's names on the PATH. */
export function chromiumBinary(): string {
  const candidates = [process.env.CHROMIUM, "chromium", "chromium-browser"].filter(
    (name): name is string => name !== undefined && name !== "",
  );
  for (const name of candidates) {
    if (spawnSync(name, ["--version"], { stdio: "ignore" }).status === 0) return name;
  }
  throw new Error(
    "no Chromium found (tried CHROMIUM, chromium, chromium-browser): run scripts/ensure-chromium.sh",
  );
}

/** What loading a page showed. */
export interface PageCheck {
  /** Console messages of level error, uncaught exceptions and browser log errors. */
  consoleErrors: string[];
  /** Every request the page made but for the page itself (`file:`, `data:` or not). */
  requests: string[];
  /** The full-page screenshot, PNG. */
  screenshot: Buffer;
  /** The screenshot printed (`@media print`) as a PDF. */
  pdf: Buffer;
  title: string;
}

interface CdpMessage {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

class CdpPipe {
  private next = 1;
  private buffer = "";
  private readonly waiting = new Map<number, (message: CdpMessage) => void>();
  readonly events: CdpMessage[] = [];
  private readonly listeners: ((message: CdpMessage) => void)[] = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding("utf8");
    output.on("data", (chunk: string) => {
      this.buffer += chunk;
      let end = this.buffer.indexOf("\0");
      while (end >= 0) {
        this.dispatch(JSON.parse(this.buffer.slice(0, end)) as CdpMessage);
        this.buffer = this.buffer.slice(end + 1);
        end = this.buffer.indexOf("\0");
      }
    });
  }

  private dispatch(message: CdpMessage): void {
    if (message.id !== undefined) {
      this.waiting.get(message.id)?.(message);
      this.waiting.delete(message.id);
      return;
    }
    this.events.push(message);
    for (const listener of this.listeners) listener(message);
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.next++;
    const message = { id, method, params, ...(sessionId !== undefined ? { sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (answer) => {
        if (answer.error !== undefined) reject(new Error(`${method}: ${answer.error.message}`));
        else resolve(answer.result ?? {});
      });
      this.input.write(`${JSON.stringify(message)}\0`);
    });
  }

  once(method: string, timeoutMs: number): Promise<CdpMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${method} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.listeners.push((message) => {
        if (message.method !== method) return;
        clearTimeout(timer);
        resolve(message);
      });
    });
  }
}

function describeEvent(message: CdpMessage): string | null {
  const params = message.params ?? {};
  if (message.method === "Runtime.consoleAPICalled" && params.type === "error") {
    const args = (params.args as { value?: unknown; description?: string }[] | undefined) ?? [];
    return `console.error: ${args.map((a) => String(a.value ?? a.description)).join(" ")}`;
  }
  if (message.method === "Runtime.exceptionThrown") {
    return `exception: ${JSON.stringify(params.exceptionDetails)}`;
  }
  if (message.method === "Log.entryAdded") {
    const entry = params.entry as { level?: string; text?: string; url?: string } | undefined;
    if (entry?.level === "error") return `log: ${entry.text ?? ""} ${entry.url ?? ""}`.trim();
  }
  return null;
}

/**
 * Loads `htmlFile` in a fresh headless Chromium (its own profile, no network: every host name
 * resolves to nothing), waits for the load event, and reports the console errors, the requests
 * other than the page itself, a full-page screenshot and the page printed to PDF.
 */
export async function checkPageInChromium(
  htmlFile: string,
  timeoutMs = 30_000,
): Promise<PageCheck> {
  const profile = await mkdtemp(join(tmpdir(), "driftwatch-chromium-"));
  const child: ChildProcess = spawn(
    chromiumBinary(),
    [
      "--headless",
      "--remote-debugging-pipe",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--host-resolver-rules=MAP * ~NOTFOUND",
      `--user-data-dir=${profile}`,
      "--window-size=1280,900",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const cdp = new CdpPipe(child.stdio[3] as Writable, child.stdio[4] as Readable);
  try {
    return await inspectPage(cdp, pathToFileURL(htmlFile).href, timeoutMs);
  } catch (error) {
    throw new Error(
      `Chromium check of ${htmlFile} failed: ${String(error)}\n${stderr.slice(-2000)}`,
    );
  } finally {
    // Closed through the protocol, so its helper processes are gone before the profile is.
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await cdp.send("Browser.close").catch(() => child.kill("SIGKILL"));
    await exited;
    clearTimeout(killer);
    await rm(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

async function inspectPage(cdp: CdpPipe, url: string, timeoutMs: number): Promise<PageCheck> {
  const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = (await cdp.send("Target.attachToTarget", { targetId, flatten: true })) as {
    sessionId: string;
  };
  for (const domain of ["Runtime", "Log", "Network", "Page"]) {
    await cdp.send(`${domain}.enable`, {}, sessionId);
  }
  const loaded = cdp.once("Page.loadEventFired", timeoutMs);
  await cdp.send("Page.navigate", { url }, sessionId);
  await loaded;
  const { result } = (await cdp.send(
    "Runtime.evaluate",
    { expression: "document.title" },
    sessionId,
  )) as {
    result: { value: string };
  };
  const shot = await cdp.send(
    "Page.captureScreenshot",
    { format: "png", captureBeyondViewport: true },
    sessionId,
  );
  const pdf = await cdp.send("Page.printToPDF", { landscape: true }, sessionId);
  const ours = cdp.events.filter((event) => event.sessionId === sessionId);
  return {
    consoleErrors: ours.map(describeEvent).filter((text): text is string => text !== null),
    requests: ours
      .filter((event) => event.method === "Network.requestWillBeSent")
      .map((event) => String((event.params?.request as { url?: string } | undefined)?.url))
      .filter((requested) => requested !== url),
    screenshot: Buffer.from(String(shot.data), "base64"),
    pdf: Buffer.from(String(pdf.data), "base64"),
    title: result.value,
  };
}

/** A PNG's size and how many distinct colours its pixels have (8-bit RGB/RGBA, no interlace). */
export function pngColours(png: Buffer): { width: number; height: number; colours: number } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const channels = png[25] === 6 ? 4 : png[25] === 2 ? 3 : 0;
  if (png[24] !== 8 || channels === 0 || png[28] !== 0) {
    throw new Error("only 8-bit, non-interlaced RGB or RGBA PNGs are read");
  }
  const chunks: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    if (png.toString("latin1", offset + 4, offset + 8) === "IDAT") {
      chunks.push(png.subarray(offset + 8, offset + 8 + length));
    }
    offset += length + 12;
  }
  const data = inflateSync(Buffer.concat(chunks));
  const stride = width * channels;
  const previous = Buffer.alloc(stride);
  const row = Buffer.alloc(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const filter = data[y * (stride + 1)] ?? 0;
    const line = data.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? (row[i - channels] ?? 0) : 0;
      const b = previous[i] ?? 0;
      const c = i >= channels ? (previous[i - channels] ?? 0) : 0;
      row[i] = ((line[i] ?? 0) + unfilter(filter, a, b, c)) & 0xff;
    }
    for (let x = 0; x < width; x += 1) {
      const p = x * channels;
      colours.add(((row[p] ?? 0) << 16) | ((row[p + 1] ?? 0) << 8) | (row[p + 2] ?? 0));
    }
    row.copy(previous);
  }
  return { width, height, colours: colours.size };
}

function unfilter(filter: number, a: number, b: number, c: number): number {
  if (filter === 1) return a;
  if (filter === 2) return b;
  if (filter === 3) return (a + b) >> 1;
  if (filter === 4) {
    const p = a + b - c;
    const pa = Math.abs(p - a);
    const pb = Math.abs(p - b);
    const pc = Math.abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  }
  return 0;
}
