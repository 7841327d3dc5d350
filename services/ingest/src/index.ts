export { processBatch, type BatchOutcome, type DeadLetter, type IncomingMessage } from './process-batch.ts';
export { ClickhouseSink, type BatchSink } from './sink.ts';
export { startIngestWorker, type IngestWorker, type IngestWorkerOptions } from './worker.ts';
export { startIngest, type IngestDeps, type IngestHandle } from './service.ts';
export { RowsNotStored } from './sink.ts';
export { writeChunk, backoffMs, type ChunkWriterDeps, type ChunkWritten } from './chunk-writer.ts';
export { classifyStorageError, engineErrorType, type StorageFailureKind } from './storage-errors.ts';
export { StallTracker, type PartitionStall } from './stalls.ts';
export { ingestReadiness } from './readiness.ts';
