#!/usr/bin/env node
// The project's TypeScript runs through tsx (no emit step); this launcher registers it.
import { register } from 'tsx/esm/api';

register();
await import('../services/cli/src/main.ts');
