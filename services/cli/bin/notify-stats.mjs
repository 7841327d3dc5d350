#!/usr/bin/env node
// The project's TypeScript runs through tsx (no emit step); this launcher registers it.
// npm links the bins of workspaces (not the root package's) into node_modules/.bin, so this
// workspace carries the bin and `npx notify-stats` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
