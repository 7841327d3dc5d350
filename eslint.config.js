import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // bench/kafka-clients and the codec candidates' .cjs are one-off comparisons run against
  // libraries that are not the project's dependencies (found through NODE_PATH).
  { ignores: ['**/node_modules/**', '**/dist/**', 'infra/kafka/lib/**', '.data/**', 'bench/results/**', 'bench/kafka-clients/**', 'bench/codec-candidates/**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  // Plain JavaScript has no type checker to catch a misspelt or missing name: no-undef does, with
  // the globals of where it runs. Node: the bin launchers, this file.
  { files: ['**/*.{js,mjs,cjs}'], rules: { 'no-undef': 'error' } },
  { files: ['**/*.{js,mjs,cjs}'], ignores: ['services/api/dashboard/**'], languageOptions: { globals: globals.node } },
  // The dashboard's ES modules run in the browser, served as they are (services/api/dashboard).
  { files: ['services/api/dashboard/**/*.js'], languageOptions: { globals: globals.browser } },
  // Command-line entry points talk to a terminal; services log through pino.
  { files: ['**/src/main.ts', 'bench/**', 'scripts/**'], rules: { 'no-console': 'off' } },
);
