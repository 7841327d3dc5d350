import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { findOnPath, isExecutable, run } from './process.ts';

export const packageDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const libDir = join(packageDir, 'lib');
// Written after Maven has copied every jar: a kafka jar alone may be a copy still in progress.
const completeMarker = join(libDir, '.complete');
// Held (an atomic mkdir) while one process fetches: test files run in parallel processes, and two
// Mavens copying into the same lib/ fail each other ("Failed to copy full contents").
const fetchLock = join(packageDir, 'lib.fetching');
// A fetch takes seconds offline and a few minutes online; a lock older than this was left by a
// process that died holding it.
const STALE_LOCK_MS = 15 * 60_000;

export function findJava(): string {
  const javaHome = process.env.JAVA_HOME;
  if (javaHome) {
    const fromHome = join(javaHome, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (isExecutable(fromHome)) return fromHome;
  }
  const onPath = findOnPath('java');
  if (onPath) return onPath;
  throw new Error(
    `java not found (checked ${javaHome ? `JAVA_HOME=${javaHome}/bin/java and ` : ''}PATH): ` +
      'install a JDK/JRE 17+ (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME, ' +
      'or set KAFKA_BROKERS to use an existing cluster',
  );
}

function hasKafkaJar(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => /^kafka_2\.13-.*\.jar$/.test(f));
}

/** The jars of a fetch that finished: one in progress (another process's) does not count. */
function hasKafkaJars(dir: string): boolean {
  return existsSync(completeMarker) && hasKafkaJar(dir);
}

async function acquireFetchLock(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(fetchLock);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - statSync(fetchLock).mtimeMs > STALE_LOCK_MS) rmSync(fetchLock, { recursive: true, force: true });
    } catch {
      // Released between the mkdir and the stat: try again.
    }
    await sleep(250);
  }
}

/**
 * Returns the directory holding the broker classpath, running Maven only when the jars are absent.
 * Safe to call from several processes at once: one fetches, the others wait and reuse its jars.
 */
export async function ensureKafkaJars(log?: (m: string) => void): Promise<string> {
  if (hasKafkaJars(libDir)) return libDir;
  const mvn = findOnPath('mvn');
  if (!mvn) {
    throw new Error(
      `Kafka jars are missing from ${libDir} and \`mvn\` is not on PATH: install Maven ` +
        '(e.g. `apt-get install maven`) and run `npm run kafka:fetch`, ' +
        'or set KAFKA_BROKERS to use an existing cluster',
    );
  }
  await acquireFetchLock();
  try {
    if (hasKafkaJars(libDir)) return libDir;
    log?.('fetching Kafka jars with Maven...');
    const { code, output } = await run(mvn, ['-q', '-B', 'package'], packageDir);
    if (code !== 0 || !hasKafkaJar(libDir)) {
      throw new Error(
        `\`mvn -q -B package\` in ${packageDir} ${code === 0 ? 'did not produce a kafka_2.13 jar' : `failed (exit ${code})`}` +
          (output ? `:\n${output}` : ''),
      );
    }
    writeFileSync(completeMarker, `${new Date().toISOString()}\n`);
    return libDir;
  } finally {
    rmSync(fetchLock, { recursive: true, force: true });
  }
}
