// @ts-check
// ESLint with typescript-eslint's type-aware rules, run by `npm run check` (and so by CI) with
// zero warnings allowed. Formatting is Prettier's job, so no stylistic rules here.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  // Generated: engine/schema/types.ts by `npm run gen`, test/device/typed-client/ by openapi-typescript.
  {
    ignores: [
      "dist/",
      "data/",
      "node_modules/",
      ".cache/",
      "public/",
      "engine/schema/types.ts",
      "test/device/typed-client/",
      "test/bench/*.bundle.mjs",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Named although recommendedTypeChecked has them: the reason this linter is here.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      // Unused code: imports, variables, parameters before a used one; `_name` marks one kept on purpose.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { args: "after-used", argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // Tests read answers as JSON (`await res.json()`, `JSON.parse(logLine)`) and assert on them:
    // those values are `any` by design, and the assertions are their check. Everything else holds.
    files: ["test/**"],
    rules: {
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    // Plain JavaScript (bin/, the test runner, bench servers, this file): no types to check against.
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
