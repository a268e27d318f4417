/**
 * A small synthetic MVTec-layout dataset (normal grain surfaces) for tools/gpu-check.sh: enough for one tiny-preset
 * training run, made offline in a second.
 *
 *   node --conditions=@linewatch/source --import tsx apps/trainer/bench/gpu/make-data.ts --out <dir> [--count 32]
 *
 * Exit codes: 0 written; 2 usage.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodePng, generateSurface } from '@linewatch/vision';

const { values } = parseArgs({
  options: { out: { type: 'string' }, count: { type: 'string', default: '32' }, help: { type: 'boolean' } },
});
if (values.help || !values.out || !/^\d+$/.test(values.count ?? '')) {
  process.stdout.write('usage: make-data.ts --out <dir> [--count 32]\n');
  process.exit(values.help ? 0 : 2);
}
const out = resolve(values.out);
const good = join(out, 'train', 'good');
mkdirSync(good, { recursive: true });
mkdirSync(join(out, 'test', 'good'), { recursive: true });
for (let i = 0; i < Number(values.count); i++) {
  const s = generateSurface({ seed: `gpu-check/${i}`, width: 160, height: 120, texture: 'grain', defect: 'none' });
  writeFileSync(join(good, `${String(i).padStart(4, '0')}.png`), await encodePng(s.image));
}
process.stdout.write(`${values.count} normal images in ${out}\n`);
