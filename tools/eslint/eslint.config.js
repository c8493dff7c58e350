// ESLint for the dashboard. From the repository root:
//   tools/eslint/node_modules/.bin/eslint -c tools/eslint/eslint.config.js web
// Errors fail the pipeline; warnings (react-hooks/exhaustive-deps) are shown for review.
import js from "@eslint/js";
import react from "eslint-plugin-react";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";

export default [
  { ignores: ["web/dist/**", "web/node_modules/**", "web/e2e/screenshots/**"] },
  js.configs.recommended,
  react.configs.flat.recommended,
  react.configs.flat["jsx-runtime"],
  {
    files: ["web/**/*.{js,jsx,mjs}"],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      parserOptions: { ecmaFeatures: { jsx: true } },
      globals: { ...globals.browser },
    },
    settings: { react: { version: "19" } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
      "react/prop-types": "off",  // plain JavaScript components, no PropTypes
      "react/no-unescaped-entities": ["error", { forbid: [">", "}"] }],  // an apostrophe in text is fine
      // `_name` leaves a field out of a copy on purpose: const { [id]: _gone, ...rest } = map
      "no-unused-vars": ["error", { varsIgnorePattern: "^_", argsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    // tests, the browser tests' runner and the build's config run on Node (Vitest's globals too)
    files: ["web/src/test/**", "web/src/**/*.test.{js,jsx}", "web/test-setup.js", "web/src/test-setup.js", "web/e2e/**", "web/vite.config.js"],
    languageOptions: { globals: { ...globals.node, ...globals.vitest } },
  },
];
