/** Prints rows as an aligned plain-text table (first row = header), so every benchmark reads the same. */
export function printTable(title: string, rows: ReadonlyArray<ReadonlyArray<string>>): void {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const line = (row: ReadonlyArray<string>): string =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  rows.forEach((row, index) => {
    console.log(line(row));
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  });
}
