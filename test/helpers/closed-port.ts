import { createSocket } from "node:dgram";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";

/**
 * A loopback port on which nothing listens, over UDP and TCP, that stays closed for the test.
 *
 * It is taken below the kernel's ephemeral range on purpose. A port freed from the ephemeral range
 * (bind to 0, then close) can be handed out again at any moment: to a server another test file
 * starts, or as the source port of the very socket that sends to it. A UDP socket whose source
 * port is its destination port talks to itself, and c-ares reads its own echoed query as an
 * empty answer (NODATA), so "nothing listens" turns into "the server answered" about once in a
 * few hundred runs. Ports below the ephemeral range are only ever taken by an explicit bind.
 */
export async function closedLoopbackPort(): Promise<number> {
  const low = await ephemeralRangeStart();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low - 1 - Math.floor(Math.random() * Math.min(10_000, low - 1_024));
    if ((await udpFree(port)) && (await tcpFree(port))) return port;
  }
  throw new Error(`no closed loopback port found below ${low}`);
}

async function ephemeralRangeStart(): Promise<number> {
  let text: string;
  try {
    text = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8");
  } catch {
    return 49_152; // Not Linux: the IANA dynamic range.
  }
  const low = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isInteger(low) || low <= 2_048) {
    // A port taken below such a range would still be inside it, where the flake above recurs.
    throw new Error(`the ephemeral port range starts at ${text.trim()}: no closed port is safe`);
  }
  return low;
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
