import { createServer, connect, type Server, type Socket } from 'node:net';

// A TCP relay between the portal and PostgreSQL, for outage tests on a shared server: stopping
// it is the database going away (connections dropped, new ones refused), freezing it is a
// database that accepts connections but never answers. The database itself stays untouched.

export interface TcpRelay {
  port: number;
  /** Drops every connection and refuses new ones. */
  down(): Promise<void>;
  /** Accepts connections again (same port). */
  up(): Promise<void>;
  /** Holds every byte in both directions; connections stay open. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  const held: (() => void)[] = [];
  let server: Server;
  let port = 0;

  const relay = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => {
      if (frozen) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        const pair: [Socket, Socket] = [client, upstream];
        pairs.add(pair);
        const end = () => {
          client.destroy();
          upstream.destroy();
          pairs.delete(pair);
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
        relay(client, upstream);
        relay(upstream, client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();

  const down = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    });

  return {
    get port() {
      return port;
    },
    down,
    up: listen,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const write of held.splice(0)) write();
    },
    async close() {
      frozen = false;
      held.length = 0;
      if (server.listening) await down();
    },
  };
}
