/**
 * The dependency direction is enforced by lint, not by convention: these cases lint virtual files placed inside real
 * projects and assert that the nx module-boundary rule reports (or does not report) them. If someone loosens the
 * rule or mis-tags a project, this fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, filePath) });
  assert.ok(result, 'eslint returned no result');
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

test('an app importing another app fails lint', async () => {
  const errors = await boundaryErrors(
    'apps/agent/src/__boundary_fixture__.ts',
    "import * as controller from '@linewatch/controller';\nexport const x = controller;\n",
  );
  assert.equal(errors.length, 1, `expected one boundary error, got ${JSON.stringify(errors)}`);
  assert.match(errors[0] ?? '', /can only depend on libs tagged with/);
});

test('a lib importing an app fails lint', async () => {
  const errors = await boundaryErrors(
    // graph is not a dependency of the controller, so the rule reports the tag violation (not a cycle).
    'libs/graph/src/__boundary_fixture__.ts',
    "import * as controller from '@linewatch/controller';\nexport const x = controller;\n",
  );
  assert.equal(errors.length, 1, `expected one boundary error, got ${JSON.stringify(errors)}`);
  assert.match(errors[0] ?? '', /can only depend on libs tagged with/);
});

test('a shared lib importing tooling fails lint', async () => {
  const errors = await boundaryErrors(
    // metrics is outside the tools' dependency closure (tools → model-package → protocol, vision), so the rule
    // reports the tag violation rather than a cycle.
    'libs/metrics/src/__boundary_fixture__.ts',
    "import * as tools from '@linewatch/tools';\nexport const x = tools;\n",
  );
  assert.equal(errors.length, 1, `expected one boundary error, got ${JSON.stringify(errors)}`);
  assert.match(errors[0] ?? '', /can only depend on libs tagged with/);
});

test('an app importing a shared lib is allowed', async () => {
  const errors = await boundaryErrors(
    'apps/agent/src/__boundary_fixture__.ts',
    "import * as protocol from '@linewatch/protocol';\nexport const x = protocol;\n",
  );
  assert.deepEqual(errors, []);
});

test('onnxruntime-node may be imported only by libs/inference/src/ort.ts', async () => {
  const code = "import ort from 'onnxruntime-node';\nexport const x = ort;\n";
  const ruleErrors = async (filePath: string) => {
    const [result] = await eslint.lintText(code, { filePath: resolve(root, filePath) });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports');
  };
  assert.equal((await ruleErrors('apps/agent/src/__boundary_fixture__.ts')).length, 1);
  assert.equal((await ruleErrors('libs/graph/src/runtime/__boundary_fixture__.ts')).length, 1);
  assert.equal((await ruleErrors('libs/inference/src/ort.ts')).length, 0);
});

test('end-to-end tests may import apps', async () => {
  const errors = await boundaryErrors(
    'test/__boundary_fixture__.ts',
    "import * as agent from '@linewatch/agent';\nexport const x = agent;\n",
  );
  assert.deepEqual(errors, []);
});
