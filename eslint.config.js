// Lint gate run by `npm test` (scripts/test.sh). Type-aware rules catch the promise mistakes that
// crash a long-running server or daemon; the style itself is prettier's job (.prettierrc.json).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-output/', 'src/ui/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A `let` assigned once, later, and read by closures made before (a forward reference) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Only the CLI entry decides the process's exit code (errors map to exit codes in one table).
    files: ['src/**/*.ts'],
    ignores: ['src/cli/main.ts', 'src/cli/launch.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'exit',
          message: 'Only the CLI entries (src/cli/main.ts, launch.ts) exit; return an exit code instead.',
        },
        {
          object: 'process',
          property: 'exitCode',
          message: 'Only the CLI entries (src/cli/main.ts, launch.ts) set the exit code.',
        },
      ],
    },
  },
  {
    // The web interface runs in the browser (its own tsconfig with the DOM lib).
    files: ['src/ui/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // CommonJS files (preloads loaded with --require) can only import with require().
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
