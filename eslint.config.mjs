// ESLint (flat config) with typescript-eslint: the rules that keep the code plain statements.
// `npm run lint`. Formatting is Prettier's (`npm run format:check`), not ESLint's.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

export default tseslint.config({ ignores: ['dist/', 'node_modules/', 'coverage/'] }, js.configs.recommended, ...tseslint.configs.recommended, {
  languageOptions: { globals: { ...globals.browser, ...globals.node } },
  rules: {
    // plain statements: no comma expressions, no `a && b()` or `a || b()` as statements, braces always
    'no-sequences': ['error', { allowInParentheses: false }],
    '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: false, allowTernary: false }],
    curly: ['error', 'all'],
    'no-empty': ['error', { allowEmptyCatch: true }], // a catch that only means "the platform may throw here"
    '@typescript-eslint/no-explicit-any': 'off', // `any` marks values from the host page we only probe
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
  },
})
