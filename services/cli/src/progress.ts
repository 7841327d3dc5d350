import cliProgress from 'cli-progress';

export type ProgressBar = ReturnType<typeof progressBar>;

/**
 * A progress bar with rate and ETA, always on stderr (stdout holds the command's result, one JSON
 * document with --json); it draws only on a terminal, so a scripted run prints no progress at all.
 */
export function progressBar(unit: string) {
  const bar = new cliProgress.SingleBar(
    {
      format: `{bar} {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 20,
      noTTYOutput: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedAt = 0;
  return {
    start: (total: number) => {
      startedAt = Date.now();
      bar.start(total, 0, { speed: '0' });
    },
    update: (done: number, total: number) => {
      bar.setTotal(total);
      bar.update(done, { speed: (done / Math.max(0.001, (Date.now() - startedAt) / 1000)).toFixed(1) });
    },
    stop: () => bar.stop(),
  };
}
