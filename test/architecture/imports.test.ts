import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * No import circle in src/ (issue 17): a module never reaches itself through relative imports,
 * type-only imports and re-exports included (a type-only circle still ties the two modules'
 * designs together, and the next value import along it breaks at load time).
 */

const ROOT = path.resolve(__dirname, "../..");
const SRC = path.join(ROOT, "src");

/** Every `import ... from "x"`, `export ... from "x"`, `import "x"`, `import("x")` and `require("x")` in a file. */
const SPECIFIERS = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"']+)["']/g;

function sourceFiles(directory: string): string[] {
  return fs
    .readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) => {
      const file = path.join(directory, entry.name);
      if (entry.isDirectory()) return sourceFiles(file);
      return entry.isFile() && entry.name.endsWith(".ts") ? [file] : [];
    })
    .sort();
}

/** The file a relative specifier names: `x.ts` or `x/index.ts`; undefined for a package or anything else. */
function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), specifier.replace(/\.js$/, ""));
  return [`${base}.ts`, path.join(base, "index.ts"), base].find((candidate) => candidate.endsWith(".ts") && fs.existsSync(candidate));
}

/** The relative imports of every .ts file under `root`, comments left out. */
function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const text = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
    const targets = new Set<string>();
    for (const match of text.matchAll(SPECIFIERS)) {
      const target = resolveImport(file, match[1]);
      if (target) targets.add(target);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** The import circles: strongly connected components (Tarjan) of more than one module, or a module importing itself. */
function importCircles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) circles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return circles;
}

describe("imports in src/", () => {
  it("form no circle, type-only imports included", () => {
    const graph = importGraph(SRC);
    // The graph is read: a known import of each kind is in it.
    expect(graph.get(path.join(SRC, "db/schema/index.ts"))).toContain(path.join(SRC, "db/model/index.ts"));
    expect(graph.get(path.join(SRC, "tx/ledger/ledger.ts"))).toContain(path.join(SRC, "db/schema/index.ts")); // `import type { ... } from`
    const circles = importCircles(graph).map((circle) => `a circle through ${circle.map((file) => path.relative(SRC, file)).join(", ")}`);
    expect(circles).toEqual([]);
  });

  it("are checked by a search that finds a circle through a type-only import and a re-export", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "sto-imports-"));
    try {
      fs.mkdirSync(path.join(root, "b"));
      fs.writeFileSync(path.join(root, "a.ts"), 'import type { B } from "./b";\nexport interface A { b: B }\n');
      fs.writeFileSync(path.join(root, "b", "index.ts"), 'export * from "./c";\n');
      fs.writeFileSync(path.join(root, "b", "c.ts"), 'import {\n  type A,\n} from "../a";\nexport interface B { a?: A }\n');
      // Not a circle: a commented-out import, a package, and a file that imports a circle's member.
      fs.writeFileSync(path.join(root, "e.ts"), '// import { e } from "./e";\n/* import "./e"; */\nimport fs from "node:fs";\nimport "./a";\nexport const e = fs;\n');
      fs.writeFileSync(path.join(root, "d.ts"), 'import { A } from "./a";\nimport "./d";\nexport const d: A | undefined = undefined;\n');
      const circles = importCircles(importGraph(root)).map((circle) => circle.map((file) => path.relative(root, file)));
      expect(circles).toEqual([["a.ts", "b/c.ts", "b/index.ts"], ["d.ts"]]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("test/", () => {
  it("is imported by nothing in src/, bench/ or scripts/ (what both need lives in src/devtools/)", () => {
    const fromTest = ["src", "bench", "scripts"].flatMap((folder) =>
      [...importGraph(path.join(ROOT, folder))].flatMap(([file, targets]) =>
        targets.filter((target) => target.startsWith(path.join(ROOT, "test") + path.sep)).map((target) => `${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)}`),
      ),
    );
    expect(fromTest).toEqual([]);
  });
});
