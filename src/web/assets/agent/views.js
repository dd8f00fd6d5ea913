/* global document */
// Rendering: the queue, live conversations, one conversation (context panel + transcript) and the
// supervisor's figures. Text only through dom.js (textContent).

import { $, clear, el, since, time } from './dom.js';

const REASONS = {
  asked: 'asked for a person',
  repeated_failures: 'bot did not understand',
  unsolved: 'troubleshooting unsolved',
  agent_takeover: 'taken over',
  frustrated: 'frustrated',
};

const CHANNELS = { webchat: 'Web chat', sms: 'SMS' };

export function channelName(channel) {
  return CHANNELS[channel] || String(channel);
}

export function renderQueue(queue, { selectedId, unread, onOpen }) {
  const list = $('queue');
  clear(list);
  $('queue-count').textContent = String(queue.length);
  $('queue-empty').hidden = queue.length > 0;
  for (const handoff of queue) {
    const classes = ['item'];
    if (handoff.conversationId === selectedId) classes.push('selected');
    if (unread.has(handoff.conversationId)) classes.push('unread');
    list.append(
      el(
        'li',
        {
          className: classes.join(' '),
          dataset: { conversationId: handoff.conversationId, state: handoff.state },
          tabIndex: 0,
          onClick: () => onOpen(handoff.conversationId),
        },
        el(
          'div',
          { className: 'meta' },
          el('span', { className: 'wait', dataset: { since: handoff.queuedAt } }, since(handoff.queuedAt)),
          el('span', { className: 'tag' }, channelName(handoff.channel)),
          el('span', {}, REASONS[handoff.reason] || handoff.reason),
          handoff.context && handoff.context.product ? el('span', {}, handoff.context.product) : null,
          handoff.language ? el('span', { className: 'tag' }, handoff.language.toUpperCase()) : null,
          handoff.afterHours ? el('span', { className: 'tag' }, 'left a message') : null,
          handoff.state === 'with_agent' && handoff.agent ? el('span', {}, `with ${handoff.agent.name}`) : null,
        ),
        el('div', { className: 'summary' }, handoff.summary || ''),
      ),
    );
  }
}

export function renderLive(conversations, { selectedId, onOpen }) {
  const list = $('live');
  clear(list);
  const live = conversations.filter((c) => !c.handoffState || c.handoffState === 'closed');
  $('live-empty').hidden = live.length > 0;
  for (const conversation of live) {
    list.append(
      el(
        'li',
        {
          className: conversation.conversationId === selectedId ? 'item selected' : 'item',
          dataset: { conversationId: conversation.conversationId },
          tabIndex: 0,
          onClick: () => onOpen(conversation.conversationId),
        },
        el(
          'div',
          { className: 'meta' },
          el('span', { className: 'tag' }, channelName(conversation.channel)),
          el('span', {}, `active ${since(conversation.lastActivityAt)} ago`),
        ),
        el('div', { className: 'summary' }, conversation.lastCustomerText || ''),
      ),
    );
  }
}

/** Refreshes the "waiting for" figures without rebuilding the lists. */
export function tickWaits() {
  for (const node of document.querySelectorAll('.wait[data-since]')) node.textContent = since(node.dataset.since);
}

function row(label, value) {
  if (value === undefined || value === null || value === '') return [];
  return [el('dt', {}, label), el('dd', {}, value)];
}

export function renderContext(conversation) {
  const box = $('context');
  clear(box);
  const handoff = conversation.handoff;
  const context = (handoff && handoff.context) || { troubleshooting: [], photos: [] };
  const state = handoff
    ? handoff.state === 'with_agent'
      ? `with ${handoff.agent ? handoff.agent.name : 'an agent'}`
      : handoff.state === 'queued'
        ? `waiting since ${time(handoff.queuedAt)}`
        : 'closed'
    : 'with the bot';
  const ticket = context.ticket ? `${context.ticket.number} (${context.ticket.status})` : undefined;
  const draft = context.registrationDraft
    ? Object.entries(context.registrationDraft)
        .map(([key, value]) => `${key}: ${value}`)
        .join(' · ')
    : undefined;
  box.append(
    el(
      'dl',
      {},
      row('Channel', channelName(conversation.channel)),
      row('State', state),
      row('Reason', handoff ? REASONS[handoff.reason] || handoff.reason : undefined),
      row('Number', context.maskedPhone),
      row('Product', context.product),
      row('Car', context.carMake),
      row('Language', handoff && handoff.language),
      row('Ticket', ticket),
      row('Registration draft', draft),
    ),
  );
  if (context.troubleshooting && context.troubleshooting.length > 0) {
    box.append(
      el('h3', {}, 'Troubleshooting tried'),
      el(
        'ol',
        { className: 'steps' },
        context.troubleshooting.map((step) => el('li', {}, `${step.step} → ${step.answer}`)),
      ),
    );
  }
  if (context.photos && context.photos.length > 0) {
    box.append(
      el(
        'div',
        { className: 'photos' },
        context.photos.map((url) => el('a', { href: url, target: '_blank', rel: 'noopener' }, el('img', { src: url, alt: 'Customer photo' }))),
      ),
    );
  }
}

function fromLabel(entry) {
  if (entry.from === 'agent') return entry.agentName || 'Agent';
  if (entry.from === 'bot') return 'Bot';
  if (entry.from === 'system') return 'Notice';
  return 'Customer';
}

export function transcriptEntry(entry) {
  return el(
    'li',
    { className: `entry ${entry.from}`, dataset: { seq: String(entry.seq), messageId: entry.messageId || '' } },
    el('span', { className: 'from' }, `${fromLabel(entry)} · ${time(entry.at)}`),
    el('span', { className: 'text' }, entry.text || ''),
    entry.undelivered ? el('span', { className: 'undelivered' }, ` (not delivered: ${entry.undelivered})`) : null,
    (entry.attachments || []).map((attachment) =>
      attachment.url && /^image\//.test(attachment.contentType)
        ? el('img', { src: attachment.url, alt: attachment.name || 'photo', className: 'attachment' })
        : el('span', { className: 'attachment' }, ` [${attachment.name || attachment.contentType}]`),
    ),
  );
}

export function renderTranscript(entries) {
  const list = $('transcript');
  clear(list);
  for (const entry of entries) list.append(transcriptEntry(entry));
  list.scrollTop = list.scrollHeight;
}

export function appendTranscript(entry) {
  const list = $('transcript');
  const key = entry.messageId || `seq:${entry.seq}`;
  for (const node of list.children) if ((node.dataset.messageId || `seq:${node.dataset.seq}`) === key) return;
  const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
  list.append(transcriptEntry(entry));
  if (stick) list.scrollTop = list.scrollHeight;
}

function figure(label, value) {
  return el('div', { className: 'figure' }, el('b', {}, value === null || value === undefined ? '–' : String(value)), label);
}

export function renderSupervisor({ overview, unansweredQuestions }) {
  const box = $('supervisor');
  clear(box);
  const c = overview.conversations;
  box.append(
    el('h2', {}, 'Today'),
    el(
      'div',
      { className: 'figures' },
      figure('conversations', c.total),
      figure('solved by the bot', c.solvedByBot),
      figure('handed off', c.handedOff),
      figure('ticket created', c.ticketCreated),
      figure('median queue wait (s)', overview.queueWaitSeconds.median),
      figure('p90 queue wait (s)', overview.queueWaitSeconds.p90),
      figure('waiting now', overview.queueWaitSeconds.waiting),
      figure(`average rating (${overview.averageRating.count})`, overview.averageRating.value),
    ),
    el('h3', {}, 'Agents online'),
    el(
      'table',
      {},
      el('tr', {}, el('th', {}, 'Agent'), el('th', {}, 'Conversations held')),
      overview.agentsOnline.map((agent) => el('tr', {}, el('td', {}, agent.name), el('td', {}, String(agent.load)))),
    ),
    el('h3', {}, 'Handed off by language'),
    el(
      'table',
      {},
      Object.entries(overview.byLanguage).map(([language, count]) =>
        el('tr', {}, el('td', {}, language), el('td', {}, String(count))),
      ),
    ),
    el('h3', {}, 'Unanswered questions'),
    unansweredQuestions.length === 0
      ? el('p', { className: 'muted' }, 'None recorded.')
      : el(
          'table',
          {},
          el('tr', {}, el('th', {}, 'Question'), el('th', {}, 'Times'), el('th', {}, 'Last')),
          unansweredQuestions.map((q) =>
            el('tr', {}, el('td', {}, q.text), el('td', {}, String(q.count)), el('td', {}, time(q.lastAskedAt))),
          ),
        ),
  );
}
