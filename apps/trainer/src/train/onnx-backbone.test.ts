/**
 * `--backbone onnx:<dir>` end to end on synthetic surfaces (tiny preset): our MobileNetV2 exported as a "user" ONNX
 * backbone + manifest → train → signed package → verify → onnxruntime inference of the merged model.onnx matches the
 * trainer's own forward (≤ 1e-4); a fine-tune finds the same backbone again from the package's record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS, TokenMapPredictor } from '@linewatch/adtr';
import {
  applyBackbone,
  buildBackbonePlan,
  decodeWeights,
  loadNsfwjsModel,
  parseKerasTopology,
  type BackboneManifest,
} from '@linewatch/backbones';
import { exportModel, Graph } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import { generateSigningKeys, loadPublicKey, verifyPackage } from '@linewatch/model-package';
import {
  decodeImage,
  encodeMaskPng,
  encodePng,
  generateSurface,
  preprocessInto,
  settingsFromManifest,
} from '@linewatch/vision';
import { runCli } from '../cli/run.js';
import { COMMANDS } from '../commands/index.js';
import { silentProgress } from '../progress.js';
import { openBackbone } from './backbone.js';
import { FeatureExtractor } from './features.js';
import { decodeParams, PARAMS_FILE } from './package.js';
import { runFinetune, runTrain } from './pipeline.js';

/** The tiny preset's MobileNetV2 taps at 64 px (strides 4 and 8) as a plain ONNX file with a manifest. */
function writeUserBackbone(dir: string, size: number): BackboneManifest {
  const taps = PRESETS.tiny.model.taps;
  const files = loadNsfwjsModel('mobilenet_v2');
  const plan = buildBackbonePlan(
    parseKerasTopology(files.modelTopology),
    decodeWeights(files.weightsManifest, files.shards),
    taps,
    [size, size],
  );
  const g = new Graph();
  const [s4, s8] = applyBackbone(g, g.input('pixels', [1, 3, size, size]), plan);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'mnv2.onnx'),
    exportModel({ graph: g, outputs: { stage2: s4!, stage3: s8! }, paramsAs: 'initializers' }).bytes,
  );
  const manifest: BackboneManifest = {
    id: 'user-mnv2',
    onnx: 'mnv2.onnx',
    inputName: 'pixels',
    inputSize: [size, size],
    normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255, channelOrder: 'BGR' },
    features: [
      { output: 'stage2', stride: 4 },
      { output: 'stage3', stride: 8, channels: 32 },
    ],
  };
  writeFileSync(join(dir, 'backbone.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

async function writeDataset(root: string): Promise<void> {
  const plan = [
    ['train/good', 16, 'none'],
    ['train/scratch', 4, 'scratch'],
  ] as const;
  for (const [dir, count, defect] of plan) {
    mkdirSync(join(root, dir), { recursive: true });
    for (let i = 0; i < count; i++) {
      const s = generateSurface({
        seed: (dir.length * 97 + i) * 7919,
        width: 80,
        height: 72,
        texture: 'brushed',
        defect,
      });
      writeFileSync(join(root, dir, `${i}.png`), await encodePng(s.image));
      if (defect !== 'none') {
        mkdirSync(join(root, 'ground_truth', 'scratch'), { recursive: true });
        writeFileSync(join(root, 'ground_truth', 'scratch', `${i}_mask.png`), await encodeMaskPng(s.mask));
      }
    }
  }
  mkdirSync(join(root, 'test', 'good'), { recursive: true });
}

test(
  'train with an ONNX backbone → signed package → ORT inference of the merged graph matches the trainer forward',
  { timeout: 170_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-onnx-bb-'));
    try {
      const data = join(dir, 'data');
      await writeDataset(data);
      const bbDir = join(dir, 'backbone');
      const bm = writeUserBackbone(bbDir, 96);
      const keys = generateSigningKeys(join(dir, 'keys'));
      const out = join(dir, 'models', 'normal');
      await runTrain(
        {
          data,
          preset: 'tiny',
          backbone: { kind: 'onnx', path: bbDir },
          out,
          resume: false,
          privateKeyPath: keys.privateKeyPath,
        },
        silentProgress,
      );

      const pkg = verifyPackage(out, [loadPublicKey(keys.publicKeyPath)]);
      assert.equal(pkg.manifest.backbone.id, 'user-mnv2');
      assert.match(pkg.manifest.backbone.sha256 ?? '', /^[0-9a-f]{64}$/);
      assert.deepEqual(pkg.manifest.featureTaps, ['stage2', 'stage3']);
      // The backbone's own size and normalisation; tiny's stride-8 grid scaled to 96 px.
      assert.deepEqual([pkg.manifest.input.height, pkg.manifest.input.width], [96, 96]);
      assert.deepEqual(pkg.manifest.tokenGrid, { rows: 12, cols: 12 });
      assert.deepEqual(pkg.manifest.normalization.mean, bm.normalization.mean);
      assert.equal(pkg.manifest.normalization.channelOrder, 'BGR');

      const { record, params } = decodeParams(pkg.files.get(PARAMS_FILE)!);
      const session = await InferenceSession.open(pkg.files.get('model.onnx')!);
      assert.deepEqual(
        session.inputs.map((i) => i.name),
        ['image'],
      );
      const backbone = await openBackbone(record.backbone, record.model);
      const extractor = await FeatureExtractor.create(backbone, record.model);
      const [h, w] = record.model.inputSize;
      const [rows, cols] = record.model.grid;
      const buf = new Float32Array(3 * h * w);
      let worst = 0;
      try {
        for (const frame of pkg.manifest.selfTest!.frames) {
          const image = await decodeImage(pkg.files.get(frame.path)!);
          preprocessInto(buf, image, settingsFromManifest(pkg.manifest));
          const res = await session.run({ image: float32(buf, [1, 3, h, w]) });
          const score = (res['score']!.data as Float32Array)[0]!;
          assert.ok(
            Math.abs(score - frame.expectedScore) <= 1e-5 * Math.max(1, score),
            `golden ${frame.path}: ${score} vs ${frame.expectedScore}`,
          );
          const map = res['anomaly_map']!.data as Float32Array;
          const feats = await extractor.fromImage(image);
          const tp = await TokenMapPredictor.create({
            model: record.model,
            channels: feats.length / (rows * cols),
            params,
            batchSize: 1,
          });
          const [tokens] = await tp.predict([feats]);
          await tp.release();
          // align-corners: token (r, c) sits exactly at pixel (r·(h−1)/(rows−1), c·(w−1)/(cols−1)) when that is whole.
          for (const [r, c] of [
            [0, 0],
            [rows - 1, cols - 1],
            [0, cols - 1],
          ] as const) {
            const y = (r * (h - 1)) / (rows - 1);
            const x = (c * (w - 1)) / (cols - 1);
            const deployed = map[y * w + x]!;
            const trained = tokens![r * cols + c]!;
            worst = Math.max(worst, Math.abs(deployed - trained));
            assert.ok(
              Math.abs(deployed - trained) <= 1e-4 * Math.max(1, trained),
              `token (${r},${c}): ${deployed} vs ${trained}`,
            );
          }
        }
      } finally {
        await extractor.release();
        await session.release();
      }
      t.diagnostic(`deployed vs trainer token map max |Δ| ${worst.toExponential(2)}`);

      const px = await runFinetune(
        {
          from: out,
          data,
          dataKind: 'mvtec',
          loss: 'px',
          out: join(dir, 'models', 'px'),
          resume: false,
          privateKeyPath: keys.privateKeyPath,
        },
        silentProgress,
      );
      const pxPkg = verifyPackage(px.packageDir!, [loadPublicKey(keys.publicKeyPath)]);
      assert.equal(pxPkg.manifest.backbone.sha256, pkg.manifest.backbone.sha256);
      assert.equal(decodeParams(pxPkg.files.get(PARAMS_FILE)!).record.backbone, record.backbone);

      // Features are cached under the ONNX file's digest: the same bytes hit, changed bytes (same id) miss.
      const cacheDir = join(dir, 'cache');
      const image = join(data, 'train', 'good', '0.png');
      const cachedRun = async () => {
        const ex = await FeatureExtractor.create(await openBackbone(record.backbone, record.model), record.model, {
          cacheDir,
        });
        await ex.fromFile(image);
        await ex.release();
        return ex.cacheStats;
      };
      assert.deepEqual(await cachedRun(), { hits: 0, misses: 1 });
      assert.deepEqual(await cachedRun(), { hits: 1, misses: 0 });
      const onnxPath = join(bbDir, 'mnv2.onnx');
      writeFileSync(onnxPath, Buffer.concat([readFileSync(onnxPath), Buffer.from([0x12, 0x00])])); // + an empty producer_name (field 2)
      assert.deepEqual(await cachedRun(), { hits: 0, misses: 1 });
      // …and a fine-tune refuses a backbone that changed since its parent was trained.
      await assert.rejects(
        runFinetune(
          {
            from: out,
            data,
            dataKind: 'mvtec',
            loss: 'px',
            out: join(dir, 'models', 'px2'),
            resume: false,
            privateKeyPath: keys.privateKeyPath,
          },
          silentProgress,
        ),
        (e: unknown) =>
          (e as { code?: string }).code === 'LW_TRAINER_MODEL_INCOMPATIBLE' && /changed/.test((e as Error).message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('--backbone onnx:<path> is checked when the flags are parsed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-onnx-cli-'));
  try {
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'bad'));
    writeFileSync(join(dir, 'bad', 'backbone.json'), JSON.stringify({ id: 'x' }));
    const cli = async (backbone: string): Promise<{ code: number; err: string }> => {
      let err = '';
      const code = await runCli(
        COMMANDS,
        ['train', '--data', 'data', '--preset', 'tiny', '--out', 'o', '--backbone', backbone],
        {
          cwd: dir,
          stdout: { write: () => true },
          stderr: { write: (s: string) => ((err += s), true) },
          progress: silentProgress,
        },
      );
      return { code, err };
    };
    const missing = await cli('onnx:nowhere');
    assert.equal(missing.code, 2);
    assert.match(missing.err, /LW_TRAINER_BAD_VALUE/);
    const bad = await cli('onnx:bad');
    assert.equal(bad.code, 3);
    assert.match(bad.err, /LW_BACKBONE_MANIFEST/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
