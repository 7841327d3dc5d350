// The all-in-one assembly `start` runs, for the end-to-end tests to run the same one.
export { startAllInOne, type AllInOne, type PipelineResources, type PipelineSeams } from './all-in-one.ts';
export { allInOneEnv, type AllInOneEnv } from './env.ts';
