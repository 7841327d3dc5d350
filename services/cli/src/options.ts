import type { Command} from 'commander';
import { InvalidArgumentError, Option } from 'commander';

/**
 * Options and help shared by the commands, so that every command spells a flag, its environment
 * variable and its help the same way (the conventions of kcat and kafka-consumer-groups).
 */

export const jsonOption = () => new Option('--json', 'print exactly one JSON document on stdout (logs and progress go to stderr)');

/** Sets KAFKA_BROKERS for the command (see applyConnectionFlags): every Kafka client reads it. */
export const brokersOption = () => new Option('--brokers <host:port,...>', 'Kafka brokers (env KAFKA_BROKERS; default localhost:9092, the broker `npm start` runs)');

/** Sets NOTIFY_STATS_API for the command: every call to a running pipeline reads it. */
export const apiOption = () => new Option('--api <url>', 'API of the running pipeline (env NOTIFY_STATS_API; default http://127.0.0.1:$PORT)');

/** The flags a command was given become the environment its clients read (flags win over env). */
export function applyConnectionFlags(opts: { brokers?: string; api?: string }): void {
  if (opts.brokers !== undefined) process.env.KAFKA_BROKERS = opts.brokers;
  if (opts.api !== undefined) process.env.NOTIFY_STATS_API = opts.api;
}

/** A commander parser of whole numbers from `min`: "x", "1.5", "1e3" and "" are refused naming the flag. */
export const wholeNumber =
  (flag: string, min = 1) =>
  (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
      throw new InvalidArgumentError(`${flag} must be a whole number from ${min} (got ${JSON.stringify(value)})`);
    }
    return Number(value);
  };

/** A duration such as 90, 90s, 15m, 2h (seconds when no unit), in seconds. */
export const durationSeconds =
  (flag: string) =>
  (value: string): number => {
    const m = /^(\d+)(s|m|h)?$/.exec(value.trim());
    if (!m || Number(m[1]) === 0) throw new InvalidArgumentError(`${flag} must be a duration such as 30s, 15m or 2h (got ${JSON.stringify(value)})`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
  };

type EnvLine = readonly [name: string, meaning: string];

const KAFKA_ENV: EnvLine[] = [
  ['KAFKA_BROKERS', 'brokers (--brokers wins; default localhost:9092)'],
  ['LOG_LEVEL', 'pino level of the log, which goes to stderr (default info)'],
];
const API_ENV: EnvLine[] = [
  ['NOTIFY_STATS_API', 'API of the running pipeline (--api wins)'],
  ['PORT', 'the API port when NOTIFY_STATS_API is unset (default 6011)'],
];
const OPERATOR_ENV: EnvLine[] = [
  ['OPERATOR_CLIENT_ID', 'operator client id (default notify-operator)'],
  ['OPERATOR_CLIENT_SECRET', 'its secret (default: the development secret)'],
];
const READER_ENV: EnvLine[] = [
  ['ADMIN_CLIENT_ID', 'report reader client id (default notify-admin)'],
  ['ADMIN_CLIENT_SECRET', 'its secret (default: the development secret)'],
];
const CLICKHOUSE_ENV: EnvLine[] = [
  ['CLICKHOUSE_URL', 'a ClickHouse server (default: the embedded engine)'],
  ['DATA_DIR', 'where the embedded engine and the local broker keep data (default .data)'],
];

export const ENV = { kafka: KAFKA_ENV, api: API_ENV, operator: OPERATOR_ENV, reader: READER_ENV, clickhouse: CLICKHOUSE_ENV } as const;

/** Appends "Examples:" and "Environment:" to a command's --help. */
export function helpText(command: Command, examples: string[], env: ReadonlyArray<readonly EnvLine[]> = []): Command {
  const lines = ['', 'Examples:', ...examples.map((e) => `  $ ${e}`)];
  const vars = env.flat();
  const width = Math.max(0, ...vars.map(([name]) => name.length));
  if (vars.length) lines.push('', 'Environment:', ...vars.map(([name, meaning]) => `  ${name.padEnd(width)}  ${meaning}`));
  return command.addHelpText('after', `${lines.join('\n')}\n`);
}
