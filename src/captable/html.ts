import type { CapTable } from "./captable";
import { fixedPoint } from "./amounts";
import { summaryLines, tableHead, tableRows, unverifiedBanner } from "./format";

/** Slices of the ownership chart: the largest holders, the rest together as "Others". */
const CHART_SLICES = 10;
const COLOURS = ["#1b6ca8", "#e07a1f", "#2e9e5b", "#c0392b", "#8e44ad", "#16a085", "#d4ac0d", "#7f8c8d", "#2c3e50", "#e84393"];
const OTHERS_COLOUR = "#bdc3c7";

/** Escapes text for HTML element content and attribute values: names come from user files. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

interface Slice {
  label: string;
  /** Share of the accounted supply, 0..1, for drawing only (the table holds the exact figures). */
  fraction: number;
  /** The exact percentage at the table's accuracy, as the table prints it. */
  percentText: string;
  colour: string;
}

/** The chart's slices from the holders with a positive balance, largest first. */
function chartSlices(table: CapTable): Slice[] {
  const holders = table.entries
    .filter((entry) => entry.balance > 0n)
    .sort((a, b) => (a.balance === b.balance ? 0 : a.balance > b.balance ? -1 : 1));
  if (table.accountedSupply <= 0n) return [];
  // Drawing precision: parts per million is plenty for a picture.
  const fraction = (units: bigint) => Number((units * 1_000_000n) / table.accountedSupply) / 1_000_000;
  const listed = holders.slice(0, CHART_SLICES);
  const slices: Slice[] = listed.map((entry, index) => ({
    label: entry.name ?? entry.address,
    fraction: fraction(entry.balance),
    percentText: fixedPoint(entry.percentUnits ?? 0n, table.accuracy),
    colour: COLOURS[index % COLOURS.length],
  }));
  const shown = listed.reduce((sum, entry) => sum + entry.balance, 0n);
  const others = table.accountedSupply - shown;
  if (others > 0n) {
    // Holders cut by --max-entries are not in the list, so their share is what the listed ones leave.
    const whole = 100n * 10n ** BigInt(table.accuracy);
    const listedUnits = listed.reduce((sum, entry) => sum + (entry.percentUnits ?? 0n), 0n);
    slices.push({ label: "Others", fraction: fraction(others), percentText: fixedPoint(whole - listedUnits, table.accuracy), colour: OTHERS_COLOUR });
  }
  return slices;
}

/** An SVG pie (a full circle for a single holder) with one path per slice. */
function pieSvg(slices: Slice[]): string {
  const radius = 100;
  const centre = 110;
  const parts: string[] = [];
  let angle = -Math.PI / 2;
  for (const slice of slices) {
    if (slice.fraction >= 0.999999) {
      parts.push(`<circle class="slice" cx="${centre}" cy="${centre}" r="${radius}" fill="${slice.colour}"><title>${escapeHtml(slice.label)}</title></circle>`);
      break;
    }
    const sweep = slice.fraction * 2 * Math.PI;
    const end = angle + sweep;
    const point = (a: number) => `${(centre + radius * Math.cos(a)).toFixed(3)} ${(centre + radius * Math.sin(a)).toFixed(3)}`;
    const largeArc = sweep > Math.PI ? 1 : 0;
    parts.push(
      `<path class="slice" d="M ${centre} ${centre} L ${point(angle)} A ${radius} ${radius} 0 ${largeArc} 1 ${point(end)} Z" fill="${slice.colour}"><title>${escapeHtml(slice.label)}</title></path>`,
    );
    angle = end;
  }
  return `<svg id="ownership-chart" role="img" aria-label="Ownership chart" width="220" height="220" viewBox="0 0 220 220">${parts.join("")}</svg>`;
}

/**
 * A self-contained HTML page (no scripts, fonts or images from elsewhere) with the cap table's
 * header, an ownership chart and the table. Every name and value is escaped.
 */
export function capTableHtml(table: CapTable, generatedAt: Date = new Date()): string {
  const title = `Cap table of ${table.token.name ?? table.token.address}${table.token.symbol ? ` (${table.token.symbol})` : ""}`;
  const summary = summaryLines(table)
    .map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join("\n");
  const slices = chartSlices(table);
  const legend = slices
    .map(
      (slice) =>
        `<li><span class="swatch" style="background:${slice.colour}"></span>${escapeHtml(slice.label)} — ${slice.percentText}%</li>`,
    )
    .join("\n");
  const head = tableHead(table).map((cell, index) => `<th${index >= 3 ? ' class="number"' : ""}>${escapeHtml(cell)}</th>`).join("");
  const rows = tableRows(table)
    .map((row) => `<tr>${row.map((cell, index) => `<td${index >= 3 ? ' class="number"' : ""}>${escapeHtml(cell)}</td>`).join("")}</tr>`)
    .join("\n");
  const omitted = table.totalEntries - table.entries.length;
  const banner = unverifiedBanner(table);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.overview { display: flex; gap: 2rem; align-items: center; flex-wrap: wrap; margin: 1.5rem 0; }
.legend { list-style: none; padding: 0; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.4rem; vertical-align: middle; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; font-variant-numeric: tabular-nums; }
.number { text-align: right; }
.unverified { border: 2px solid #c0392b; background: #fdecea; color: #922b21; padding: 0.6rem 1rem; font-weight: 600; }
footer { margin-top: 1.5rem; color: #777; font-size: 0.85rem; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${banner === null ? "" : `<p class="unverified" id="unverified-banner" role="alert">${escapeHtml(banner)}</p>`}
<dl id="summary">
${summary}
</dl>
<section class="overview">
${pieSvg(slices)}
<ul class="legend" id="chart-legend">
${legend}
</ul>
</section>
<table id="cap-table">
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
${omitted > 0 ? `<p>${omitted} more holders not listed (--max-entries).</p>` : ""}
<footer>Generated by sto at ${escapeHtml(generatedAt.toISOString())}. Percentages are of the accounted supply and sum to 100 at the printed accuracy.</footer>
</body>
</html>
`;
}
