// CDK-style lint rules: typed code, no floating promises, explicit member
// accessibility, no default exports, consistent imports.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Files of the AWS plane: the only ones that may import `@pulumi/*`. */
const AWS_PLANE = ['src/aws/**', 'src/bridge/**', 'src/testing/**', 'src/**/*-aws.ts', 'src/**/*-stack.ts', 'src/pulumi.ts'];
const PULUMI_ONLY_IN_AWS_PLANE = {
  group: ['@pulumi/*'],
  message: 'Pulumi belongs to the AWS plane (src/aws, src/bridge, *-aws.ts, *-stack.ts, src/pulumi.ts): the Kubernetes entry point must not load it.',
};
const NO_CLI = { group: ['**/cli/*', '**/cli'], message: 'src/cli holds process entry points; the library never imports them.' };

export default tseslint.config(
  { ignores: ['imports/**', 'bundles/**', 'bin/**', 'test/consumers/**', 'lib/**', 'dist/**', 'node_modules/**', 'scratch/**', 'docs/api/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/explicit-member-accessibility': ['error', { accessibility: 'explicit', overrides: { constructors: 'no-public' } }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-assertions': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
      'no-console': 'off',
      'curly': ['error', 'multi-line'],
      'eqeqeq': ['error', 'always'],
      'prefer-const': 'error',
      'no-throw-literal': 'error',
      'quotes': ['error', 'single', { avoidEscape: true }],
      'semi': ['error', 'always'],
      'comma-dangle': ['error', 'always-multiline'],
      'max-len': ['error', { code: 170, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreComments: true }],
    },
  },
  // Layering (test/layering.test.ts checks the rest): Pulumi only in the AWS plane, so the
  // Kubernetes entry point never loads it; the library never imports its process entry points.
  {
    files: ['src/**/*.ts'],
    ignores: AWS_PLANE,
    rules: { 'no-restricted-imports': ['error', { patterns: [PULUMI_ONLY_IN_AWS_PLANE, NO_CLI] }] },
  },
  {
    files: AWS_PLANE,
    ignores: ['src/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_CLI] }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Tests may assert presence with `!` after finding an object; the library may not.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test'] }],
      }],
      'max-len': ['error', { code: 220, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreComments: true }],
    },
  },
);
