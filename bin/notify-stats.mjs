#!/usr/bin/env node
// The repository's entry point (npm scripts, the Docker image, tests): the CLI workspace's bin.
await import('../services/cli/bin/notify-stats.mjs');
