import cliProgress from 'cli-progress';

/** A progress bar with rate and ETA on a terminal; silent (or JSON lines) when scripted. */
export function progressBar(unit: string, json: boolean) {
  if (json) {
    return {
      start: (_total: number) => undefined,
      update: (done: number, total: number) => process.stdout.write(`${JSON.stringify({ done, total })}\n`),
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `{bar} {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 20,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 2000,
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
