// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.data/**',
      'eslint.config.mjs',
      'jest.config.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  // The house's boundaries: dependencies point inward.
  {
    files: ['**/*.ts'],
    ignores: ['libs/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@app/mle/*/**'],
              message: "Import the kit's areas by their face (`@app/mle/<area>`), not their files.",
            },
            {
              group: ['@app/*/**', '!@app/mle/**'],
              message: 'Import a plug-in by its name (`@app/<plug-in>`), its public face.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/mle/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@app/*', '!@app/mle', '!@app/mle/*'],
              message: 'The kit never imports a plug-in.',
            },
            { group: ['**/apps/**'], message: 'A library never imports an app.' },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['libs/mle/**', 'libs/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@app/mle/*'],
              message: "A plug-in imports only the kit's public face, `@app/mle`.",
            },
            { group: ['@app/*', '!@app/mle'], message: 'A plug-in never imports another.' },
            { group: ['**/apps/**'], message: 'A library never imports an app.' },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/**/*.spec.ts'],
    ignores: ['libs/mle/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@app/mle/*', '!@app/mle/testing'],
              message: "A plug-in's specs import the kit's face and `@app/mle/testing`.",
            },
            {
              group: ['@app/*', '!@app/mle', '!@app/mle/*'],
              message: 'A plug-in never imports another.',
            },
            { group: ['**/apps/**'], message: 'A library never imports an app.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', '**/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
