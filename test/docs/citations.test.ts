// What the tree cites resolves inside the repository (issue 21): every "issue N" in a source,
// test or document has its docs/issues/N.md, and every relative link of a markdown file points at
// a file of the repository (not at ../shared or another folder outside it).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f && existsSync(path.join(ROOT, f)));
const TEXT = /\.(ts|js|mjs|cjs|md|sql)$/;
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

/** Issue numbers a text cites: "issue 16", "issues 6 and 19". */
function citedIssues(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/\bissues? (\d+)(?: and (\d+))?/gi)) {
    out.push(Number(m[1]));
    if (m[2]) out.push(Number(m[2]));
  }
  return out;
}

/** Relative link targets of a markdown text, without their #fragment. */
function markdownLinks(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!.split('#')[0]!)
    .filter((t) => t !== '' && !/^[a-z]+:/i.test(t));
}

describe('citations in the tree', () => {
  it('reads the tracked files', () => {
    expect(tracked.length).toBeGreaterThan(100);
  });

  it('finds the citations it is meant to find', () => {
    expect(citedIssues('see issue 16; issues 6 and 19. (Issue 7)')).toEqual([16, 6, 19, 7]);
    expect(markdownLinks('[a](docs/x.md#y) [b](https://example.org) [c](../shared/z.md)')).toEqual(['docs/x.md', '../shared/z.md']);
  });

  it('every issue cited has its docs/issues/N.md', () => {
    const missing = tracked
      .filter((f) => TEXT.test(f) && !f.startsWith('docs/issues/'))
      .flatMap((f) => citedIssues(read(f)).map((n) => ({ f, n })))
      .filter(({ n }) => !existsSync(path.join(ROOT, 'docs/issues', `${n}.md`)))
      .map(({ f, n }) => `${f}: issue ${n}`);
    expect(missing).toEqual([]);
  });

  it('every relative link of a markdown file resolves inside the repository', () => {
    const broken = tracked
      .filter((f) => f.endsWith('.md'))
      .flatMap((f) =>
        markdownLinks(read(f)).map((t) => ({ f, t, to: path.normalize(path.join(path.dirname(f), t)) })),
      )
      .filter(({ t, to }) => t.startsWith('/') || to.startsWith('..') || !existsSync(path.join(ROOT, to)))
      .map(({ f, t }) => `${f} -> ${t}`);
    expect(broken).toEqual([]);
  });

  it('the contract that comments cite is in docs/contract', () => {
    for (const doc of ['events.md', 'reports.md', 'operations.md']) expect(existsSync(path.join(ROOT, 'docs/contract', doc))).toBe(true);
  });
});
