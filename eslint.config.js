import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'build/**', 'coverage/**', '.tmp/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
    }
  },
  {
    // A procedure reads as its steps (issue 15): a product function over 60 lines is split into named steps, or
    // carries `eslint-disable-next-line max-lines-per-function -- <why>` beside it.
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] }
  },
  {
    // Exceptions while these files are being reshaped elsewhere (issue 15's wiring: main, the CLI and the runner
    // move into one composition root; issue 17: the multipart uploader is rewritten). Remove an entry with it.
    files: ['src/main.ts', 'src/cli/program.ts', 'src/pipeline/runner.ts', 'src/oss/upload.ts'],
    rules: { 'max-lines-per-function': 'off' }
  }
);
