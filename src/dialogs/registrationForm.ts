import type { TurnContext } from 'botbuilder';
import { z } from 'zod';
import { parseAddress } from '../services/extraction/address';
import type { ProductCatalogue } from '../services/knowledge/productCatalogue';
import { FAULT_CATEGORIES, type FaultCategory } from '../services/tickets/types';
import type { FieldName, FieldValidators } from './fieldValidators';
import type { FormField, FormView } from './rendering/channelRenderer';
import { extractionContext } from './slotContext';
import type { PlainWordKey, Words } from './wording/dialogWording';

export const REGISTRATION_FORM_ID = 'registration';

/** What the form fills, by input id; `address` is one block, parsed into the draft's address lines. */
export interface FormDraft {
  productId?: string;
  serialNumber?: string;
  purchaseDate?: string;
  purchasedFrom?: string;
  orderNumber?: string;
  faultCategory?: string;
  faultDescription?: string;
  name?: string;
  phone?: string;
  email?: string;
  line1?: string;
  line2?: string;
  city?: string;
  region?: string;
  postalCode?: string;
  country?: string;
}

const INPUT_IDS = [
  'product',
  'serial',
  'purchaseDate',
  'shop',
  'orderNumber',
  'faultCategory',
  'faultDescription',
  'name',
  'phone',
  'email',
  'address',
] as const;
type InputId = (typeof INPUT_IDS)[number];

/** The submitted card, as Web Chat sends it: every input a string, absent when left out of the card. */
const submittedSchema = z.object({
  form: z.literal(REGISTRATION_FORM_ID),
  product: z.string().max(100).optional(),
  serial: z.string().max(100).optional(),
  noSerial: z.enum(['true', 'false']).optional(),
  purchaseDate: z.string().max(100).optional(),
  shop: z.string().max(200).optional(),
  orderNumber: z.string().max(100).optional(),
  faultCategory: z.string().max(40).optional(),
  faultDescription: z.string().max(2000).optional(),
  name: z.string().max(200).optional(),
  phone: z.string().max(60).optional(),
  email: z.string().max(200).optional(),
  address: z.string().max(600).optional(),
});
export type SubmittedForm = z.infer<typeof submittedSchema>;

const LABELS: Record<InputId, PlainWordKey> = {
  product: 'registration.formProduct',
  serial: 'registration.formSerial',
  purchaseDate: 'registration.formPurchaseDate',
  shop: 'registration.formShop',
  orderNumber: 'registration.formOrderNumber',
  faultCategory: 'registration.formFaultCategory',
  faultDescription: 'registration.formFaultDescription',
  name: 'registration.formName',
  phone: 'registration.formPhone',
  email: 'registration.formEmail',
  address: 'registration.formAddress',
};

/** The inputs the draft still lacks (the order number is optional: '' means none). */
export function missingInputs(draft: FormDraft, serialMissing: boolean): InputId[] {
  const missing: Record<InputId, boolean> = {
    product: draft.productId === undefined,
    serial: draft.serialNumber === undefined && !serialMissing,
    purchaseDate: draft.purchaseDate === undefined,
    shop: draft.purchasedFrom === undefined,
    orderNumber: draft.orderNumber === undefined,
    faultCategory: draft.faultCategory === undefined,
    faultDescription: draft.faultDescription === undefined,
    name: draft.name === undefined,
    phone: draft.phone === undefined,
    email: draft.email === undefined,
    address: draft.line1 === undefined,
  };
  return INPUT_IDS.filter((id) => missing[id]);
}

/** The card: the missing inputs, pre-filled with what was submitted before, each with its error. */
export function registrationForm(
  words: Words,
  catalogue: ProductCatalogue,
  faultLabels: Record<FaultCategory, string>,
  inputs: readonly InputId[],
  values: Partial<Record<string, string>> = {},
  errors: Partial<Record<string, string>> = {},
): FormView {
  const fields: FormField[] = [];
  for (const id of inputs) {
    const label = words.text(LABELS[id]);
    const value = values[id];
    const error = errors[id];
    const base = { id, label, ...(value ? { value } : {}), ...(error ? { error } : {}) };
    switch (id) {
      case 'product':
        fields.push({
          ...base,
          kind: 'choice',
          choices: catalogue.products.map((product) => ({ title: product.name, value: product.id })),
        });
        break;
      case 'faultCategory':
        fields.push({
          ...base,
          kind: 'choice',
          choices: FAULT_CATEGORIES.map((category) => ({ title: faultLabels[category], value: category })),
        });
        break;
      case 'purchaseDate':
        fields.push({ ...base, kind: 'date' });
        break;
      case 'faultDescription':
        fields.push({ ...base, kind: 'multiline' });
        break;
      case 'address':
        fields.push({
          ...base,
          kind: 'multiline',
          placeholder: words.text('registration.formAddressPlaceholder'),
        });
        break;
      case 'serial':
        fields.push({ ...base, kind: 'text' });
        fields.push({ id: 'noSerial', label: words.text('registration.formNoSerial'), kind: 'toggle' });
        break;
      default:
        fields.push({ ...base, kind: 'text' });
    }
  }
  return {
    id: REGISTRATION_FORM_ID,
    title: words.text('registration.formTitle'),
    submitLabel: words.text('registration.formSubmit'),
    fields,
  };
}

export type FormCheck =
  | { ok: true; draft: FormDraft; serialMissing: boolean }
  | { ok: false; values: Record<string, string>; errors: Record<string, string> };

/**
 * Checks a submitted card server-side: the shape with zod, then every input with the same
 * validators as typed answers. Either every missing field is usable, or each problem is named
 * next to its field (and what was typed is kept for the card sent again).
 */
export function checkForm(
  submitted: unknown,
  inputs: readonly InputId[],
  deps: { validators: FieldValidators; words: Words; context: TurnContext; now: Date },
): FormCheck {
  const parsed = submittedSchema.safeParse(submitted);
  const values: Record<string, string> = {};
  const errors: Record<string, string> = {};
  const required = deps.words.text('validation.required');
  if (!parsed.success) {
    for (const id of inputs) errors[id] = required;
    return { ok: false, values, errors };
  }
  const form = parsed.data;
  const draft: FormDraft = {};
  let serialMissing = false;
  const check = (id: InputId, field: FieldName, apply: (value: string) => void): void => {
    const raw = (form[id] ?? '').trim();
    values[id] = raw;
    if (raw === '') {
      errors[id] = required;
      return;
    }
    const result = deps.validators.validate(field, raw, { now: deps.now, words: deps.words });
    if (result.ok) apply(result.value);
    else errors[id] = result.reason;
  };
  for (const id of inputs) {
    switch (id) {
      case 'product':
        check(id, 'productModel', (value) => (draft.productId = value));
        break;
      case 'serial':
        if (form.noSerial === 'true') {
          serialMissing = true;
          draft.serialNumber = '';
        } else check(id, 'serialNumber', (value) => (draft.serialNumber = value));
        break;
      case 'purchaseDate':
        check(id, 'purchaseDate', (value) => (draft.purchaseDate = value));
        break;
      case 'shop':
        check(id, 'purchasedFrom', (value) => (draft.purchasedFrom = value));
        break;
      case 'orderNumber':
        if ((form.orderNumber ?? '').trim() === '') draft.orderNumber = '';
        else check(id, 'orderNumber', (value) => (draft.orderNumber = value));
        break;
      case 'faultCategory': {
        const category = (form.faultCategory ?? '').trim();
        values[id] = category;
        if ((FAULT_CATEGORIES as readonly string[]).includes(category)) draft.faultCategory = category;
        else errors[id] = required;
        break;
      }
      case 'faultDescription':
        check(id, 'faultDescription', (value) => (draft.faultDescription = value));
        break;
      case 'name':
        check(id, 'name', (value) => (draft.name = value));
        break;
      case 'phone': {
        const raw = (form.phone ?? '').trim();
        // A national number is read with the country of the locale or of the address in the form.
        const country = parseAddressCountry(form.address);
        const found = deps.validators.extractor.extract(
          raw,
          extractionContext(deps.context, deps.now, 'phone', country),
        ).phone;
        if (found) {
          values[id] = raw;
          draft.phone = found;
        } else check(id, 'phone', (value) => (draft.phone = value));
        break;
      }
      case 'email':
        check(id, 'email', (value) => (draft.email = value));
        break;
      case 'address': {
        const raw = (form.address ?? '').trim();
        values[id] = raw;
        const address = parseAddress(raw);
        if (raw === '') errors[id] = required;
        else if (!address.ok) errors[id] = deps.words.text(ADDRESS_PROBLEMS[address.problem]);
        else
          Object.assign(draft, {
            line1: address.address.line1,
            line2: address.address.line2 ?? '',
            city: address.address.city,
            region: address.address.region ?? '',
            postalCode: address.address.postalCode,
            country: address.address.country,
          });
        break;
      }
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, values, errors } : { ok: true, draft, serialMissing };
}

function parseAddressCountry(block: string | undefined): string | undefined {
  if (!block) return undefined;
  const parsed = parseAddress(block);
  return parsed.ok ? parsed.address.countryCode : undefined;
}

export const ADDRESS_PROBLEMS = {
  country: 'validation.addressCountry',
  postalCode: 'validation.addressPostalCode',
  street: 'validation.addressStreet',
  city: 'validation.addressCity',
} as const satisfies Record<string, PlainWordKey>;
