/**
 * The cost report as text (one line per priced item, category subtotals, the free tiers, the
 * assumptions) and as the JSON `npm run cost -- --json` prints (money rounded to cents).
 */
import type { CostLine } from "./line";
import type { CostReport } from "./model";

/** Dollars with thousands separators and cents. */
export function usd(value: number): string {
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A quantity with up to four significant decimals. */
export function quantity(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: value < 1 ? 6 : 2 });
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

function jsonLine(line: CostLine): CostLine {
  return { ...line, quantity: round(line.quantity, 6), price: line.price, monthly: round(line.monthly, 2) };
}

/** The report with money rounded to cents and quantities to 6 decimals. */
export function reportJson(report: CostReport): unknown {
  return {
    env: report.env,
    rate: report.rate,
    total: round(report.total, 2),
    categories: report.categories.map((c) => ({
      category: c.category,
      monthly: round(c.monthly, 2),
      lines: c.lines.map(jsonLine),
    })),
    assumptions: report.assumptions,
    freeTier: {
      gross: round(report.freeTier.gross, 2),
      free: round(report.freeTier.free, 2),
      net: round(report.freeTier.net, 2),
      lines: report.freeTier.lines.map(jsonLine),
    },
  };
}

function textLine(line: CostLine): string {
  return `    ${usd(line.monthly).padStart(12)}  ${line.item} — ${quantity(line.quantity)} ${line.unit} × $${line.price} [${line.resource}]`;
}

/** The report as text. */
export function reportText(report: CostReport): string {
  const out = [
    `${report.env} at ${report.rate} events/s: ${usd(report.total)} a month (list prices, before free tiers)`,
    "",
  ];
  for (const category of report.categories) {
    out.push(`  ${category.category}: ${usd(category.monthly)}`);
    for (const line of category.lines) out.push(textLine(line));
  }
  const { gross, free, net, lines } = report.freeTier;
  out.push("", `  free tiers: gross ${usd(gross)} − free ${usd(free)} = net ${usd(net)}`);
  for (const line of lines) out.push(textLine({ ...line, monthly: -line.monthly }));
  out.push("", "  assumptions:");
  for (const a of report.assumptions) out.push(`    ${a.name} = ${a.value}: ${a.note}`);
  const sources = [...new Set(report.categories.flatMap((c) => c.lines.map((l) => l.source)))];
  out.push("", "  prices (tools/cost/prices.ts):", ...sources.map((s) => `    ${s}`));
  return out.join("\n");
}
