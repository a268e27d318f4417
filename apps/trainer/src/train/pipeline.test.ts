/**
 * End to end on synthetic surfaces (tiny preset): train → signed package → verify → onnxruntime inference of the
 * exported graph, which must match the trainer's own forward; then both fine-tunes run from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenMapPredictor } from '@linewatch/adtr';
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
import { TrainerError } from '../errors.js';
import { silentProgress } from '../progress.js';
import { DEFAULT_CONFETTI } from './confetti.js';
import { resolveBackbone } from './backbone.js';
import { FeatureExtractor } from './features.js';
import { decodeParams, PARAMS_FILE } from './package.js';
import { runFinetune, runTrain } from './pipeline.js';

async function writeDataset(root: string): Promise<void> {
  const plan = [
    ['train/good', 24, 'none'],
    ['train/scratch', 6, 'scratch'],
    ['train/blob', 4, 'blob'],
  ] as const;
  for (const [dir, count, defect] of plan) {
    mkdirSync(join(root, dir), { recursive: true });
    for (let i = 0; i < count; i++) {
      const s = generateSurface({
        seed: (dir.length * 131 + i) * 7919,
        width: 80,
        height: 72,
        texture: 'brushed',
        defect,
        grayscale: true,
      });
      writeFileSync(join(root, dir, `${i}.png`), await encodePng(s.image));
      if (defect !== 'none') {
        mkdirSync(join(root, 'ground_truth', dir.split('/')[1]!), { recursive: true });
        writeFileSync(join(root, 'ground_truth', dir.split('/')[1]!, `${i}_mask.png`), await encodeMaskPng(s.mask));
      }
    }
  }
  // MVTec layout requires a test split folder to exist for loaders that list it; training never reads it.
  mkdirSync(join(root, 'test', 'good'), { recursive: true });
}

test(
  'train → signed package → verify → ORT inference matches the trainer forward; fine-tunes run',
  { timeout: 170_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-train-'));
    try {
      const data = join(dir, 'data');
      await writeDataset(data);
      const keys = generateSigningKeys(join(dir, 'keys'));
      const out = join(dir, 'models', 'normal');
      const res = await runTrain(
        { data, preset: 'tiny', backbone: { kind: 'nsfwjs' }, out, resume: false, privateKeyPath: keys.privateKeyPath },
        silentProgress,
      );
      assert.equal(res.packageDir, out);

      const pkg = verifyPackage(out, [loadPublicKey(keys.publicKeyPath)]);
      assert.equal(pkg.manifest.preset, 'tiny');
      assert.equal(pkg.manifest.selfTest?.frames.length, 2);
      assert.ok(pkg.manifest.threshold.value > 0);

      // The exported graph, run by onnxruntime on an image, against the trainer's own forward on that image's
      // features (token maps → same map after upsampling; compare the token-level max via the score ordering and
      // the golden frames' expected scores, which the package itself recorded).
      const { record, params } = decodeParams(pkg.files.get(PARAMS_FILE)!);
      const session = await InferenceSession.open(pkg.files.get('model.onnx')!);
      const [h, w] = record.model.inputSize;
      const buf = new Float32Array(3 * h * w);
      for (const frame of pkg.manifest.selfTest!.frames) {
        preprocessInto(buf, await decodeImage(pkg.files.get(frame.path)!), settingsFromManifest(pkg.manifest));
        const out2 = await session.run({ image: float32(buf, [1, 3, h, w]) });
        const score = (out2['score']!.data as Float32Array)[0]!;
        assert.ok(
          Math.abs(score - frame.expectedScore) <= 1e-5 * Math.max(1, score),
          `golden ${frame.path}: ${score} vs ${frame.expectedScore}`,
        );
        const map = out2['anomaly_map']!.data as Float32Array;
        // Parity: the deployed map's value at a token centre equals the training graph's token map there (≤ 1e-4).
        const backbone = resolveBackbone('nsfwjs', record.model);
        const extractor = await FeatureExtractor.create(backbone, record.model);
        const feats = await extractor.fromImage(await decodeImage(pkg.files.get(frame.path)!));
        await extractor.release();
        const predictor = await TokenMapPredictor.create({
          model: record.model,
          channels: feats.length / (record.model.grid[0] * record.model.grid[1]),
          params,
          batchSize: 1,
        });
        const [tokens] = await predictor.predict([feats]);
        await predictor.release();
        const [rows, cols] = record.model.grid;
        // align-corners: token (r, c) sits exactly at pixel (r·(h−1)/(rows−1), c·(w−1)/(cols−1)).
        for (const [r, c] of [
          [0, 0],
          [rows - 1, cols - 1],
          [3, 5],
        ] as const) {
          const y = (r * (h - 1)) / (rows - 1);
          const x = (c * (w - 1)) / (cols - 1);
          assert.ok(Number.isInteger(y) && Number.isInteger(x));
          const deployed = map[y * w + x]!;
          const trained = tokens![r * cols + c]!;
          assert.ok(
            Math.abs(deployed - trained) <= 1e-4 * Math.max(1, trained),
            `token (${r},${c}): ${deployed} vs ${trained}`,
          );
        }
      }
      await session.release();

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
      assert.equal(pxPkg.manifest.version, '1.1.0');
      assert.ok(pxPkg.manifest.build > pkg.manifest.build);
      assert.equal(decodeParams(pxPkg.files.get(PARAMS_FILE)!).record.loss, 'px');
      assert.equal(decodeParams(pxPkg.files.get(PARAMS_FILE)!).record.parent?.version, '1.0.0');
      assert.equal(pxPkg.manifest.metrics['decoderFrozen'], 0);
      // --freeze-decoder: the parent's decoder side comes through unchanged, the encoder side trains.
      const img = await runFinetune(
        {
          from: out,
          data,
          dataKind: 'mvtec',
          loss: 'img',
          freezeDecoder: true,
          out: join(dir, 'models', 'img'),
          resume: false,
          privateKeyPath: keys.privateKeyPath,
        },
        silentProgress,
      );
      const imgParams = decodeParams(readFileSync(join(img.packageDir!, PARAMS_FILE)));
      assert.equal(imgParams.record.loss, 'img');
      assert.equal(
        verifyPackage(img.packageDir!, [loadPublicKey(keys.publicKeyPath)]).manifest.metrics['decoderFrozen'],
        1,
      );
      assert.deepEqual(imgParams.params.get('adtr.aux_query'), params.get('adtr.aux_query'));
      assert.deepEqual(imgParams.params.get('adtr.output_proj.weight'), params.get('adtr.output_proj.weight'));
      assert.notDeepEqual(imgParams.params.get('adtr.input_proj.weight'), params.get('adtr.input_proj.weight'));

      // No labelled anomalies: `auto` fine-tunes L_px on confetti anomalies (DEFAULT_CONFETTI of them) unless told 0.
      const normalsOnly = join(dir, 'normals-only');
      mkdirSync(join(normalsOnly, 'test', 'good'), { recursive: true });
      mkdirSync(join(normalsOnly, 'train'));
      symlinkSync(join(data, 'train', 'good'), join(normalsOnly, 'train', 'good'));
      const base = {
        from: out,
        data: normalsOnly,
        dataKind: 'mvtec',
        loss: 'auto',
        resume: false,
        privateKeyPath: keys.privateKeyPath,
      } as const;
      await assert.rejects(
        runFinetune({ ...base, confetti: 0, out: join(dir, 'models', 'none') }, silentProgress),
        (e: unknown) =>
          e instanceof TrainerError && e.code === 'LW_TRAINER_BAD_VALUE' && /confetti is off/.test(e.message),
      );
      const cf = await runFinetune({ ...base, out: join(dir, 'models', 'confetti') }, silentProgress);
      const cfPkg = verifyPackage(cf.packageDir!, [loadPublicKey(keys.publicKeyPath)]);
      assert.equal(decodeParams(cfPkg.files.get(PARAMS_FILE)!).record.loss, 'px');
      assert.equal(cfPkg.manifest.metrics['confetti'], DEFAULT_CONFETTI);
      assert.equal(cfPkg.manifest.metrics['anomalies'], 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
