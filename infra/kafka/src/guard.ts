import { spawn } from 'node:child_process';

/**
 * process.on('exit') never runs when the parent dies from a signal (vitest tearing down a
 * worker, `kill`, a closed terminal), which orphans a 512MB JVM that keeps holding the port.
 * A shell blocked reading a pipe from us sees EOF however we die, and stops the broker.
 * Returns a disarm function for when the broker has exited, so a recycled pid is never hit.
 */
export function killWhenParentDies(pid: number): () => void {
  if (process.platform === 'win32') return () => undefined;
  const guard = spawn('/bin/sh', ['-c', 'read _; kill -TERM "$1" 2>/dev/null', 'local-kafka-guard', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  guard.on('error', () => undefined);
  guard.stdin?.on('error', () => undefined);
  guard.unref(); // the guard must not keep the parent alive
  return () => {
    guard.kill('SIGKILL');
  };
}
