import { Command, Option } from 'commander';
import { EnvError } from '@notify-stats/runtime';
import { dlqListCommand, dlqRedriveCommand, dlqShowCommand } from './commands/dlq.ts';
import { loadgenCommand } from './commands/loadgen.ts';
import { replayCommand } from './commands/replay.ts';
import { rollupCommand } from './commands/rollup.ts';
import { apiCommand, ingestCommand, migrateCommand, rollupsCommand } from './commands/services.ts';
import { startCommand } from './commands/start.ts';
import { statusCommand } from './commands/status.ts';

const program = new Command()
  .name('notify-stats')
  .description('Statistics pipeline of the notification platform: Kafka -> ClickHouse -> daily facts -> report API')
  .showHelpAfterError();

const json = new Option('--json', 'machine-readable output');

program.command('start').description('run the whole pipeline (local broker unless KAFKA_BROKERS, ingest, rollups, api) in one process').action(startCommand);
program.command('ingest').description('run the ingest worker alone').action(ingestCommand);
program.command('rollups').description('run the rollups service alone').action(rollupsCommand);
program.command('api').description('run the report API alone').action(apiCommand);
program.command('migrate').description('apply the ClickHouse migrations').addOption(json).action(migrateCommand);
program
  .command('rollup')
  .description('rebuild the daily facts of a date range (through the running pipeline if there is one)')
  .requiredOption('--from <YYYY-MM-DD>', 'first London day')
  .requiredOption('--to <YYYY-MM-DD>', 'last London day')
  .option('--api <url>', 'API of the running pipeline (default http://127.0.0.1:$PORT)')
  .addOption(json)
  .action(rollupCommand);

const apiOption = () => new Option('--api <url>', 'API of the running pipeline (default http://127.0.0.1:$PORT)');
const collect = (value: string, previous: string[] = []) => [...previous, value];

program
  .command('replay')
  .description('rewind the ingest consumer group so the pipeline reads topics again from a time (reports stay identical)')
  .requiredOption('--topic <topic>', 'source topic to replay (repeatable), or "all"', collect)
  .requiredOption('--from <time>', 'ISO time (first offset at or after it on every partition) or "earliest"')
  .option('--to <time>', 'ISO time up to which progress is measured (later messages are read again too, harmlessly)')
  .option('--dry-run', 'say what would be rewound, change nothing')
  .option('--pause-ingest', 'ask the running pipeline to pause its consumer around the rewind, then resume')
  .addOption(apiOption())
  .addOption(json)
  .action(replayCommand);

const dlq = program.command('dlq').description('dead letters: list, show, redrive');
const dlqFilters = (c: Command) =>
  c
    .option('--topic <topic>', 'source topic whose DLQ to read (default all)')
    .option('--reason-contains <text>', 'only dead letters whose reason contains this')
    .option('--id <id>', 'only this dead letter (repeatable; ids from dlq list)', collect)
    .addOption(json);
dlqFilters(dlq.command('list').description('list dead letters with reason and origin').option('--limit <n>', 'show at most n')).action(dlqListCommand);
dlq.command('show <id>').description('one dead letter in full: key, value, headers').addOption(json).action(dlqShowCommand);
dlqFilters(
  dlq
    .command('redrive')
    .description('re-publish dead letters to their source topic (once each; failures return to the DLQ)')
    .option('--dry-run', 'list what would be redriven')
    .option('--force', 'redrive again even if already redriven or failed too often'),
).action(dlqRedriveCommand);

program
  .command('status')
  .description('consumer lag per partition, dead letters, freshness watermark, dirty days and last rollups')
  .addOption(apiOption())
  .addOption(json)
  .action(statusCommand);

program
  .command('loadgen')
  .description('produce a deterministic, realistic load (reference data, lifecycles, despatches; late, duplicate, invalid messages) to KAFKA_BROKERS (default localhost:9092) and print what was sent')
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
  .addOption(json)
  .action(loadgenCommand);

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`${err instanceof EnvError ? err.message : `error: ${(err as Error).message}`}\n`);
  process.exitCode = 1;
});
