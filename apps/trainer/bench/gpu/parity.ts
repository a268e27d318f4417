/**
 * Provider parity for tools/gpu-check.sh: the same model package scored through the same preprocessing on a
 * reference provider (cpu) and a candidate (cuda), on synthetic surfaces with and without defects; the largest
 * absolute difference of the image score and of any anomaly-map pixel must stay within --tolerance (default 1e-3).
 * The candidate must really run on the provider asked for (no silent fallback: a CUDA check that ran on the CPU
 * would prove nothing).
 *
 *   node --conditions=@linewatch/source --import tsx apps/trainer/bench/gpu/parity.ts --package <dir|tar>
 *        --json <file> [--reference cpu] [--candidate cuda] [--device-id 0] [--images 16] [--tolerance 1e-3]
 *
 * Exit codes: 0 within tolerance; 1 outside it, or the candidate provider did not open; 2 usage.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseProviders } from '@linewatch/inference';
import { MODEL_FILE } from '@linewatch/model-package';
import { generateSurface } from '@linewatch/vision';
import { openModel, type EvalModel } from '../../src/eval/model.js';
import { loadPackage } from '../../src/package-io.js';

const { values } = parseArgs({
  options: {
    package: { type: 'string' },
    json: { type: 'string' },
    reference: { type: 'string', default: 'cpu' },
    candidate: { type: 'string', default: 'cuda' },
    'device-id': { type: 'string' },
    images: { type: 'string', default: '16' },
    tolerance: { type: 'string', default: '1e-3' },
    help: { type: 'boolean' },
  },
});
const tolerance = Number(values.tolerance);
if (values.help || !values.package || !values.json || !(tolerance >= 0) || !/^\d+$/.test(values.images ?? '')) {
  process.stdout.write(
    'usage: parity.ts --package <dir|tar> --json <file> [--reference cpu] [--candidate cuda] [--device-id 0] [--images 16] [--tolerance 1e-3]\n',
  );
  process.exit(values.help ? 0 : 2);
}
const [reference] = parseProviders([values.reference!]);
const [candidate] = parseProviders([values.candidate!]);
const deviceId = values['device-id'] === undefined ? undefined : Number(values['device-id']);

const pkg = loadPackage(resolve(values.package), []);
const onnx = pkg.files.get(MODEL_FILE)!;
const open = (p: string): Promise<EvalModel> =>
  openModel(pkg.manifest, onnx, { providers: [p], ...(deviceId !== undefined ? { deviceId } : {}) });
const ref = await open(reference!);
const cand = await open(candidate!);
let maxScoreDiff = 0;
let maxMapDiff = 0;
try {
  const [h, w] = [120, 160];
  for (let i = 0; i < Number(values.images); i++) {
    const defect = i % 2 === 0 ? 'none' : 'scratch';
    const { image } = generateSurface({ seed: `parity/${i}`, width: w, height: h, texture: 'grain', defect });
    const a = await ref.score(image);
    const b = await cand.score(image);
    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(a.score - b.score));
    for (let p = 0; p < a.map.data.length; p++)
      maxMapDiff = Math.max(maxMapDiff, Math.abs(a.map.data[p]! - b.map.data[p]!));
  }
} finally {
  await ref.release();
  await cand.release();
}
const ranOn = cand.provider === candidate;
const ok = ranOn && maxScoreDiff <= tolerance && maxMapDiff <= tolerance;
const result = {
  ok,
  reference: ref.provider,
  candidate: cand.provider,
  candidateRequested: candidate,
  deviceId: deviceId ?? 0,
  images: Number(values.images),
  tolerance,
  maxScoreDiff,
  maxMapDiff,
  model: { id: pkg.manifest.modelId, version: pkg.manifest.version },
};
const json = resolve(values.json);
mkdirSync(dirname(json), { recursive: true });
writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `parity ${ref.provider} vs ${cand.provider}: max |Δscore| ${maxScoreDiff.toExponential(2)}, max |Δmap| ${maxMapDiff.toExponential(2)} (tolerance ${tolerance}) → ${ok ? 'ok' : 'FAIL'}\n`,
);
process.exit(ok ? 0 : 1);
