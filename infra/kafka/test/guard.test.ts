import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

// A parent (its own node process) starts a grandchild group and arms the guard, prints the
// grandchild's pid, then is SIGKILLed: no exit handler of its runs, only the guard can act.
const PARENT = `
  import { spawn } from 'node:child_process';
  import { killWhenParentDies } from ${JSON.stringify(new URL('../src/guard.ts', import.meta.url).href)};
  const child = spawn('/bin/sh', ['-c', 'sleep 300 & sleep 300; wait'], { detached: true, stdio: 'ignore' });
  killWhenParentDies(child.pid, { signal: process.argv[1], group: process.argv[2] === 'group' });
  console.log(child.pid);
  setInterval(() => undefined, 1000);
`;

async function orphanAfterParentKilled(signal: string, group: string): Promise<number> {
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PARENT, signal, group], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
  });
  expect(alive(pid)).toBe(true);
  parent.kill('SIGKILL');
  return pid;
}

it('kills the whole group of a child when its parent is SIGKILLed', async () => {
  const pid = await orphanAfterParentKilled('KILL', 'group');
  expect(await until(() => !alive(pid))).toBe(true);
  // The group's other member (the first `sleep`) went too.
  expect(await until(() => { try { process.kill(-pid, 0); return false; } catch { return true; } })).toBe(true);
});

it('leaves the child alone while the parent lives, and only its pid without `group`', async () => {
  const pid = await orphanAfterParentKilled('TERM', 'single');
  expect(await until(() => !alive(pid))).toBe(true);
  // Without `group` the backgrounded sleep survives its shell: proof the option is what reaches the group.
  const survivors = await until(() => { try { process.kill(-pid, 0); return true; } catch { return false; } }, 1000);
  expect(survivors).toBe(true);
  process.kill(-pid, 'SIGKILL');
});

it("still stops the child when a terminal's Ctrl-C (SIGINT to the whole group) ends the parent", async () => {
  // The parent leads its own group, as `npm start` in a terminal does; the guard is in it too.
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PARENT, 'TERM', 'group'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
  });
  try {
    expect(alive(pid)).toBe(true);
    process.kill(-(parent.pid as number), 'SIGINT');
    // A guard that died of the same SIGINT would leave the child running.
    expect(await until(() => !alive(pid))).toBe(true);
  } finally {
    for (const group of [-pid, -(parent.pid as number)]) {
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});
