import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { EnvError, setBuildInfo } from '@notify-stats/runtime';
import { dlqListCommand, dlqRedriveCommand, dlqShowCommand } from './commands/dlq.ts';
import { loadgenCommand } from './commands/loadgen.ts';
import { replayCommand } from './commands/replay.ts';
import { REPORTS, reportCommand } from './commands/report.ts';
import { rollupCommand } from './commands/rollup.ts';
import { INGEST_METRICS_PORT } from '@notify-stats/ingest';
import { ROLLUPS_METRICS_PORT } from '@notify-stats/rollups';
import { apiCommand, ingestCommand, migrateCommand, rollupsCommand } from './commands/services.ts';
import { startCommand } from './commands/start.ts';
import { statusCommand } from './commands/status.ts';
import { TOKEN_ROLES, tokenCommand } from './commands/token.ts';
import { ENV, apiOption, applyConnectionFlags, brokersOption, durationSeconds, helpText, jsonOption, wholeNumber } from './options.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('notify-stats')
  .description('Statistics pipeline of the notification platform: Kafka -> ClickHouse -> daily facts -> report API')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError()
  // --brokers and --api become KAFKA_BROKERS and NOTIFY_STATS_API for whatever the command opens.
  .hook('preAction', (_program, action) => {
    applyConnectionFlags(action.opts());
    setBuildInfo(version, action.name());
  });
helpText(program, ['npm start', 'npx notify-stats loadgen --count 100000 --services 20 --seed 1', 'npx notify-stats report platform-stats --from 2024-04-01 --to 2024-04-30', 'npx notify-stats status --json | jq .healthy']);

const collect = (value: string, previous: string[] = []) => [...previous, value];
const opsEnv = (port: number) =>
  [
    ['METRICS_PORT', `its /healthz, /readyz and /metrics (default ${port}; 0: any free port)`],
    ['METRICS_HOST', 'where that listens (default 127.0.0.1)'],
  ] as const;
const API_PORTS = [['PORT', 'report API (default 6011); the operations server listens on PORT + 1 unless METRICS_PORT']] as const;

helpText(
  program.command('start').description('run the whole pipeline (local broker unless KAFKA_BROKERS, ingest, rollups, api) in one process').addOption(brokersOption()).action(startCommand),
  ['npm start', 'KAFKA_BROKERS=kafka:9092 CLICKHOUSE_URL=http://clickhouse:8123 npx notify-stats start', 'DATA_DIR=/tmp/fresh npx notify-stats start   # a new empty pipeline'],
  [ENV.kafka, ENV.clickhouse, API_PORTS],
);
helpText(
  program.command('ingest').description('run the ingest worker alone, with /healthz, /readyz and /metrics on its own port').addOption(brokersOption()).action(ingestCommand),
  ['KAFKA_BROKERS=kafka:9092 CLICKHOUSE_URL=http://clickhouse:8123 npx notify-stats ingest', 'curl -s localhost:6013/readyz'],
  [ENV.kafka, ENV.clickhouse, opsEnv(INGEST_METRICS_PORT)],
);
helpText(
  program.command('rollups').description('run the rollups service alone, with /healthz, /readyz and /metrics on its own port').addOption(brokersOption()).action(rollupsCommand),
  ['KAFKA_BROKERS=kafka:9092 CLICKHOUSE_URL=http://clickhouse:8123 npx notify-stats rollups', 'curl -s localhost:6014/metrics | grep freshness'],
  [ENV.kafka, ENV.clickhouse, opsEnv(ROLLUPS_METRICS_PORT)],
);
helpText(
  program.command('api').description('run the report API alone (its /admin/pipeline/status reads Kafka and ClickHouse itself)').addOption(brokersOption()).action(apiCommand),
  ['CLICKHOUSE_URL=http://clickhouse:8123 KAFKA_BROKERS=kafka:9092 npx notify-stats api'],
  [ENV.clickhouse, ENV.kafka, API_PORTS, ENV.reader, ENV.operator],
);
helpText(program.command('migrate').description('apply the ClickHouse migrations').addOption(jsonOption()).action(migrateCommand), ['npx notify-stats migrate --json'], [ENV.clickhouse]);

helpText(
  program
    .command('token')
    .description('print a bearer token for the report API, signed here with the secret from the environment')
    .argument('[role]', `${TOKEN_ROLES.join(' | ')} (default admin, the report reader)`)
    .addOption(new Option('--ttl <duration>', 'how long it is good for: up to 30s a token the client signs, up to 15m a session token (admin, operator)').argParser(durationSeconds('--ttl')))
    .option('--service-id <uuid>', 'service: the service (its API key secret comes from SERVICE_API_KEY_SECRET)')
    .addOption(jsonOption())
    .action(tokenCommand),
  [
    'curl -H "Authorization: Bearer $(npx notify-stats token)" localhost:6011/platform-stats',
    'npx notify-stats token operator --ttl 15m',
    'SERVICE_API_KEY_SECRET=... npx notify-stats token service --service-id 6f0c...',
  ],
  [ENV.reader, ENV.operator, [['SERVICE_API_KEY_SECRET', 'service: one of its API key secrets']]],
);

helpText(
  program
    .command('report')
    .description('fetch a report from the running API with a fresh report-reader token')
    .argument('<name>', Object.keys(REPORTS).join(' | '))
    .option('--from <YYYY-MM-DD>', 'first London day (start_date)')
    .option('--to <YYYY-MM-DD>', 'last London day (end_date)')
    .addOption(new Option('--format <format>', 'json or csv (list reports)').choices(['json', 'csv']).default('json'))
    .addOption(apiOption())
    .action(reportCommand),
  ['npx notify-stats report platform-stats --from 2024-04-01 --to 2024-04-30', 'npx notify-stats report billing --from 2024-04-01 --to 2025-03-31 --format csv > billing.csv'],
  [ENV.api, ENV.reader],
);

helpText(
  program
    .command('rollup')
    .description('repair the daily facts of a date range: each day set to what is counted (through the running pipeline if there is one)')
    .requiredOption('--from <YYYY-MM-DD>', 'first London day')
    .requiredOption('--to <YYYY-MM-DD>', 'last London day')
    .option('--from-raw', 'count the raw layer of the days again first (history the change logs never carried); reads every raw row')
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(rollupCommand),
  ['npx notify-stats rollup --from 2024-09-01 --to 2024-09-30', 'npx notify-stats rollup --from 2024-04-01 --to 2024-04-30 --from-raw', 'npx notify-stats rollup --from 2024-09-01 --to 2024-09-01 --api http://stats:6011 --json'],
  [ENV.api, ENV.operator, ENV.clickhouse],
);

helpText(
  program
    .command('replay')
    .description('rewind the ingest consumer group so the pipeline reads topics again from a time (shows the plan; --execute rewinds)')
    .requiredOption('--topic <topic>', 'source topic to replay (repeatable), or "all"', collect)
    .requiredOption('--from <time>', 'ISO time (first offset at or after it on every partition) or "earliest"')
    .option('--to <time>', 'ISO time up to which progress is measured (later messages are read again too, harmlessly)')
    .option('--execute', 'rewind (without it: show the plan, change nothing)')
    .option('--yes', 'same as --execute')
    .option('--dry-run', 'show the plan, change nothing (the default)')
    .option('--pause-ingest', 'ask the running pipeline to pause its consumer around the rewind, then resume')
    .addOption(brokersOption())
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(replayCommand),
  [
    'npx notify-stats replay --topic all --from 2024-09-01T00:00:00Z            # the plan',
    'npx notify-stats replay --topic all --from earliest --pause-ingest --execute',
  ],
  [ENV.kafka, ENV.api, ENV.operator],
);

const dlq = program.command('dlq').description('dead letters: list, show, redrive');
helpText(dlq, ['npx notify-stats dlq list --limit 20', 'npx notify-stats dlq redrive --reason-contains quarantined']);
const dlqFilters = (c: Command) =>
  c
    .option('--topic <topic>', 'source topic whose DLQ to read (default all)')
    .option('--reason-contains <text>', 'only dead letters whose reason contains this')
    .option('--id <id>', 'only this dead letter (repeatable; ids from dlq list)', collect)
    .addOption(brokersOption())
    .addOption(jsonOption());
helpText(
  dlqFilters(dlq.command('list').description('list dead letters with reason and origin (one JSON array with --json)'))
    .addOption(new Option('--limit <n>', 'show at most n').argParser(wholeNumber('--limit')))
    .action(dlqListCommand),
  ['npx notify-stats dlq list', 'npx notify-stats dlq list --reason-contains quarantined --limit 5 --json'],
  [ENV.kafka],
);
helpText(
  dlq.command('show <id>').description('one dead letter in full: key, value, headers').addOption(brokersOption()).addOption(jsonOption()).action(dlqShowCommand),
  ['npx notify-stats dlq show notify.notification-status.v1.dlq:0:42'],
  [ENV.kafka],
);
helpText(
  dlqFilters(
    dlq
      .command('redrive')
      .description('re-publish dead letters to their source topic (once each; failures return to the DLQ); without a filter, shows the plan unless --execute')
      .option('--execute', 'redrive even without a filter (every dead letter)')
      .option('--yes', 'same as --execute')
      .option('--dry-run', 'list what would be redriven')
      .option('--force', 'redrive again even if already redriven or failed too often'),
  ).action(dlqRedriveCommand),
  ['npx notify-stats dlq redrive --reason-contains quarantined', 'npx notify-stats dlq redrive            # the plan for every dead letter', 'npx notify-stats dlq redrive --execute  # redrive them all'],
  [ENV.kafka],
);

helpText(
  program
    .command('status')
    .description('consumer lag per partition, dead letters, freshness watermark, dirty days and last rollups; exit 0 healthy, 2 unhealthy, 1 error')
    .addOption(new Option('--max-age <duration>', 'unhealthy when the freshness watermark is older (0: no check)').argParser((v) => (v === '0' ? 0 : durationSeconds('--max-age')(v))).default(300, '5m'))
    .addOption(new Option('--max-lag <n>', 'unhealthy when the total consumer lag is above n').argParser(wholeNumber('--max-lag', 0)))
    .addOption(brokersOption())
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(statusCommand),
  ['npx notify-stats status', 'npx notify-stats status --max-age 2m --max-lag 100000 --json || page-someone'],
  [ENV.kafka, ENV.api, ENV.operator],
);

helpText(
  program
    .command('loadgen')
    .description('produce a deterministic, realistic load (reference data, lifecycles, despatches; late, duplicate, invalid messages) to the brokers and print what was sent')
    .option('--count <n>', 'total messages, reference data, duplicates and invalid ones included')
    .option('--rate <n>', 'messages per second (default: as fast as possible)')
    .option('--duration <seconds>', 'with --rate: produce rate x duration messages')
    .requiredOption('--services <k>', 'number of services')
    .requiredOption('--seed <x>', 'seed (32-bit integer): the same seed gives the same messages')
    .option('--days <d>', 'London days of traffic', '30')
    .option('--end-day <YYYY-MM-DD>', 'last London day of traffic (default: yesterday in London)')
    .option('--late-fraction <f>', 'share of status changes held back and produced last, newest first', '0')
    .option('--duplicate-fraction <f>', 'share of events produced twice (same event_id)', '0')
    .option('--invalid-fraction <f>', 'share of the count that is invalid messages', '0')
    .option('--batch-size <n>', 'messages per send', '1000')
    .addOption(brokersOption())
    .addOption(jsonOption())
    .action(loadgenCommand),
  ['npx notify-stats loadgen --count 200000 --services 20 --seed 1', 'npx notify-stats loadgen --rate 2000 --duration 60 --services 50 --seed 7 --invalid-fraction 0.01'],
  [ENV.kafka],
);

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`${err instanceof EnvError ? err.message : `error: ${(err as Error).message}`}\n`);
  process.exitCode = 1;
});
