export { processBatch, type BatchOutcome, type DeadLetter, type IncomingMessage } from './process-batch.ts';
export { ClickhouseSink, type BatchSink } from './sink.ts';
export { startIngestWorker, type IngestWorker, type IngestWorkerOptions } from './worker.ts';
export { startIngest, type IngestDeps, type IngestHandle } from './service.ts';
