import { Command, Option } from 'commander';
import { EnvError } from '@notify-stats/runtime';
import { rollupCommand } from './commands/rollup.ts';
import { apiCommand, ingestCommand, migrateCommand, rollupsCommand } from './commands/services.ts';
import { startCommand } from './commands/start.ts';

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

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`${err instanceof EnvError ? err.message : `error: ${(err as Error).message}`}\n`);
  process.exitCode = 1;
});
