// Lint: typescript-eslint's type-aware rules plus the house rules that
// machines can check (docs: STYLE guidelines 4, 6, 24).
import tseslint from 'typescript-eslint';
import timerUnref from './eslint-rules/timer-unref.mjs';

const PROCESS_ENV = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message:
    'Only agent/config.ts (the agent), agent/cli-env.ts (the CLI and test helpers) and agent/worker-gate.ts (LEAKWATCH_WORKERS, before the config loads) read process.env: add the variable there and pass the value in.',
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'test/**',
      'bench/**',
      'demo/**',
      'docs/**',
      '*.config.*',
      'eslint.config.mjs',
    ],
  },
  {
    files: ['agent/**/*.ts', 'probes/**/*.ts', 'reports/**/*.ts', 'bin/**/*.ts', 'testing/**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { leakwatch: { rules: { 'timer-unref': timerUnref } } },
    rules: {
      'leakwatch/timer-unref': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      'no-console': 'error',
      'no-restricted-syntax': [
        'error',
        PROCESS_ENV,
        { selector: 'ExportAllDeclaration', message: 'List every export by name.' },
      ],
    },
  },
  {
    // The readers of the environment: the agent's config, what the CLI and
    // the test helpers read (they pass the environment on to children), and
    // the worker-thread gate, which decides before the config is loaded.
    files: ['agent/config.ts', 'agent/cli-env.ts', 'agent/worker-gate.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'List every export by name.' }],
    },
  },
  {
    // The CLI and the viewers print by design.
    files: ['bin/**/*.ts', 'reports/view-*.ts', 'agent/*-command.ts'],
    rules: { 'no-console': 'off' },
  },
);
