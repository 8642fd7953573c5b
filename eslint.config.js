// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * ESLint 9 flat config. Syntax-only (no type information) so that `npm run lint`
 * stays fast; `tsc` already checks types. Prettier owns formatting, so every
 * stylistic rule is turned off by `eslint-config-prettier` (last).
 */
export default defineConfig(
  {
    ignores: ['dist/', 'sample/dist/', 'node_modules/', 'coverage/', 'test/artifacts/', 'bench/.tmp/'],
  },
  {
    files: ['lib/**/*.ts', 'test/**/*.ts', 'sample/**/*.ts', 'bench/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // `interface Options extends Base {}` is how option types are declared for extension.
      '@typescript-eslint/no-empty-object-type': [
        'error',
        { allowInterfaces: 'with-single-extends' },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
    },
  },
  {
    // The library logs through Nest's Logger, never the console.
    files: ['lib/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Config files and scripts run by Node.
    files: ['**/*.js', '**/*.mjs'],
    ignores: ['sample/public/**'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  {
    // The sample's page: a browser module script, no build step.
    files: ['sample/public/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
  prettier,
);
