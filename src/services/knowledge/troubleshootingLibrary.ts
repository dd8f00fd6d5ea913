import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { projectPath } from '../projectPath';
import { loadCarMakes } from '../recognition/carMakes';
import type { ProductCatalogue, ProductCategory } from './productCatalogue';

/**
 * Troubleshooting decision trees, one data file per symptom, written and edited by support staff.
 * Everything a tree can get wrong (a typo in a node id, a loop, an unknown product or car make) is
 * caught when the file is loaded at start-up, with the file and the node named.
 */

export const SYMPTOMS = ['connection', 'audio', 'display', 'power', 'firmware'] as const;
export type Symptom = (typeof SYMPTOMS)[number];

export const PHONE_KINDS = ['iphone', 'android'] as const;
export type PhoneKind = (typeof PHONE_KINDS)[number];

export const DEFAULT_TROUBLESHOOTING_DIR = projectPath('src/services/knowledge/data/troubleshooting');

/** What the dialog knows about the customer's setup; anything may be unknown. */
export interface TroubleshootingFacts {
  productId?: string;
  category?: ProductCategory;
  /** Canonical make as in carMakes.json ("Volkswagen"). */
  carMake?: string;
  phone?: PhoneKind;
}

const nodeIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'node ids are lower-case letters, digits and dashes');

/** A step plus "Did this help?" must fit one SMS (1,600 characters) with room to spare. */
const chatTextSchema = z.string().trim().min(1).max(1_000);

const conditionSchema = z
  .strictObject({
    categories: z
      .array(z.enum(['wireless_adapter', 'ai_box', 'dongle']))
      .min(1)
      .optional(),
    products: z.array(z.string().min(1)).min(1).optional(),
    carMakes: z.array(z.string().min(1)).min(1).optional(),
    phone: z.array(z.enum(PHONE_KINDS)).min(1).optional(),
  })
  .refine(
    (condition) => Object.values(condition).some((value) => value !== undefined),
    'a condition needs at least one of categories, products, carMakes, phone',
  );
export type Condition = z.infer<typeof conditionSchema>;

const variantSchema = z.strictObject({ when: conditionSchema, text: chatTextSchema });

const stepSchema = z.strictObject({
  kind: z.literal('step'),
  id: nodeIdSchema,
  /** Short past-tense line for the repair ticket's "troubleshooting tried" list. */
  title: z.string().trim().min(3).max(120),
  text: chatTextSchema,
  variants: z.array(variantSchema).optional(),
  /** Shown only when this matches; otherwise the walk goes straight to `next`. */
  when: conditionSchema.optional(),
  next: nodeIdSchema,
});

const optionSchema = z.strictObject({
  label: z.string().trim().min(1).max(40),
  synonyms: z.array(z.string().trim().min(1).max(40)).optional(),
  next: nodeIdSchema,
  /** Facts learnt from this answer, used by later conditions. */
  sets: z.strictObject({ phone: z.enum(PHONE_KINDS).optional() }).optional(),
});

const questionSchema = z
  .strictObject({
    kind: z.literal('question'),
    id: nodeIdSchema,
    title: z.string().trim().min(3).max(120).optional(),
    text: chatTextSchema,
    variants: z.array(variantSchema).optional(),
    when: conditionSchema.optional(),
    /** Where to go when `when` does not match. */
    skipTo: nodeIdSchema.optional(),
    /** When this fact is already known, the option that sets it is followed without asking. */
    asks: z.literal('phone').optional(),
    options: z.array(optionSchema).min(2).max(6),
  })
  .refine((question) => question.when === undefined || question.skipTo !== undefined, {
    message: 'a question with "when" needs "skipTo" (where to go when it does not apply)',
    path: ['skipTo'],
  });

const endSchema = z.strictObject({
  kind: z.literal('end'),
  id: nodeIdSchema,
  /** solved: close and ask for a rating; repair: offer a repair ticket; advice: the fix is outside the product. */
  outcome: z.enum(['solved', 'repair', 'advice']),
  text: chatTextSchema,
  variants: z.array(variantSchema).optional(),
});

const nodeSchema = z.discriminatedUnion('kind', [stepSchema, questionSchema, endSchema]);
export type TreeNode = z.infer<typeof nodeSchema>;

const knownIssueSchema = z.strictObject({
  id: nodeIdSchema,
  title: z.string().trim().min(3).max(120),
  /** Known issues are specific: they apply only when every fact they name is known and matches. */
  when: conditionSchema,
  /** Support-maintained: the first firmware version with the fix (check the release notes). */
  fixedInFirmware: z.string().trim().min(1).max(40),
  text: chatTextSchema.refine((text) => text.includes('{fixedInFirmware}'), 'must mention {fixedInFirmware}'),
});
export type KnownIssue = z.infer<typeof knownIssueSchema>;

const treeFileSchema = z.strictObject({
  $comment: z.string().optional(),
  symptom: z.enum(SYMPTOMS),
  /** "Connection problems": shown in menus. */
  title: z.string().trim().min(3).max(60),
  /** One word or two for buttons ("Connection"). */
  menuLabel: z.string().trim().min(2).max(24),
  /** Pre-fills the repair ticket's fault description. */
  faultSummary: z.string().trim().min(5).max(300),
  askCarMake: z.boolean(),
  start: nodeIdSchema,
  knownIssues: z.array(knownIssueSchema).default([]),
  nodes: z.array(nodeSchema).min(1),
});
export type TreeDefinition = z.infer<typeof treeFileSchema>;

export type ResolvedNode =
  | { kind: 'step'; id: string; title: string; text: string; next: string }
  | {
      kind: 'question';
      id: string;
      title: string | undefined;
      text: string;
      options: ReadonlyArray<{
        label: string;
        synonyms: readonly string[];
        next: string;
        sets?: { phone?: PhoneKind };
      }>;
    }
  | { kind: 'end'; id: string; outcome: 'solved' | 'repair' | 'advice'; text: string };

/**
 * Node conditions are inclusive: a fact the customer could not tell us does not hide a step that may
 * apply. Variants and known issues are strict: they need the fact known and matching.
 */
export function conditionMatches(
  condition: Condition,
  facts: TroubleshootingFacts,
  mode: 'inclusive' | 'strict',
): boolean {
  const check = <T>(allowed: readonly T[] | undefined, actual: T | undefined): boolean =>
    allowed === undefined || (actual === undefined ? mode === 'inclusive' : allowed.includes(actual));
  return (
    check(condition.products, facts.productId) &&
    check(condition.categories, facts.category) &&
    check(condition.carMakes, facts.carMake) &&
    check(condition.phone, facts.phone)
  );
}

export class TroubleshootingTree {
  private readonly nodes = new Map<string, TreeNode>();

  constructor(readonly definition: TreeDefinition) {
    for (const node of definition.nodes) this.nodes.set(node.id, node);
  }

  get symptom(): Symptom {
    return this.definition.symptom;
  }

  /** Known issues that match the customer's product/car, in file order. */
  knownIssuesFor(facts: TroubleshootingFacts): KnownIssue[] {
    return this.definition.knownIssues.filter((issue) => conditionMatches(issue.when, facts, 'strict'));
  }

  knownIssue(id: string): KnownIssue | undefined {
    return this.definition.knownIssues.find((issue) => issue.id === id);
  }

  /**
   * The node to show at `nodeId`: skips nodes that do not apply and follows questions whose answer
   * is already known. Returns the facts as updated by auto-answered questions.
   */
  resolve(nodeId: string, facts: TroubleshootingFacts): { node: ResolvedNode; facts: TroubleshootingFacts } {
    let current = nodeId;
    const known = { ...facts };
    // The tree is acyclic (checked at load), so this ends within nodes.size hops.
    for (let hop = 0; hop <= this.nodes.size; hop += 1) {
      const node = this.nodes.get(current);
      if (!node) throw new Error(`Troubleshooting ${this.symptom}: no node "${current}"`);
      const text = pickText(node, known);
      if (node.kind === 'end')
        return { node: { kind: 'end', id: node.id, outcome: node.outcome, text }, facts: known };
      if (node.kind === 'step') {
        if (node.when && !conditionMatches(node.when, known, 'inclusive')) {
          current = node.next;
          continue;
        }
        return {
          node: { kind: 'step', id: node.id, title: node.title, text, next: node.next },
          facts: known,
        };
      }
      if (node.when && !conditionMatches(node.when, known, 'inclusive')) {
        current = node.skipTo ?? '';
        continue;
      }
      if (node.asks === 'phone' && known.phone !== undefined) {
        const option = node.options.find((candidate) => candidate.sets?.phone === known.phone);
        if (option) {
          current = option.next;
          continue;
        }
      }
      return {
        node: {
          kind: 'question',
          id: node.id,
          title: node.title,
          text,
          options: node.options.map((option) => ({
            label: option.label,
            synonyms: option.synonyms ?? [],
            next: option.next,
            ...(option.sets ? { sets: option.sets } : {}),
          })),
        },
        facts: known,
      };
    }
    throw new Error(`Troubleshooting ${this.symptom}: walk from "${nodeId}" did not end`);
  }
}

function pickText(node: TreeNode, facts: TroubleshootingFacts): string {
  const variant = node.variants?.find((candidate) => conditionMatches(candidate.when, facts, 'strict'));
  return variant?.text ?? node.text;
}

export interface TroubleshootingLoadOptions {
  dir?: string;
  catalogue: ProductCatalogue;
  /** Canonical car makes (as the recognizer extracts them); defaults to the recognizer's carMakes.json (trees may only name these). */
  carMakes?: readonly string[];
}

/** Every symptom's tree, validated. */
export class TroubleshootingLibrary {
  private readonly trees = new Map<Symptom, TroubleshootingTree>();

  constructor(trees: readonly TroubleshootingTree[]) {
    for (const tree of trees) this.trees.set(tree.symptom, tree);
    const missing = SYMPTOMS.filter((symptom) => !this.trees.has(symptom));
    if (missing.length > 0) throw new Error(`Troubleshooting: no tree for ${missing.join(', ')}`);
  }

  /** Loads `<dir>/<symptom>.json` for every symptom; throws one error listing every problem found. */
  static load(options: TroubleshootingLoadOptions): TroubleshootingLibrary {
    const dir = options.dir ?? DEFAULT_TROUBLESHOOTING_DIR;
    const carMakes = new Set(options.carMakes ?? loadCarMakes().map((make) => make.name));
    const problems: string[] = [];
    const trees: TroubleshootingTree[] = [];
    for (const symptom of SYMPTOMS) {
      const file = path.join(dir, `${symptom}.json`);
      const label = `troubleshooting/${symptom}.json`;
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        problems.push(`${label}: ${(error as Error).message}`);
        continue;
      }
      const parsed = treeFileSchema.safeParse(raw);
      if (!parsed.success) {
        problems.push(`${label}: ${formatIssues(parsed.error, raw)}`);
        continue;
      }
      if (parsed.data.symptom !== symptom)
        problems.push(`${label}: "symptom" is "${parsed.data.symptom}", expected "${symptom}"`);
      const treeProblems = checkTree(parsed.data, options.catalogue, carMakes);
      problems.push(...treeProblems.map((problem) => `${label}: ${problem}`));
      if (treeProblems.length === 0) trees.push(new TroubleshootingTree(parsed.data));
    }
    if (problems.length > 0)
      throw new Error(`Troubleshooting trees are invalid:\n  - ${problems.join('\n  - ')}`);
    return new TroubleshootingLibrary(trees);
  }

  get(symptom: Symptom): TroubleshootingTree {
    const tree = this.trees.get(symptom);
    if (!tree) throw new Error(`Troubleshooting: no tree for ${symptom}`);
    return tree;
  }

  all(): TroubleshootingTree[] {
    return SYMPTOMS.map((symptom) => this.get(symptom));
  }
}

/** Cross-node checks zod cannot express: references, reachability, loops, catalogue ids, car makes. */
export function checkTree(
  tree: TreeDefinition,
  catalogue: ProductCatalogue,
  carMakes: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const byId = new Map<string, TreeNode>();
  for (const node of tree.nodes) {
    if (byId.has(node.id)) problems.push(`node "${node.id}" is defined twice`);
    byId.set(node.id, node);
  }
  const knownIssueIds = new Set<string>();
  for (const issue of tree.knownIssues) {
    if (knownIssueIds.has(issue.id)) problems.push(`known issue "${issue.id}" is defined twice`);
    knownIssueIds.add(issue.id);
  }
  const edges = (node: TreeNode): string[] =>
    node.kind === 'step'
      ? [node.next]
      : node.kind === 'question'
        ? [...node.options.map((option) => option.next), ...(node.skipTo ? [node.skipTo] : [])]
        : [];

  if (!byId.has(tree.start)) problems.push(`"start" names node "${tree.start}", which does not exist`);
  for (const node of tree.nodes) {
    for (const target of edges(node)) {
      if (!byId.has(target)) problems.push(`node "${node.id}" leads to "${target}", which does not exist`);
    }
  }

  const checkCondition = (where: string, condition: Condition | undefined): void => {
    if (!condition) return;
    for (const id of condition.products ?? []) {
      if (!catalogue.get(id)) problems.push(`${where}: product "${id}" is not in the product catalogue`);
    }
    for (const make of condition.carMakes ?? []) {
      if (!carMakes.has(make))
        problems.push(`${where}: car make "${make}" is not in carMakes.json (use its canonical name)`);
    }
  };
  for (const node of tree.nodes) {
    if (node.kind !== 'end') checkCondition(`node "${node.id}"`, node.when);
    for (const variant of node.variants ?? []) checkCondition(`node "${node.id}" variant`, variant.when);
    if (
      node.kind === 'question' &&
      node.asks === 'phone' &&
      !node.options.some((option) => option.sets?.phone)
    ) {
      problems.push(`node "${node.id}" asks the phone but no option sets it`);
    }
  }
  for (const issue of tree.knownIssues) checkCondition(`known issue "${issue.id}"`, issue.when);

  if (problems.length > 0) return problems;

  // Every walk must end: no loops (depth-first search with colours), and every node reachable.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]): void => {
    const mark = state.get(id);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      problems.push(`the walk can loop: ${[...trail.slice(trail.indexOf(id)), id].join(' → ')}`);
      return;
    }
    state.set(id, 'visiting');
    const node = byId.get(id);
    if (node) for (const target of edges(node)) visit(target, [...trail, id]);
    state.set(id, 'done');
  };
  visit(tree.start, []);
  for (const node of tree.nodes) {
    if (!state.has(node.id)) problems.push(`node "${node.id}" can never be reached from "${tree.start}"`);
  }
  return problems;
}

/** "nodes.3.options.0.next: …" becomes "node "usb-port" options.0.next: …": staff know nodes by id. */
function formatIssues(error: z.ZodError, raw?: unknown): string {
  const nodes = (raw as { nodes?: unknown } | undefined)?.nodes;
  return error.issues
    .map((issue) => {
      const [first, index, ...rest] = issue.path;
      const node =
        first === 'nodes' && typeof index === 'number' && Array.isArray(nodes)
          ? (nodes[index] as { id?: unknown } | undefined)
          : undefined;
      const where =
        node && typeof node.id === 'string'
          ? `node "${node.id}"${rest.length > 0 ? ` ${rest.join('.')}` : ''}`
          : issue.path.join('.') || '(file)';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}
