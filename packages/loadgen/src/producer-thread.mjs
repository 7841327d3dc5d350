// Entry of a producing thread: registers tsx (as bin/notify-stats.mjs does) so the thread can
// load the TypeScript sources whatever loader its parent runs under.
import { register } from 'tsx/esm/api';

register();
await import('./producer-thread.ts');
