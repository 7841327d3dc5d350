import { spawn } from 'node:child_process';

export interface GuardOptions {
  /** Signal sent when the parent dies (default SIGTERM: the broker shuts down cleanly). */
  signal?: 'TERM' | 'KILL';
  /** Signal the whole process group `pid` leads (the child was spawned with `detached: true`). */
  group?: boolean;
}

/**
 * process.on('exit') never runs when the parent dies from a signal (vitest tearing down a
 * worker, `kill`, a closed terminal), which orphans a 512MB JVM that keeps holding the port.
 * A shell blocked reading a pipe from us sees EOF however we die, and stops the child.
 * Returns a disarm function for when the child has exited, so a recycled pid is never hit.
 */
export function killWhenParentDies(pid: number, options: GuardOptions = {}): () => void {
  if (process.platform === 'win32') return () => undefined;
  // dash's kill takes no '--': after the signal, a negative number is read as a process group.
  const target = options.group ? `-${pid}` : String(pid);
  // In a process group of its own (`detached`): a terminal's Ctrl-C, sent to the parent's group,
  // must not stop the guard, since the parent may still die after it (killed while its shutdown
  // hangs) with the child to stop. Ignoring SIGINT in the guard's shell alone left a window before
  // the trap ran, in which a Ctrl-C killed the guard (seen once in CI under load). The trap stays
  // for a SIGINT sent to the guard's own group.
  const guard = spawn('/bin/sh', ['-c', `trap "" INT; read _; kill -${options.signal ?? 'TERM'} "$1" 2>/dev/null`, 'notify-stats-guard', target], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  guard.on('error', () => undefined);
  guard.stdin?.on('error', () => undefined);
  guard.unref(); // the guard must not keep the parent alive
  return () => {
    guard.kill('SIGKILL');
  };
}
