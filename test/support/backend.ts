// Which backend the e2e and reliability suites run against: the project's own local brokers and
// the embedded engine ('local'), or Docker containers ('containers': Kafka brokers and a ClickHouse
// server through testcontainers). NOTIFY_STATS_TEST_BACKEND=local|containers|auto (default auto:
// containers where a Docker engine answers, local otherwise). Only the backend differs: the same
// tests run, none is skipped.
import { request } from 'node:http';

export type TestBackend = 'local' | 'containers';
export const BACKEND_CHOICES = ['local', 'containers', 'auto'] as const;

export type Env = Record<string, string | undefined>;

/** Where the Docker engine listens: DOCKER_HOST (unix:// or tcp://), else the default socket. */
export function dockerEndpoint(env: Env): { socketPath: string } | { host: string; port: number } {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return { socketPath: '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

/** True when a Docker engine answers its ping (GET /_ping -> 200) within `timeoutMs`. */
export function dockerAnswers(endpoint: ReturnType<typeof dockerEndpoint>, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ ...endpoint, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

/**
 * The backend to use. `local` never asks Docker; `containers` requires an engine that answers
 * (a clear error otherwise, rather than a silent fall-back); `auto` uses containers where one does.
 */
export async function chooseBackend(env: Env, answers: (endpoint: ReturnType<typeof dockerEndpoint>) => Promise<boolean> = dockerAnswers): Promise<TestBackend> {
  const wanted = env.NOTIFY_STATS_TEST_BACKEND?.trim() || 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(wanted)) {
    throw new Error(`NOTIFY_STATS_TEST_BACKEND must be one of ${BACKEND_CHOICES.join(', ')}, got "${wanted}"`);
  }
  if (wanted === 'local') return 'local';
  const endpoint = dockerEndpoint(env);
  const up = await answers(endpoint);
  if (wanted === 'containers' && !up) {
    throw new Error(`NOTIFY_STATS_TEST_BACKEND=containers, but no Docker engine answers at ${JSON.stringify(endpoint)}: start one or use local`);
  }
  return up ? 'containers' : 'local';
}

let chosen: Promise<TestBackend> | undefined;
/** This test process's backend, decided once. */
export const testBackend = (): Promise<TestBackend> => (chosen ??= chooseBackend(process.env));
