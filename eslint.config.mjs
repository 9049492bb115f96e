// ESLint flat config: typescript-eslint's type-checked rules for bugs; Prettier owns formatting.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.vscode-test/**',
      '.tmp/**',
      '**/*.mjs',
      '**/*.js',
      '**/*.cjs',
      'types/**/*.d.ts',
    ],
  },
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
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
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
        {
          patterns: [
            'node:*',
            'fastify*',
            'vscode*',
            'sql.js',
            '../providers/*',
            '../store/*',
            '../http/*',
            '../rpc/*',
          ],
        },
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
  {
    // Tests read wire JSON from real sockets; typing every fake payload adds noise, not safety.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Async generators that feed parsers in tests need not await anything.
      '@typescript-eslint/require-await': 'off',
      // Fake upstream requests carry plain-string contents; stringifying them is the point.
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  prettier,
);
