import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.ts';
import { metricsRegistry } from './metrics.ts';
import { evaluateReadiness, type ReadinessCheck } from './readiness.ts';

export interface OpsServerOptions {
  port: number;
  host: string;
  /** Named checks for /readyz: each says whether the service is making progress. */
  readiness: Record<string, ReadinessCheck>;
  logger: Logger;
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The operations port of a service that has no HTTP API of its own (ingest, rollups run alone):
 * `GET /healthz` (the process answers), `GET /readyz` (200 while every check passes, else 503 with
 * the reasons) and `GET /metrics` (Prometheus, this process's registry). No credential, as
 * scrapers and probes expect: bind it where only they reach it (METRICS_HOST, default loopback).
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((request, response) => {
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'application/json', JSON.stringify({ message: 'Method not allowed' }));
    const answer = async () => {
      if (path === '/healthz') return send(200, 'application/json', JSON.stringify({ status: 'ok' }));
      if (path === '/readyz') {
        const report = await evaluateReadiness(opts.readiness);
        return send(report.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(report));
      }
      if (path === '/metrics') return send(200, metricsRegistry.contentType, await metricsRegistry.metrics());
      return send(404, 'application/json', JSON.stringify({ message: 'Not found: /healthz, /readyz, /metrics' }));
    };
    answer().catch((err: unknown) => {
      opts.logger.error({ err, path }, 'operations request failed');
      if (!response.headersSent) send(500, 'application/json', JSON.stringify({ message: 'Internal error' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}`;
  opts.logger.info({ url }, 'operations server listening (/healthz, /readyz, /metrics)');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
