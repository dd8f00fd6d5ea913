import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProductCatalogue } from '../../../src/services/knowledge/productCatalogue';
import {
  DEFAULT_TROUBLESHOOTING_DIR,
  SYMPTOMS,
  TroubleshootingLibrary,
} from '../../../src/services/knowledge/troubleshootingLibrary';

const catalogue = ProductCatalogue.load();

/** Copies the shipped trees to a temp dir, lets the test break one, and loads the copy. */
async function loadWith(
  symptom: string,
  change: (tree: Record<string, unknown> & { nodes: Array<Record<string, unknown>> }) => void,
): Promise<Error> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'trees-'));
  try {
    for (const name of SYMPTOMS) {
      const raw = JSON.parse(
        await readFile(path.join(DEFAULT_TROUBLESHOOTING_DIR, `${name}.json`), 'utf8'),
      ) as Record<string, unknown> & {
        nodes: Array<Record<string, unknown>>;
      };
      if (name === symptom) change(raw);
      await writeFile(path.join(dir, `${name}.json`), JSON.stringify(raw));
    }
    try {
      TroubleshootingLibrary.load({ dir, catalogue });
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected the trees to be refused');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('TroubleshootingLibrary', () => {
  it('when the shipped data files are loaded, every symptom has a valid tree', () => {
    const library = TroubleshootingLibrary.load({ catalogue });
    assert.deepEqual(
      library.all().map((tree) => tree.symptom),
      [...SYMPTOMS],
    );
  });

  const broken: Array<
    [
      string,
      string,
      (tree: Record<string, unknown> & { nodes: Array<Record<string, unknown>> }) => void,
      RegExp,
    ]
  > = [
    [
      'a step leads to a node that does not exist',
      'audio',
      (tree) => void (tree.nodes[1].next = 'nowhere'),
      /audio\.json: node "no-sound" leads to "nowhere", which does not exist/,
    ],
    [
      'the start node is missing',
      'power',
      (tree) => void (tree.start = 'missing'),
      /power\.json: "start" names node "missing"/,
    ],
    [
      'two steps lead to each other',
      'display',
      (tree) => {
        const restart = tree.nodes.find((node) => node.id === 'display-restart')!;
        restart.next = 'display-source';
      },
      /display\.json: the walk can loop: .*display-source → display-restart → display-source/,
    ],
    [
      'a node is never reached',
      'display',
      (tree) => void tree.nodes.push({ kind: 'end', id: 'orphan', outcome: 'advice', text: 'Never shown.' }),
      /node "orphan" can never be reached/,
    ],
    [
      'a condition names a product not in the catalogue',
      'connection',
      (tree) => void (tree.nodes[2].when = { products: ['cpc999'] }),
      /product "cpc999" is not in the product catalogue/,
    ],
    [
      'a variant names a car make the recognizer does not know',
      'connection',
      (tree) => void (tree.nodes[5].variants = [{ when: { carMakes: ['Volkswagon'] }, text: 'x' }]),
      /car make "Volkswagon" is not in carMakes\.json/,
    ],
    [
      'a question with "when" has no skipTo',
      'firmware',
      (tree) => void delete tree.nodes[0].skipTo,
      /firmware\.json: node "ai-box-what" skipTo: a question with "when" needs "skipTo"/,
    ],
    [
      'a known issue does not say which firmware fixes it',
      'connection',
      (tree) => void ((tree.knownIssues as Array<Record<string, unknown>>)[0].text = 'Update it.'),
      /must mention \{fixedInFirmware\}/,
    ],
    [
      'the file is not JSON',
      'audio',
      (tree) => void (tree.symptom = 'connection'),
      /audio\.json: "symptom" is "connection", expected "audio"/,
    ],
  ];
  for (const [problem, symptom, change, message] of broken) {
    it(`when ${problem}, loading fails naming the file and the problem`, async () => {
      const error = await loadWith(symptom, change);
      assert.match(error.message, message);
    });
  }

  describe('walking a tree', () => {
    const library = TroubleshootingLibrary.load({ catalogue });
    const connection = library.get('connection');

    it('when the phone is already known, the "which phone" question answers itself', () => {
      const { node } = connection.resolve('which-phone', {
        productId: 'u2w-plus',
        category: 'wireless_adapter',
        phone: 'iphone',
      });
      assert.equal(node.id, 'restart-all');
    });

    it('when the product is a dongle, the dongle step is shown and the wired-CarPlay question is skipped', () => {
      const facts = { productId: 'autokit-dongle', category: 'dongle' as const, phone: 'android' as const };
      assert.equal(connection.resolve('dongle-autokit', facts).node.id, 'dongle-autokit');
      assert.equal(connection.resolve('wired-check', facts).node.id, 'usb-port');
    });

    it('when the product is unknown, steps for a specific product category still show (better one step too many)', () => {
      assert.equal(connection.resolve('dongle-autokit', {}).node.id, 'dongle-autokit');
    });

    it('when the car make has a variant, its text is used; otherwise the general text', () => {
      const toyota = connection.resolve('usb-port', { carMake: 'Toyota' }).node;
      const other = connection.resolve('usb-port', { carMake: 'Tesla' }).node;
      assert.match(toyota.kind === 'step' ? toyota.text : '', /Toyota and Lexus/);
      assert.doesNotMatch(other.kind === 'step' ? other.text : '', /Toyota/);
    });

    it('when the car and product match a known issue, it is offered; an unknown car gets none', () => {
      const facts = { productId: 'cpc200-ccpa', category: 'wireless_adapter' as const, carMake: 'Audi' };
      assert.deepEqual(
        connection.knownIssuesFor(facts).map((issue) => issue.id),
        ['vw-mib-drops'],
      );
      assert.deepEqual(
        connection.knownIssuesFor({ productId: 'cpc200-ccpa', category: 'wireless_adapter' }),
        [],
      );
    });

    it('when no step helps, every walk ends, for every symptom and product, with a repair offer or advice', () => {
      for (const tree of library.all()) {
        for (const product of catalogue.products) {
          let facts: Parameters<typeof tree.resolve>[1] = {
            productId: product.id,
            category: product.category,
            phone: 'android',
          };
          let id = tree.definition.start;
          let outcome: string | undefined;
          for (let hop = 0; hop < 50 && !outcome; hop += 1) {
            const resolved = tree.resolve(id, facts);
            facts = resolved.facts;
            const node = resolved.node;
            if (node.kind === 'end') outcome = node.outcome;
            else if (node.kind === 'step') id = node.next;
            else id = node.options[0].next;
          }
          assert.ok(
            outcome === 'repair' || outcome === 'advice',
            `${tree.symptom} for ${product.id} ends (${String(outcome)})`,
          );
          assert.ok(
            tree.definition.nodes.some((node) => node.kind === 'end' && node.outcome === 'repair'),
            `${tree.symptom} can offer a repair`,
          );
        }
      }
    });

    it('when a step text plus "Did this help?" is sent, it fits one SMS', () => {
      const texts = library
        .all()
        .flatMap((tree) => [
          ...tree.definition.nodes.flatMap((node) => [
            node.text,
            ...(node.variants ?? []).map((variant) => variant.text),
          ]),
          ...tree.definition.knownIssues.map((issue) => issue.text),
        ]);
      for (const text of texts) assert.ok(text.length + 20 <= 1_600, text.slice(0, 40));
    });
  });
});
