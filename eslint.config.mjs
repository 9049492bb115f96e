// ESLint flat config: typescript-eslint's type-checked rules for bugs; Prettier owns formatting.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vscode-test/**', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The router core is pure: no I/O, no frameworks, no concrete adapters.
    files: ['daemon/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', 'fastify*', 'vscode*', 'sql.js', '../providers/*', '../store/*', '../http/*', '../rpc/*'] },
      ],
    },
  },
  {
    files: ['daemon/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['vscode', '../extension/*', '../../extension/*'] }] },
  },
  {
    files: ['extension/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../daemon/*', '../webview/*'] }] },
  },
  prettier,
);
