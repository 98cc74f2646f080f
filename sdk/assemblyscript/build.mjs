#!/usr/bin/env node
// Build esruntime handlers written in AssemblyScript into WebAssembly modules with no imports.
//
//   node build.mjs handler.ts -o handler.wasm        one handler
//   node build.mjs a.ts b.ts --out-dir wasm/         several: wasm/a.wasm, wasm/b.wasm
//   node build.mjs --examples                        every example handler of the repository
//   node build.mjs handler.ts -o handler.wasm --names  keep function names (asc --debug)
//
// The asc flags, and why:
//   --runtime stub   a bump allocator that never frees: esr_init resets it, which reclaims
//                    everything a command allocated at once (no garbage collector to run)
//   --use abort=     no `env.abort` import: a failed assertion or an exception traps instead
//   -O3              optimize for speed (--optimizeLevel 3 --shrinkLevel 0)
// Optimized modules have no name section, so a trap shows function numbers only; --names adds
// asc's --debug, which keeps the names (about 13% larger) so traps name the functions they went
// through. Use it while developing; the committed examples are built without it.
// Memory is exported as `memory` by default; the ABI functions are the entry file's exports
// (`export * from ".../assembly/abi"`). After compiling, the module is checked: no imports, and
// every required export present, so a handler that pulls in an import (Date.now, Math.random,
// console.log ...) fails here, naming it, rather than at upload.
import asc from "assemblyscript/asc";
import { mkdirSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const FLAGS = ["--runtime", "stub", "--use", "abort=", "-O3"];
const REQUIRED = ["memory", "esr_abi_version", "esr_alloc", "esr_describe", "esr_init", "esr_apply", "esr_handle"];
const here = dirname(fileURLToPath(import.meta.url));
const examples = resolve(here, "..", "..", "examples");

/** Compile entry into output; throws with asc's diagnostics or the module's problems. */
export async function build(entry, output, { names = false } = {}) {
  mkdirSync(dirname(output), { recursive: true });
  let diagnostics = "";
  const { error } = await asc.main([entry, "-o", output, ...FLAGS, ...(names ? ["--debug"] : [])], {
    stdout: { write: () => true },
    stderr: { write: (text) => ((diagnostics += text), true) },
  });
  if (error) throw new Error(`${entry}: ${error.message}\n${diagnostics}`);
  const module = new WebAssembly.Module(readFileSync(output));
  const problems = WebAssembly.Module.imports(module).map(
    (i) => `imports ${i.module}.${i.name}; handler modules may not import anything`,
  );
  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const name of REQUIRED) if (!exports.has(name)) problems.push(`does not export ${name}`);
  if (problems.length) throw new Error(`${output}:\n  ${problems.join("\n  ")}`);
  return output;
}

/** The example handlers: every examples/<app>/assemblyscript/*.ts that registers a handler. */
export function exampleEntries() {
  const entries = [];
  for (const app of readdirSync(examples, { withFileTypes: true })) {
    const dir = join(examples, app.name, "assemblyscript");
    if (!app.isDirectory()) continue;
    let files;
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    for (const file of files.sort()) {
      const path = join(dir, file);
      if (file.endsWith(".ts") && readFileSync(path, "utf8").includes("register(")) {
        const output = join(examples, app.name, "wasm", "assemblyscript", basename(file, ".ts") + ".wasm");
        entries.push([path, output]);
      }
    }
  }
  return entries;
}

async function main(args) {
  let jobs = [];
  const sources = [];
  let output = null;
  let outDir = null;
  let names = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-o") output = args[++i];
    else if (args[i] === "--out-dir") outDir = args[++i];
    else if (args[i] === "--examples") jobs = jobs.concat(exampleEntries());
    else if (args[i] === "--names") names = true;
    else sources.push(args[i]);
  }
  if (output && sources.length !== 1) throw new Error("-o takes one source; use --out-dir for several");
  for (const source of sources) {
    const target = output || join(outDir || dirname(source), basename(source, ".ts") + ".wasm");
    jobs.push([source, target]);
  }
  if (!jobs.length) throw new Error("usage: node build.mjs handler.ts [-o out.wasm | --out-dir dir] [--names] | --examples");
  for (const [source, target] of jobs) {
    await build(source, target, { names });
    console.log(`${source} -> ${target} (${readFileSync(target).length.toLocaleString("en")} bytes)`);
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`error: ${error.message}`);
    process.exit(1);
  });
}
