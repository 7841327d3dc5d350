import { createServer, connect, type Server } from 'node:net';

export const HOST = '127.0.0.1';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: HOST }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Binding is the only reliable check: a connect probe misses ports held by
 * listeners that never accept, and Kafka would otherwise die deep in startup.
 */
export async function assertPortFree(port: number, what = 'port'): Promise<void> {
  let server: Server;
  try {
    server = await listen(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `${what} ${port} is already in use: stop the other process or set KAFKA_BROKERS to use an existing cluster`,
      );
    }
    throw err;
  }
  await close(server);
}

/** Holds all sockets open until every port is chosen so the picks can't collide with each other. */
export async function pickFreePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(0));
    return servers.map((s) => {
      const addr = s.address();
      if (addr === null || typeof addr === 'string') throw new Error('unexpected server address');
      return addr.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}

export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: HOST });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
