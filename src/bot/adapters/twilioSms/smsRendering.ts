import type { Activity, Attachment, CardAction } from 'botbuilder';
import { splitSmsText, type SplitOptions } from '../../../services/sms/splitSmsText';

const HERO = 'application/vnd.microsoft.card.hero';
const THUMBNAIL = 'application/vnd.microsoft.card.thumbnail';
const ADAPTIVE = 'application/vnd.microsoft.card.adaptive';

/**
 * Turns the bot's replies from one turn into SMS bodies: the texts of its message activities in
 * order, cards rendered as text, suggested actions as a numbered list (the choice prompt recognises
 * "1", "2"…), then split to fit Twilio's 1,600-character limit. Typing, trace and event activities
 * have no SMS form and are dropped.
 */
export function renderRepliesAsSms(
  activities: ReadonlyArray<Partial<Activity>>,
  options?: SplitOptions,
): string[] {
  const blocks = activities.map(renderActivity).filter((block) => block.length > 0);
  if (blocks.length === 0) return [];
  return splitSmsText(blocks.join('\n\n'), options);
}

export function renderActivity(activity: Partial<Activity>): string {
  if ((activity.type ?? 'message') !== 'message') return '';
  const parts: string[] = [];
  const text = plainText(activity.text ?? '');
  if (text) parts.push(text);
  for (const attachment of activity.attachments ?? []) {
    const rendered = renderAttachment(attachment);
    if (rendered) parts.push(rendered);
  }
  const actions = activity.suggestedActions?.actions ?? [];
  const alreadyListed = actions.every((action) => text.includes(actionTitle(action)));
  if (actions.length > 0 && !alreadyListed) parts.push(numbered(actions.map(actionTitle)));
  return parts.join('\n\n').trim();
}

/** Markdown the dialogs might use, as a phone shows it best: links spelled out, emphasis dropped. */
function plainText(text: string): string {
  return text
    .replace(/\[([^\]]+)\]\((\S+?)\)/g, (_match, label: string, url: string) =>
      label === url ? url : `${label}: ${url}`,
    )
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/<br\s*\/?>/gi, '\n')
    .trim();
}

function numbered(titles: string[]): string {
  return titles.map((title, index) => `${index + 1}. ${title}`).join('\n');
}

function actionTitle(action: CardAction): string {
  if (typeof action.title === 'string' && action.title.trim() !== '') return action.title.trim();
  const value = action.value as unknown;
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

function renderAttachment(attachment: Attachment): string {
  const content = attachment.content as unknown;
  switch (attachment.contentType) {
    case HERO:
    case THUMBNAIL:
      return renderHeroCard(content);
    case ADAPTIVE:
      return renderAdaptiveCard(content);
    default:
      if (typeof attachment.contentUrl === 'string' && /^https?:\/\//.test(attachment.contentUrl)) {
        return attachment.name ? `${attachment.name}: ${attachment.contentUrl}` : attachment.contentUrl;
      }
      return '';
  }
}

function renderHeroCard(content: unknown): string {
  const card = asRecord(content);
  const lines = [str(card.title), str(card.subtitle), plainText(str(card.text))].filter(
    (line) => line !== '',
  );
  const buttons = asArray(card.buttons).map(asRecord);
  const links = buttons.filter((button) => button.type === 'openUrl' && str(button.value) !== '');
  const choices = buttons.filter((button) => button.type !== 'openUrl');
  for (const link of links) lines.push(`${str(link.title) || 'Link'}: ${str(link.value)}`);
  if (choices.length > 0)
    lines.push(numbered(choices.map((button) => str(button.title) || str(button.value))));
  return lines.join('\n');
}

function renderAdaptiveCard(content: unknown): string {
  const card = asRecord(content);
  const lines: string[] = [];
  for (const element of asArray(card.body)) renderElement(element, lines);
  renderActions(asArray(card.actions), lines);
  return lines.join('\n');
}

function renderElement(value: unknown, lines: string[]): void {
  const element = asRecord(value);
  switch (element.type) {
    case 'TextBlock':
      if (str(element.text)) lines.push(plainText(str(element.text)));
      return;
    case 'RichTextBlock': {
      const text = asArray(element.inlines)
        .map((inline) => (typeof inline === 'string' ? inline : str(asRecord(inline).text)))
        .join('');
      if (text.trim()) lines.push(text.trim());
      return;
    }
    case 'FactSet':
      for (const fact of asArray(element.facts).map(asRecord))
        lines.push(`${str(fact.title)}: ${str(fact.value)}`);
      return;
    case 'Container':
      for (const item of asArray(element.items)) renderElement(item, lines);
      return;
    case 'ColumnSet':
      for (const column of asArray(element.columns))
        for (const item of asArray(asRecord(column).items)) renderElement(item, lines);
      return;
    case 'ActionSet':
      renderActions(asArray(element.actions), lines);
      return;
    case 'Input.ChoiceSet': {
      const choices = asArray(element.choices).map((choice) => str(asRecord(choice).title));
      if (str(element.label)) lines.push(str(element.label));
      if (choices.length > 0) lines.push(numbered(choices));
      return;
    }
    default:
      return;
  }
}

function renderActions(actions: unknown[], lines: string[]): void {
  const records = actions.map(asRecord);
  for (const link of records.filter((action) => action.type === 'Action.OpenUrl' && str(action.url) !== '')) {
    lines.push(`${str(link.title) || 'Link'}: ${str(link.url)}`);
  }
  const choices = records.filter(
    (action) => action.type === 'Action.Submit' || action.type === 'Action.Execute',
  );
  if (choices.length > 0) lines.push(numbered(choices.map((action) => str(action.title))));
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}
