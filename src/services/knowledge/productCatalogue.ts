import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { projectPath } from '../projectPath';

const productSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  model: z.string().min(1),
  category: z.enum(['wireless_adapter', 'ai_box', 'dongle']),
  supports: z.object({ carplay: z.boolean(), androidAuto: z.boolean() }),
  requires: z.string().min(1),
  warrantyMonths: z.number().int().positive(),
  aliases: z.array(z.string().min(1)).min(1),
  /** How this family's serial numbers look (a regular expression over the upper-cased serial). */
  serialPattern: z
    .string()
    .refine((pattern) => {
      try {
        new RegExp(pattern);
        return true;
      } catch {
        return false;
      }
    }, 'must be a valid regular expression')
    .optional(),
});

const catalogueFileSchema = z.object({
  $comment: z.string().optional(),
  products: z.array(productSchema).min(1),
});

export type Product = z.infer<typeof productSchema>;
export type ProductCategory = Product['category'];

export const DEFAULT_PRODUCTS_FILE = projectPath('src/services/knowledge/data/products.json');

/** The products CarlinKit sells, from a data file support staff edit; aliases map customer wording to a product. */
export class ProductCatalogue {
  private readonly byId = new Map<string, Product>();
  /** Longest alias first, so "tbox plus" wins over "tbox". */
  private readonly aliases: Array<{ alias: string; product: Product }>;

  constructor(readonly products: readonly Product[]) {
    for (const product of products) {
      if (this.byId.has(product.id)) throw new Error(`Product catalogue: duplicate id "${product.id}"`);
      this.byId.set(product.id, product);
    }
    const seen = new Map<string, string>();
    this.aliases = [];
    for (const product of products) {
      for (const alias of [product.model, ...product.aliases].map(normaliseAlias)) {
        const owner = seen.get(alias);
        if (owner && owner !== product.id) {
          throw new Error(
            `Product catalogue: alias "${alias}" belongs to both "${owner}" and "${product.id}"`,
          );
        }
        if (!owner) {
          seen.set(alias, product.id);
          this.aliases.push({ alias, product });
        }
      }
    }
    this.aliases.sort((a, b) => b.alias.length - a.alias.length);
  }

  /** Reads and validates the data file; throws naming the file and the problem. */
  static load(file: string = DEFAULT_PRODUCTS_FILE): ProductCatalogue {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`Product catalogue ${path.basename(file)}: ${(error as Error).message}`);
    }
    const parsed = catalogueFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(
        `Product catalogue ${path.basename(file)}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      );
    }
    return new ProductCatalogue(parsed.data.products);
  }

  get(id: string): Product | undefined {
    return this.byId.get(id);
  }

  /** Every alias with its product, longest first (for entity extraction). */
  aliasList(): ReadonlyArray<{ alias: string; product: Product }> {
    return this.aliases;
  }

  /** Finds the product a customer means by an exact alias, model or id ("u2w+", "CPC200-CCPA", "2air"). */
  find(text: string): Product | undefined {
    const wanted = normaliseAlias(text);
    return this.byId.get(wanted) ?? this.aliases.find((entry) => entry.alias === wanted)?.product;
  }
}

export function normaliseAlias(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\s_]+/g, ' ')
    .trim();
}
