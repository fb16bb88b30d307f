import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { access, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * NSD (Debian's `nsd` package) serving a generated root zone on a loopback port, with its own
 * configuration, pid file and control socket in a temporary directory: no system service, no
 * port 53. Its statistics (`nsd-control stats`) count the queries each run asked.
 */
export interface NsdServer {
  address: string;
  /** Queries answered since the last call (NSD's counters are reset by reading them). */
  takeQueryCount(): Promise<number>;
  /** Re-reads the zone file after it changed. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

const run = promisify(execFile);
const NSD = "/usr/sbin/nsd";
const NSD_CONTROL = "/usr/sbin/nsd-control";
const NSD_CHECKZONE = "/usr/sbin/nsd-checkzone";

async function installed(): Promise<boolean> {
  return access(NSD).then(
    () => true,
    () => false,
  );
}

/**
 * NSD, installed with `apt-get install -y nsd` when missing. Returns why it is not available
 * instead of throwing, so the bench can fall back to the loopback server and say so.
 */
export async function ensureNsd(log: (line: string) => void): Promise<string | null> {
  if (await installed()) return null;
  log("NSD is not installed: apt-get install -y nsd");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    await run("apt-get", ["install", "-y", "nsd"], { env, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    return `apt-get install -y nsd failed: ${(error as Error).message.split("\n")[0]}`;
  }
  return (await installed()) ? null : "apt-get install -y nsd did not install /usr/sbin/nsd";
}

/** A loopback port free for both UDP and TCP just now. */
async function freePort(): Promise<number> {
  for (;;) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve) =>
      tcp.listen(0, "127.0.0.1", () => resolve((tcp.address() as { port: number }).port)),
    );
    const udp = createSocket("udp4");
    const free = await new Promise<boolean>((resolve) => {
      udp.once("error", () => resolve(false));
      udp.bind(port, "127.0.0.1", () => resolve(true));
    });
    udp.close();
    await new Promise((resolve) => tcp.close(resolve));
    if (free) return port;
  }
}

function configText(dir: string, port: number, zoneFile: string): string {
  return `server:
  ip-address: 127.0.0.1
  port: ${port}
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  pidfile: "${join(dir, "nsd.pid")}"
  xfrdfile: "${join(dir, "xfrd.state")}"
  xfrdir: "${dir}"
  zonelistfile: "${join(dir, "zone.list")}"
  logfile: "${join(dir, "nsd.log")}"
  verbosity: 1
  server-count: 1
  round-robin: yes
  hide-version: yes
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: yes
  control-interface: "${join(dir, "nsd.sock")}"
zone:
  name: "."
  zonefile: "${zoneFile}"
`;
}

/** Checks the zone (`nsd-checkzone`), writes the configuration and starts `nsd -d`. */
export async function startNsd(dir: string, zoneFile: string): Promise<NsdServer> {
  await run(NSD_CHECKZONE, [".", zoneFile]);
  const port = await freePort();
  const config = join(dir, "nsd.conf");
  await writeFile(config, configText(dir, port, zoneFile));
  const child: ChildProcess = spawn(NSD, ["-d", "-c", config], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const control = (...args: string[]) => run(NSD_CONTROL, ["-c", config, ...args]);
  for (let attempt = 0; ; attempt++) {
    const ready = await control("status").then(
      () => true,
      () => false,
    );
    if (ready) break;
    if (attempt > 100 || child.exitCode !== null) {
      const log = await readFile(join(dir, "nsd.log"), "utf8").catch(() => "");
      child.kill();
      throw new Error(`nsd did not start on 127.0.0.1:${port}: ${log.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await control("stats");
  return {
    address: `127.0.0.1:${port}`,
    async takeQueryCount() {
      const { stdout } = await control("stats");
      return Number(/^num\.queries=(\d+)$/m.exec(stdout)?.[1] ?? Number.NaN);
    },
    async reload() {
      await control("reload", ".");
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
