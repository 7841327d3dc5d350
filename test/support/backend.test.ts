import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend, dockerAnswers, dockerEndpoint } from './backend.ts';

// A stand-in Docker engine on a unix socket: it answers the ping the way dockerd does, or fails it.
const dir = mkdtempSync(path.join(tmpdir(), 'notify-stats-backend-'));
const answering = path.join(dir, 'docker.sock');
const failing = path.join(dir, 'broken.sock');
const absent = path.join(dir, 'absent.sock');
const servers: Server[] = [];
const pings: string[] = [];

function listen(socketPath: string, status: number): Promise<void> {
  const server = createServer((req, res) => {
    pings.push(`${socketPath} ${req.method} ${req.url}`);
    res.writeHead(req.url === '/_ping' ? status : 404).end(status === 200 ? 'OK' : 'no');
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(socketPath, () => resolve()));
}

beforeAll(async () => {
  await listen(answering, 200);
  await listen(failing, 500);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

describe('the test backend', () => {
  it('is local by default where no Docker socket exists', async () => {
    expect(await chooseBackend({ DOCKER_HOST: `unix://${absent}` })).toBe('local');
  });

  it('is containers by default where a Docker engine answers its ping', async () => {
    expect(await chooseBackend({ DOCKER_HOST: `unix://${answering}` })).toBe('containers');
    expect(pings).toContain(`${answering} GET /_ping`);
    expect(await chooseBackend({ DOCKER_HOST: `unix://${answering}`, NOTIFY_STATS_TEST_BACKEND: 'auto' })).toBe('containers');
  });

  it('is local where the socket exists but no engine answers it', async () => {
    expect(await chooseBackend({ DOCKER_HOST: `unix://${failing}` })).toBe('local');
  });

  it('is local when asked, without asking Docker', async () => {
    let asked = false;
    const probe = async () => (asked = true);
    expect(await chooseBackend({ DOCKER_HOST: `unix://${answering}`, NOTIFY_STATS_TEST_BACKEND: 'local' }, probe)).toBe('local');
    expect(asked).toBe(false);
  });

  it('refuses containers without an engine, and an unknown choice', async () => {
    await expect(chooseBackend({ DOCKER_HOST: `unix://${absent}`, NOTIFY_STATS_TEST_BACKEND: 'containers' })).rejects.toThrow(
      'NOTIFY_STATS_TEST_BACKEND=containers, but no Docker engine answers',
    );
    expect(await chooseBackend({ DOCKER_HOST: `unix://${answering}`, NOTIFY_STATS_TEST_BACKEND: 'containers' })).toBe('containers');
    await expect(chooseBackend({ NOTIFY_STATS_TEST_BACKEND: 'docker' })).rejects.toThrow('NOTIFY_STATS_TEST_BACKEND must be one of local, containers, auto, got "docker"');
  });

  it('finds the engine where DOCKER_HOST says, else at the default socket', async () => {
    expect(dockerEndpoint({})).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({ socketPath: '/run/user/1000/docker.sock' });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:2376' })).toEqual({ host: '127.0.0.1', port: 2376 });
    expect(await dockerAnswers({ socketPath: answering })).toBe(true);
    expect(await dockerAnswers({ socketPath: absent })).toBe(false);
  });
});
