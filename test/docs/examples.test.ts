import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { CodeBlock, ROOT, codeBlocks, documentationFiles } from "./markdown";
import { describeUnorderedReference, findUnorderedReferences } from "../../constructs/testing/apply-order";

/**
 * Every TypeScript example of the README and docs/ is a program a user could copy: it imports
 * from "fresh-streams", builds a cdktf App and calls `app.synth()`. This test type-checks all of
 * them in one TypeScript program (the package name mapped to constructs/index.ts), runs each one
 * with its App writing to a temporary folder, and checks the resources it synthesized against
 * the `<!-- synth: … -->` line right above the block, e.g.
 *
 *   <!-- synth: google_pubsub_topic=2 google_dataflow_job=1 google_project_service>=10 -->
 *
 * A block that is only a fragment opts out with `<!-- not-compiled: reason -->` instead.
 */

const SYNTH_MARKER = /^<!--\s*synth:\s*(.*?)\s*-->$/;
const OPT_OUT_MARKER = /^<!--\s*not-compiled:\s*\S.*-->$/;
const LANGUAGES = ["ts", "typescript", "tsx"];

interface Expectation {
  readonly type: string;
  readonly op: "=" | ">=";
  readonly count: number;
}

interface Example {
  readonly block: CodeBlock;
  /** The virtual file the type check sees; it sits in the repository so packages resolve as for any source. */
  readonly fileName: string;
  readonly expectations: Expectation[];
}

function parseExpectations(block: CodeBlock, marker: string): Expectation[] {
  return marker
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((term) => {
      const match = /^([a-z0-9_]+)(>=|=)([0-9]+)$/.exec(term);
      if (!match) throw new Error(`${block.file}:${block.line}: cannot read "${term}" in the synth marker`);
      return { type: match[1], op: match[2] as "=" | ">=", count: Number(match[3]) };
    });
}

function collectExamples(): { examples: Example[]; optedOut: CodeBlock[]; unmarked: CodeBlock[] } {
  const examples: Example[] = [];
  const optedOut: CodeBlock[] = [];
  const unmarked: CodeBlock[] = [];
  for (const file of documentationFiles()) {
    for (const block of codeBlocks(file)) {
      if (!LANGUAGES.includes(block.language)) continue;
      const synth = SYNTH_MARKER.exec(block.precedingLine);
      if (synth) {
        const name = `${file.replace(/[^A-Za-z0-9]+/g, "_")}_L${block.line}.ts`;
        examples.push({
          block,
          fileName: path.join(ROOT, ".doc-examples", name),
          expectations: parseExpectations(block, synth[1]),
        });
      } else if (OPT_OUT_MARKER.test(block.precedingLine)) {
        optedOut.push(block);
      } else {
        unmarked.push(block);
      }
    }
  }
  return { examples, optedOut, unmarked };
}

/** The repository's compiler options, with "fresh-streams" resolving to the library's entry point. */
function compilerOptions(): ts.CompilerOptions {
  const configFile = path.join(ROOT, "tsconfig.json");
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, configFile);
  return {
    ...parsed.options,
    noEmit: true,
    types: ["node"],
    // No baseUrl: with one, a bare "constructs" would resolve to the repository's constructs/ folder.
    baseUrl: undefined,
    paths: { "fresh-streams": [path.join(ROOT, "constructs", "index.ts")] },
  };
}

/** Type-checks every example in one program; returns the diagnostics as `file:line: message`. */
function typeCheck(examples: Example[]): string[] {
  const sources = new Map(examples.map((e) => [e.fileName, e.block.code]));
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (fileName) => sources.has(fileName) || fileExists.call(host, fileName);
  host.readFile = (fileName) => sources.get(fileName) ?? readFile.call(host, fileName);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const source = sources.get(fileName);
    return source !== undefined
      ? ts.createSourceFile(fileName, source, languageVersion, true)
      : getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  const byFile = new Map(examples.map((e) => [e.fileName, e.block]));
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    const block = diagnostic.file ? byFile.get(diagnostic.file.fileName) : undefined;
    if (!diagnostic.file || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const where = block ? `${block.file}:${block.line + 1 + line}` : `${diagnostic.file.fileName}:${line + 1}`;
    return `${where}: ${message}`;
  });
}

/**
 * Runs one example as CommonJS, its App writing to `outdir`; "fresh-streams" is the library's
 * source, every other import the repository's own module (one copy of cdktf and constructs).
 */
function run(example: Example, outdir: string): void {
  const js = ts.transpileModule(example.block.code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: example.fileName,
  }).outputText;
  const exampleRequire = (id: string): unknown =>
    id === "fresh-streams" ? require(path.join(ROOT, "constructs")) : require(id);
  const module = { exports: {} };
  const previous = process.env.CDKTF_OUTDIR;
  process.env.CDKTF_OUTDIR = outdir;
  try {
    new Function("require", "module", "exports", js)(exampleRequire, module, module.exports);
  } finally {
    if (previous === undefined) delete process.env.CDKTF_OUTDIR;
    else process.env.CDKTF_OUTDIR = previous;
  }
}

/**
 * Resource counts by type over every stack the App in `outdir` synthesized, and the unordered
 * references of each stack (see `findUnorderedReferences`).
 */
function synthesizedResources(outdir: string): {
  stacks: string[];
  counts: Record<string, number>;
  unordered: string[];
} {
  const manifestFile = path.join(outdir, "manifest.json");
  if (!fs.existsSync(manifestFile))
    throw new Error("the example did not synthesize (no manifest.json): call app.synth()");
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
  const counts: Record<string, number> = {};
  const unordered: string[] = [];
  const stacks = Object.keys(manifest.stacks);
  for (const name of stacks) {
    const stackJson = JSON.parse(
      fs.readFileSync(path.join(outdir, manifest.stacks[name].synthesizedStackPath), "utf8"),
    );
    for (const [type, instances] of Object.entries(stackJson.resource ?? {})) {
      counts[type] = (counts[type] ?? 0) + Object.keys(instances as object).length;
    }
    unordered.push(...findUnorderedReferences(stackJson).map((r) => `${name}: ${describeUnorderedReference(r)}`));
  }
  return { stacks, counts, unordered };
}

describe("TypeScript examples in README.md and docs/", () => {
  const { examples, optedOut, unmarked } = collectExamples();
  let scratch: string;

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-doc-examples-"));
  });
  afterAll(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test("every ts block states what it synthesizes (or why it is only a fragment)", () => {
    expect(unmarked.map((b) => `${b.file}:${b.line}`)).toEqual([]);
    expect(examples.length).toBeGreaterThanOrEqual(1);
    // Fragments are the exception: most examples must be whole programs.
    expect(optedOut.length).toBeLessThanOrEqual(Math.max(1, Math.floor(examples.length / 3)));
  });

  test("every example imports the library by its package name and synthesizes its App", () => {
    for (const { block } of examples) {
      const where = `${block.file}:${block.line}`;
      expect({ where, imports: /from "fresh-streams"/.test(block.code) }).toEqual({ where, imports: true });
      expect({ where, synth: /\.synth\(\)/.test(block.code) }).toEqual({ where, synth: true });
    }
  });

  test("the examples type-check against the library (one program for all of them)", () => {
    expect(typeCheck(examples)).toEqual([]);
  });

  test.each(examples.map((e) => [`${e.block.file}:${e.block.line}`, e] as const))(
    "%s synthesizes the resources it claims, each created after every object it names",
    (_where, example) => {
      const outdir = fs.mkdtempSync(path.join(scratch, "out-"));
      run(example, outdir);
      const { stacks, counts, unordered } = synthesizedResources(outdir);
      expect(unordered).toEqual([]);
      expect(stacks.length).toBeGreaterThanOrEqual(1);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(3);
      expect(example.expectations.length).toBeGreaterThanOrEqual(1);
      for (const { type, op, count } of example.expectations) {
        const actual = counts[type] ?? 0;
        const claim = `${type}${op}${count}`;
        expect({ claim, holds: op === "=" ? actual === count : actual >= count, actual }).toEqual({
          claim,
          holds: true,
          actual,
        });
      }
    },
  );
});
