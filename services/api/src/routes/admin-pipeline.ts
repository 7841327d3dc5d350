import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiError } from '../errors.ts';
import type { RouteDeps } from './deps.ts';

/** The ingest worker as the all-in-one runner exposes it: a replay pauses it around a rewind. */
export interface IngestControl {
  pause(): Promise<void>;
  resume(): Promise<void>;
  isPaused(): boolean;
}

export interface PipelineDeps extends RouteDeps {
  ingest?: IngestControl | undefined;
  /** Lag, dead letters, watermark, dirty days and last builds, as far as this process knows them. */
  pipelineStatus?: (() => Promise<unknown>) | undefined;
}

const route: FastifyPluginAsyncZod<PipelineDeps> = async (app, deps) => {
  const ingest = (): IngestControl => {
    if (!deps.ingest) throw new ApiError(503, 'The ingest worker does not run in this process');
    return deps.ingest;
  };

  app.post(
    '/admin/ingest/pause',
    { preValidation: deps.operatorAuth, schema: { tags: ['admin'], summary: 'Stop consuming (commits what was written, leaves the group)' } },
    async () => {
      await ingest().pause();
      return { paused: true };
    },
  );
  app.post(
    '/admin/ingest/resume',
    { preValidation: deps.operatorAuth, schema: { tags: ['admin'], summary: 'Consume again from the committed offsets' } },
    async () => {
      await ingest().resume();
      return { paused: false };
    },
  );
  app.get(
    '/admin/pipeline/status',
    { preValidation: deps.operatorAuth, schema: { tags: ['admin'], summary: 'Consumer lag per partition, dead letters, freshness, rollups' } },
    async () => {
      if (!deps.pipelineStatus) throw new ApiError(503, 'Pipeline status is not available in this process');
      return deps.pipelineStatus();
    },
  );
};
export default route;
