import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { findOnPath, isExecutable, run } from './process.ts';

export const packageDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const libDir = join(packageDir, 'lib');

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

/** Returns the directory holding the broker classpath, running Maven only when the jars are absent. */
export async function ensureKafkaJars(log?: (m: string) => void): Promise<string> {
  if (hasKafkaJar(libDir)) return libDir;
  const mvn = findOnPath('mvn');
  if (!mvn) {
    throw new Error(
      `Kafka jars are missing from ${libDir} and \`mvn\` is not on PATH: install Maven ` +
        '(e.g. `apt-get install maven`) and run `npm run kafka:fetch`, ' +
        'or set KAFKA_BROKERS to use an existing cluster',
    );
  }
  log?.('fetching Kafka jars with Maven...');
  const { code, output } = await run(mvn, ['-q', '-B', 'package'], packageDir);
  if (code !== 0 || !hasKafkaJar(libDir)) {
    throw new Error(
      `\`mvn -q -B package\` in ${packageDir} ${code === 0 ? 'did not produce a kafka_2.13 jar' : `failed (exit ${code})`}` +
        (output ? `:\n${output}` : ''),
    );
  }
  return libDir;
}
