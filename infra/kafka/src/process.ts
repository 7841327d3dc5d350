import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Resolves an executable the way a shell would, so we can fail with advice before spawning. */
export function findOnPath(name: string): string | undefined {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', '.bat', ''] : [''];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Keeps only the last lines of a child's output: enough to explain a crash without buffering a chatty JVM forever. */
export class OutputTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max = 40) {}

  attach(child: ChildProcess): void {
    child.stdout?.on('data', (chunk: Buffer) => this.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.push(chunk));
  }

  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((l) => l.trim() !== ''));
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  text(): string {
    return [...this.lines, this.partial].filter((l) => l.trim() !== '').join('\n');
  }
}

export interface RunResult { code: number | null; output: string }

/** Runs a short-lived tool to completion, capturing its output for error messages. */
export function run(cmd: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = new OutputTail(60);
    tail.attach(child);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output: tail.text() }));
  });
}
