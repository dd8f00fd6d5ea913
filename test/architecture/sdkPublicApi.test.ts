import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', 'src');

/** Every module specifier a file imports, re-exports, requires or loads dynamically. */
function moduleSpecifiers(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  return [...source.matchAll(pattern)].map((match) => match[1] ?? '');
}

/** A path inside a Bot Framework package (`botbuilder-dialogs/lib/…`), not its public entry point. */
function isSdkInternal(specifier: string): boolean {
  return /^(botbuilder|botframework)[^/]*\/(lib|src|dist|internal)(\/|$)/.test(specifier);
}

/** Names of botbuilder private per-turn values this code once read or carried between turns. */
const SDK_PRIVATES = ['ActivityReceivedEmitted', 'DialogStateManagerConfiguration'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [full] : [];
  });
}

describe('Bot Framework SDK: public API only', () => {
  it('when a file imports a deep botbuilder path, the scan reports it (positive control)', () => {
    const sample = [
      "import { DialogStateManager } from 'botbuilder-dialogs/lib/memory/dialogStateManager';",
      "export { ComponentDialog } from 'botbuilder-dialogs/lib/componentDialog';",
      "const m = require('botbuilder-core/lib/turnContext');",
      "import type { X } from 'botframework-connector/lib/auth';",
      "import { ActivityHandler } from 'botbuilder';",
      "import { DialogSet } from 'botbuilder-dialogs';",
    ].join('\n');
    assert.deepEqual(moduleSpecifiers(sample).filter(isSdkInternal), [
      'botbuilder-dialogs/lib/memory/dialogStateManager',
      'botbuilder-dialogs/lib/componentDialog',
      'botbuilder-core/lib/turnContext',
      'botframework-connector/lib/auth',
    ]);
  });

  it('when src/ is scanned, no file imports from inside a botbuilder* or botframework* package', () => {
    const files = sourceFiles(SRC);
    assert.ok(files.length > 50, `scanned ${files.length} files under ${SRC}`);
    const offending = files.flatMap((file) =>
      moduleSpecifiers(readFileSync(file, 'utf8'))
        .filter(isSdkInternal)
        .map((specifier) => `${path.relative(SRC, file)}: ${specifier}`),
    );
    assert.deepEqual(offending, []);
  });

  it('when src/ is scanned, no file names a botbuilder private turn-state value', () => {
    const offending = sourceFiles(SRC).flatMap((file) => {
      const source = readFileSync(file, 'utf8');
      return SDK_PRIVATES.filter((name) => source.includes(name)).map(
        (name) => `${path.relative(SRC, file)}: ${name}`,
      );
    });
    assert.deepEqual(offending, []);
  });
});
