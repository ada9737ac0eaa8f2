/**
 * docs/upgrades.md: the catalogue of routine changes (tools/upgrade/catalogue.ts, each case asserted by
 * test/upgrade/catalogue.terraform.test.ts) and the attributes where hashicorp/google 6.50.0 and the
 * provider built here differ (tools/upgrade/provider-differences.ts).
 */
import { CATALOGUE } from "../../upgrade/catalogue";
import { PROVIDER_DIFFERENCES } from "../../upgrade/provider-differences";
import type { DocSection } from "../doc-section";
import { markdownTable } from "../markdown-table";

/** The link text of a source: the file and line of a GitHub URL, else the page. */
function sourceLink(url: string): string {
  const file = /\/([^/]+\.go)#L(\d+)$/.exec(url);
  const text = file ? `${file[1]}:${file[2]}` : "Terraform: `moved` blocks";
  return `[${text}](${url})`;
}

/** The catalogue table: change, outcome, attribute, source, note. */
export function renderUpgradeCatalogue(): string {
  return markdownTable(
    ["change", "outcome", "attribute", "source (6.50.0)", "what else to know"],
    CATALOGUE.map((entry) => [
      entry.change,
      entry.outcome,
      entry.attribute,
      sourceLink(entry.source),
      entry.note ?? "",
    ]),
  );
}

/** The provider differences table. */
export function renderProviderDifferences(): string {
  return markdownTable(
    ["resource type", "attribute", "6.50.0 (the lane's answer)", "8.0.0 (built here)"],
    PROVIDER_DIFFERENCES.map((d) => [`\`${d.type}\``, `\`${d.attribute}\``, d.v6_50_0, d.v8_0_0]),
  );
}

export const SECTIONS: DocSection[] = [
  { file: "docs/upgrades.md", name: "upgrade-catalogue", render: renderUpgradeCatalogue },
  { file: "docs/upgrades.md", name: "provider-differences", render: renderProviderDifferences },
];
