import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { killWhenParentDies } from '@notify-stats/local-kafka';

const CLI = fileURLToPath(new URL('../../bin/notify-stats.mjs', import.meta.url));

export interface ChildService {
  process: ChildProcess;
  /** Resolves with the exit code or signal once the process ended. */
  exited: Promise<number | NodeJS.Signals | null>;
  output(): string;
}

/**
 * Every process a test starts, until it exits. `setup.ts` stops them all after each test,
 * passed, failed or timed out; a guard process stops them if this test process dies first.
 */
const live = new Map<ChildProcess, Promise<unknown>>();
/** Set between the end of a test and the start of the next: a test body that outlived its timeout spawns nothing more. */
let closed = false;

/**
 * Spawns a child in its own process group (so anything it starts goes with it), owned by the
 * registry above. Refuses once the current test has ended.
 */
export function spawnOwned(cmd: string, args: readonly string[], options: SpawnOptions): { child: ChildProcess; exited: Promise<number | NodeJS.Signals | null> } {
  if (closed) throw new Error(`not starting ${cmd} ${args.join(' ')}: the test that asked for it has already ended`);
  const child = spawn(cmd, args, { ...options, detached: true });
  const disarm = child.pid === undefined ? () => undefined : killWhenParentDies(child.pid, { signal: 'KILL', group: true });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once('exit', (code, signal) => {
      disarm();
      live.delete(child);
      resolve(code ?? signal);
    });
    child.once('error', () => {
      disarm();
      live.delete(child);
      resolve(null);
    });
  });
  live.set(child, exited);
  return { child, exited };
}

/** SIGKILLs every live child's process group and waits for them to be gone. */
export async function stopChildren(): Promise<number> {
  const children = [...live];
  for (const [child] of children) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      child.kill('SIGKILL'); // the group is already gone; make sure the leader is too
    }
  }
  await Promise.all(children.map(([, exited]) => exited));
  // The leader is gone; the rest of its group (reparented, reaped by init) follows within moments.
  const deadline = Date.now() + 5000;
  while (children.some(([child]) => groupAlive(child.pid as number)) && Date.now() < deadline) await sleep(20);
  return children.length;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Test lifecycle hooks (setup.ts): children may be started only while a test runs. */
export const childRegistry = {
  open: () => {
    closed = false;
  },
  close: async () => {
    closed = true;
    return stopChildren();
  },
  liveCount: () => live.size,
};

/**
 * Runs `notify-stats <command>` as its own process (its own embedded engine), as production would.
 * Its operations server takes any free port unless the test names one (METRICS_PORT), so that
 * tests never fight over a fixed port.
 */
export function spawnService(command: string, env: Record<string, string>): ChildService {
  const { child, exited } = spawnOwned(process.execPath, [CLI, command], {
    env: { ...process.env, LOG_LEVEL: 'warn', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  return { process: child, exited, output: () => out };
}

/** The URL a spawned service logged for `message` (LOG_LEVEL info or lower), e.g. its operations server. */
export function loggedUrl(service: ChildService, message: string, field = 'url'): string | undefined {
  for (const line of service.output().split('\n')) {
    if (!line.includes(`"msg":"${message}"`)) continue;
    try {
      const value = (JSON.parse(line) as Record<string, unknown>)[field];
      if (typeof value === 'string') return value;
    } catch {
      // the line is still arriving
    }
  }
  return undefined;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `notify-stats` command to completion, as an operator would. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const { child } = spawnOwned(process.execPath, [CLI, ...args], {
      env: { ...process.env, LOG_LEVEL: 'error', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`notify-stats ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    // 'close' rather than 'exit': every byte of its output has been read by then.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
