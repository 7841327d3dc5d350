// Top self-time functions of a V8 .cpuprofile (node --cpu-prof):
//   tsx bench/cpuprofile-summary.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  fn: string;
  where: string;
  self_ms: number;
  share: number;
}

const shortUrl = (url: string) => {
  if (!url) return '(native)';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm + 'node_modules/'.length);
  const i = u.indexOf('/work/main/');
  return i >= 0 ? u.slice(i + '/work/main/'.length) : path.basename(u);
};

/** Self time by function (name + file + line) and by package/file, biggest first. */
export function summarise(file: string, top = 25) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  const files = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const fn = n.callFrame.functionName || '(anonymous)';
    const where = n.callFrame.url ? `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '(native)';
    const key = `${fn}@${where}`;
    const e = fns.get(key) ?? { fn, where, us: 0 };
    e.us += us;
    fns.set(key, e);
    const f = n.callFrame.url ? shortUrl(n.callFrame.url).split('/').slice(0, 2).join('/') : fn.startsWith('(') ? fn : '(native)';
    files.set(f, (files.get(f) ?? 0) + us);
  }
  const share = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    total_ms: Math.round(total / 1000),
    wall_ms: Math.round((p.endTime - p.startTime) / 1000),
    top_functions: [...fns.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => ({ fn: e.fn, where: e.where, self_ms: Math.round(e.us / 1000), share: share(e.us) })),
    by_module: [...files.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([module, us]) => ({ module, self_ms: Math.round(us / 1000), share: share(us) })),
  };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const [file, top] = process.argv.slice(2);
  process.stdout.write(`${JSON.stringify(summarise(file as string, Number(top ?? 25)), null, 2)}\n`);
}
