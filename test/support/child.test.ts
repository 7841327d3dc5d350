import { expect, it } from 'vitest';
import { childRegistry, spawnOwned } from './child.ts';

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

let leftBehind = 0;

// The first test "forgets" its child, as a test that fails or times out would; the hooks of
// setup.ts must end the child's whole group before the next test starts.
it('starts a process group and leaves it running', () => {
  const { child } = spawnOwned('/bin/sh', ['-c', 'sleep 300 & sleep 300; wait'], { stdio: 'ignore' });
  leftBehind = child.pid as number;
  expect(groupAlive(leftBehind)).toBe(true);
  expect(childRegistry.liveCount()).toBe(1);
});

it('finds that group gone once the test that started it ended', () => {
  expect(leftBehind).toBeGreaterThan(0);
  expect(groupAlive(leftBehind)).toBe(false);
  expect(childRegistry.liveCount()).toBe(0);
});

it('refuses to start a process for a test that has ended', async () => {
  await childRegistry.close();
  try {
    expect(() => spawnOwned('/bin/true', [], { stdio: 'ignore' })).toThrow(/already ended/);
  } finally {
    childRegistry.open();
  }
});
