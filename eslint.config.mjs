// ESLint flat config: typescript-eslint's recommended rules everywhere, its strict
// rules on the shipped sources, plus the project's layering rules from DESIGN.md
// (only extension/src imports vscode; only webview/ imports d3 and the DOM).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const noVscode = {
  name: "vscode",
  message: "Only extension/src may import vscode (see DESIGN.md).",
};
const noD3 = { name: "d3", message: "Only webview/ may import d3 (see DESIGN.md)." };

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "dist/**",
      "out/**",
      ".tools/**",
      ".loopscope-tmp/**",
      "test-results/**",
      "runtime/**",
      "**/*.vsix",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    // The shipped code: strict.
    files: ["extension/src/**/*.ts", "model/**/*.ts", "webview/src/**/*.ts", "protocol/**/*.ts"],
    extends: [...tseslint.configs.strict],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      // tsconfig has noUncheckedIndexedAccess, so every a[i] is T | undefined; a visible `!` after a
      // bounds check is the honest spelling of "this index exists", so it stays allowed.
      "@typescript-eslint/no-non-null-assertion": "off",
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
  {
    files: ["**/*.{js,mjs,cjs}"],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // Layering (DESIGN.md). Each block below covers files no other block covers.
    files: ["extension/src/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: [noD3] }] },
  },
  {
    files: ["model/**/*.ts", "protocol/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: [noVscode, noD3] }],
      "no-restricted-globals": ["error", "window", "document", "navigator", "acquireVsCodeApi"],
    },
  },
  {
    files: ["webview/**/*.{ts,js}"],
    languageOptions: { globals: { ...globals.browser } },
    rules: { "no-restricted-imports": ["error", { paths: [noVscode] }] },
  },
  {
    // Tests and benchmarks run outside VS Code, except the e2e tests that run inside its extension host.
    files: ["test/**/*.ts", "bench/**/*.ts", "scripts/**/*.ts"],
    ignores: ["test/e2e/**"],
    rules: { "no-restricted-imports": ["error", { paths: [noVscode] }] },
  },
);
