import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, anchorsOf, documentationFiles, proseOf } from "./markdown";

/**
 * Relative links in README.md, docs/ and the module READMEs point at files that exist in the
 * repository, and links to a heading (`file.md#anchor` or `#anchor`) at a heading that exists.
 */

interface Link {
  readonly file: string;
  readonly target: string;
}

function relativeLinks(): Link[] {
  const links: Link[] = [];
  for (const file of documentationFiles()) {
    const prose = proseOf(file);
    // Inline links and images: [text](target "title"), and reference definitions: [id]: target
    const targets = [
      ...[...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
      ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => m[1]),
    ];
    for (const target of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      links.push({ file, target });
    }
  }
  return links;
}

describe("links in README.md and docs/", () => {
  const links = relativeLinks();

  test("the docs link to each other", () => {
    expect(links.length).toBeGreaterThan(10);
  });

  test("every relative link resolves to a file or folder of the repository", () => {
    const broken = links.filter(({ file, target }) => {
      const [targetPath] = target.split("#");
      if (targetPath === "") return false;
      const resolved = path.resolve(ROOT, path.dirname(file), decodeURIComponent(targetPath));
      return !resolved.startsWith(ROOT) || !fs.existsSync(resolved);
    });
    expect(broken.map(({ file, target }) => `${file}: ${target}`)).toEqual([]);
  });

  test("every link to a heading names a heading of the target", () => {
    const broken = links.filter(({ file, target }) => {
      const [targetPath, anchor] = target.split("#");
      if (anchor === undefined || !(targetPath === "" || targetPath.endsWith(".md"))) return false;
      const targetFile = targetPath === "" ? file : path.posix.join(path.posix.dirname(file), targetPath);
      if (!fs.existsSync(path.join(ROOT, targetFile))) return false; // reported by the test above
      return !anchorsOf(path.posix.normalize(targetFile)).has(decodeURIComponent(anchor));
    });
    expect(broken.map(({ file, target }) => `${file}: ${target}`)).toEqual([]);
  });
});
