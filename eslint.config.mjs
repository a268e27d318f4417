// One flat config for the workspace. The nx rule enforces the dependency direction from ARCHITECTURE.md:
// apps never import apps, libs never import apps, and scopes limit which libs each app may use.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:app', 'type:tool'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:training', onlyDependOnLibsWithTags: ['scope:shared', 'scope:training'] },
  { sourceTag: 'scope:agent', onlyDependOnLibsWithTags: ['scope:shared', 'scope:agent'] },
  { sourceTag: 'scope:controller', onlyDependOnLibsWithTags: ['scope:shared', 'scope:controller'] },
  { sourceTag: 'scope:trainer', onlyDependOnLibsWithTags: ['scope:shared', 'scope:training', 'scope:trainer'] },
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.nx/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      // Except the controller's QA UI: hand-written browser modules, served as is (type-checked by tsconfig.ui.json).
      '!apps/controller/ui/**/*.js',
    ],
  },
  ...tseslint.configs.recommended,
  {
    // Browser ES modules. Names (DOM globals included) are resolved by the type checker with lib DOM, so `no-undef`
    // stays off as typescript-eslint advises and no globals list is needed; the recommended rules above apply.
    files: ['apps/controller/ui/**/*.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints, banTransitiveDependencies: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          // Config is validated once at start-up and frozen; only config modules may read the environment.
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through the validated config module (files named config*.ts), not process.env.',
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['libs/inference/src/ort.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'onnxruntime-node',
              message: 'onnxruntime is touched in one module: use @linewatch/inference (libs/inference/src/ort.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/config*.ts', 'tools/**/*.ts', '**/*.test.ts', 'test/**/*.ts', '**/bench/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
