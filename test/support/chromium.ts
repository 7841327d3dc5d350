import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's `chromium` package puts its launcher here; `CHROMIUM_PATH` points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** How long the one-time `apt-get update && apt-get install` may take in all (a slow mirror, a cold cache). */
export const INSTALL_TIMEOUT_MS = 10 * 60_000;
const UPDATE_TIMEOUT_MS = 3 * 60_000;

function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' },
    });
    // Keep the tail of the output for the error message; the rest is noise.
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} could not be started: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail.trim()}`));
    });
  });
}

let installing: Promise<void> | null = null;

/**
 * Makes sure a Chromium is at CHROMIUM_PATH: on a fresh Debian machine (CI) it installs the
 * `chromium` package once, as root and non-interactively. Anything else is a clear error saying
 * what to do, rather than a browser that fails to launch later with a cryptic message.
 */
export function ensureChromium(): Promise<void> {
  if (existsSync(CHROMIUM_PATH)) return Promise.resolve();
  installing ??= (async () => {
    const how = `install it with: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH)`;
    if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
      throw new Error(`Chromium is not at ${CHROMIUM_PATH} and this is not a Debian-like machine to install it on; ${how}`);
    }
    if (process.getuid?.() !== 0) {
      throw new Error(`Chromium is not at ${CHROMIUM_PATH} and installing it needs root (running as uid ${process.getuid?.()}); ${how}`);
    }
    try {
      // Wait for another apt (unattended upgrades, a parallel job) rather than failing on its lock.
      const lock = ['-o', 'DPkg::Lock::Timeout=120'];
      const deadline = Date.now() + INSTALL_TIMEOUT_MS;
      await run('apt-get', [...lock, 'update', '-q'], UPDATE_TIMEOUT_MS);
      await run('apt-get', [...lock, 'install', '-y', '-q', '--no-install-recommends', 'chromium'], deadline - Date.now());
    } catch (err) {
      throw new Error(`Installing Chromium failed; ${how}\n${(err as Error).message}`);
    }
    if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is still missing`);
  })();
  // A failed attempt may be retried by a later caller.
  installing.catch(() => {
    installing = null;
  });
  return installing;
}

/** A headless Chromium driven by playwright-core, installed first if need be. */
export async function launchChromium(): Promise<Browser> {
  await ensureChromium();
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
