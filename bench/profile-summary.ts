/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`): where a worker's CPU went, by self time
 * per function or per file, or by inclusive time per workflow-bundle function.
 *
 *   NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- --only throughput
 *   node bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile [--by fn|file|workflow] [--top 30]
 *
 * Each worker process writes one profile per thread: the main thread (activities, the SDK's
 * core bridge) and the workflow thread (workflow code in the sandbox, `workflow-bundle-*.js`).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    by: { type: 'string', default: 'file' },
    top: { type: 'string', default: '30' },
    // The workflow bundle's script, by part of its URL: `workflow-bundle` for a worker that
    // bundled at start, `bosun-workflows.js` for the bench's prebuilt bundle.
    bundle: { type: 'string', default: 'workflow-bundle,bosun-workflows.js' },
  },
});
if (!['fn', 'file', 'workflow'].includes(values.by!)) throw new Error('--by is fn, file or workflow');
const top = Number(values.top);
const bundleUrls = values.bundle!.split(',');

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(process.cwd() + '/', '')
    .replace(/.*node_modules\//, 'nm/');

for (const path of positionals) {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totals = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      return;
    }
    busy += us;
    if (values.by === 'workflow') {
      // Inclusive time of each workflow-bundle function on the stack (counted once per sample).
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const cf = byId.get(at)!.callFrame;
        if (!bundleUrls.some((u) => cf.url.includes(u))) continue;
        const key = cf.functionName || '(anonymous)';
        if (!seen.has(key)) totals.set(key, (totals.get(key) ?? 0) + us);
        seen.add(key);
      }
      return;
    }
    const cf = node.callFrame;
    const url = shortUrl(cf.url);
    const key =
      values.by === 'fn'
        ? `${cf.functionName || '(anonymous)'} ${url}:${cf.lineNumber}`
        : url
            .split('/')
            .slice(0, url.startsWith('nm/@') ? 3 : 2)
            .join('/') || cf.functionName;
    totals.set(key, (totals.get(key) ?? 0) + us);
  });
  console.log(`${path}: busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`);
  for (const [key, us] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}`);
  }
}
