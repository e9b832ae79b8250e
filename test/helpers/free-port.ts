/** Picks loopback port numbers that are free for both UDP and TCP, so each test file runs its servers on its own ports. */
import dgram from 'node:dgram';
import net from 'node:net';

const MAX_ATTEMPTS = 50;
/** Numbers already handed out in this process, so two servers of one file never get the same one. */
const handedOut = new Set<number>();

function bindTcp(host: string, port: number): Promise<net.Server | null> {
  return new Promise((resolveBind) => {
    const server = net.createServer();
    server.once('error', () => resolveBind(null));
    server.listen({ host, port, exclusive: true }, () => resolveBind(server));
  });
}

function bindUdp(type: 'udp4' | 'udp6', host: string, port: number): Promise<dgram.Socket | null> {
  return new Promise((resolveBind) => {
    const socket = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
    socket.once('error', () => {
      socket.close();
      resolveBind(null);
    });
    socket.bind({ address: host, port, exclusive: true }, () => resolveBind(socket));
  });
}

function closeAll(items: readonly (net.Server | dgram.Socket | null)[]): Promise<void> {
  return Promise.all(
    items.map(
      (item) =>
        new Promise<void>((done) => {
          if (item === null) return done();
          if (item instanceof net.Server) item.close(() => done());
          else item.close(() => done());
        }),
    ),
  ).then(() => undefined);
}

let ipv6Cache: Promise<boolean> | undefined;

/** Whether ::1 can be bound here (some containers have no IPv6 loopback). */
export function ipv6LoopbackWorks(): Promise<boolean> {
  ipv6Cache ??= (async () => {
    const udp = await bindUdp('udp6', '::1', 0);
    const tcp = await bindTcp('::1', 0);
    await closeAll([udp, tcp]);
    return udp !== null && tcp !== null;
  })();
  return ipv6Cache;
}

/**
 * A port number free on 127.0.0.1 for UDP and TCP (and on ::1 too when `ipv6` is set):
 * the kernel picks a TCP port, the same number is then bound over UDP, and all are closed again.
 */
export async function freePort(opts: { ipv6?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const tcp4 = await bindTcp('127.0.0.1', 0);
    if (tcp4 === null) continue;
    const address = tcp4.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const held: (net.Server | dgram.Socket | null)[] = [tcp4];
    let ok = port > 0 && !handedOut.has(port);
    if (ok) {
      const udp4 = await bindUdp('udp4', '127.0.0.1', port);
      held.push(udp4);
      ok = udp4 !== null;
    }
    if (ok && opts.ipv6 === true) {
      const tcp6 = await bindTcp('::1', port);
      held.push(tcp6);
      const udp6 = tcp6 === null ? null : await bindUdp('udp6', '::1', port);
      held.push(udp6);
      ok = tcp6 !== null && udp6 !== null;
    }
    await closeAll(held);
    if (ok) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free UDP+TCP loopback port after ${MAX_ATTEMPTS} attempts`);
}
