import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'infra/kafka/lib/**', '.data/**', 'bench/results/**', 'bench/kafka-clients/**', 'bench/codec-candidates/**/*.cjs', 'services/api/public/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  // Command-line entry points talk to a terminal; services log through pino.
  { files: ['**/src/main.ts', 'bench/**', 'scripts/**'], rules: { 'no-console': 'off' } },
);
