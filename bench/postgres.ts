// A throwaway PostgreSQL server for the report benchmark: Debian's package (installed with apt-get
// when missing and we are root), its own data folder, loopback only, trust auth, stopped after.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { log } from './lib.ts';

export interface Postgres {
  /** A connection string for the `bench` database. */
  url: string;
  version: string;
  stop(): void;
}

const PG_ROOT = '/usr/lib/postgresql';

function binDir(): string {
  const find = () => (existsSync(PG_ROOT) ? readdirSync(PG_ROOT).sort((a, b) => Number(b) - Number(a)).map((v) => path.join(PG_ROOT, v, 'bin')).find((d) => existsSync(path.join(d, 'initdb'))) : undefined);
  let dir = find();
  if (!dir && process.getuid?.() === 0) {
    log('PostgreSQL not installed: apt-get install postgresql (Debian package)');
    const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error('apt-get install postgresql failed');
    dir = find();
  }
  if (!dir) throw new Error(`PostgreSQL server binaries not found under ${PG_ROOT}: install Debian's postgresql package`);
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** PostgreSQL refuses to run as root, so as root its commands run as the package's `postgres` user. */
function asServerUser(cmd: string, args: string[]): string {
  const root = process.getuid?.() === 0;
  const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

export async function startPostgres(settings: Record<string, string> = {}): Promise<Postgres> {
  const bin = binDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-pg-'));
  chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  asServerUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'bench', '--auth=trust', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c max_connections=120',
    '-c fsync=off',
    '-c synchronous_commit=off',
    ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
  ].join(' ');
  asServerUser(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-o', options, '-w', 'start']);
  const version = asServerUser(path.join(bin, 'postgres'), ['--version']).trim();
  asServerUser(path.join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'bench', 'bench']);
  log(`${version} on port ${port}`);
  return {
    url: `postgres://bench@127.0.0.1:${port}/bench`,
    version,
    stop: () => {
      try {
        asServerUser(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
