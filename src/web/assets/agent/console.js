/* global window, document, Notification, AudioContext, setTimeout, clearTimeout, setInterval */
// The agent console: sign-in, the live queue, one conversation at a time, the agent's actions.

import { $, clear, el } from './dom.js';
import { Api } from './api.js';
import { LiveFeed } from './live.js';
import {
  appendTranscript,
  renderContext,
  renderLive,
  renderQueue,
  renderSupervisor,
  renderTranscript,
  tickWaits,
} from './views.js';

const REPLY_MAX = 1500;

const state = {
  me: undefined,
  queue: [],
  live: [],
  selectedId: undefined,
  conversation: undefined,
  unread: new Set(),
  feed: undefined,
  typingTimer: undefined,
  lastTypingSent: 0,
};

const api = new Api(() => signedOut('Your session has ended: sign in again.'));

function show(view) {
  $('sign-in-view').hidden = view !== 'sign-in';
  $('console-view').hidden = view !== 'console';
  for (const id of ['who', 'sign-out', 'notify']) $(id).hidden = view !== 'console';
  $('supervisor-toggle').hidden = view !== 'console' || !state.me || state.me.role !== 'supervisor';
  if (view === 'console' && 'Notification' in window && Notification.permission !== 'default') $('notify').hidden = true;
}

function showError(id, error) {
  const box = $(id);
  box.textContent = error ? error.message || String(error) : '';
  box.hidden = !error;
}

function signedOut(message) {
  if (state.feed) state.feed.stop();
  state.feed = undefined;
  state.me = undefined;
  show('sign-in');
  showError('sign-in-error', message ? { message } : undefined);
}

async function start(session) {
  state.me = { ...session.agent, agentId: session.agentId };
  $('who').textContent = `${session.agent.name} (${session.agent.role})`;
  show('console');
  state.feed = new LiveFeed({
    csrfToken: api.csrfToken,
    onEvent: onEvent,
    onState: (connection, hello) => {
      $('connection').textContent = connection;
      $('connection').dataset.state = connection;
      if (hello) {
        // (Re)connected: events missed while the socket was down are not replayed; reload.
        void reloadLists();
        if (state.selectedId) void openConversation(state.selectedId);
      }
    },
    onSessionEnded: () => signedOut('Your session has ended: sign in again.'),
    beforeReconnect: async () => (await api.session()).csrfToken,
  });
  state.feed.open();
  const [{ quickReplies }, { colleagues }] = await Promise.all([api.quickReplies(), api.colleagues()]);
  const quick = $('quick-replies');
  clear(quick);
  quick.append(el('option', { value: '' }, 'Quick replies (FAQ answers)…'));
  for (const reply of quickReplies) quick.append(el('option', { value: reply.id }, reply.label));
  quick.onchange = () => {
    const chosen = quickReplies.find((reply) => reply.id === quick.value);
    if (chosen) {
      $('reply').value = chosen.text.slice(0, REPLY_MAX);
      updateCount();
    }
    quick.value = '';
  };
  const transferTo = $('transfer-to');
  clear(transferTo);
  for (const colleague of colleagues) transferTo.append(el('option', { value: colleague.agentId }, colleague.name));
  transferTo.closest('label').hidden = colleagues.length === 0;
}

async function reloadLists() {
  const [{ queue }, { conversations }] = await Promise.all([api.queue(), api.live()]);
  state.queue = queue;
  state.live = conversations;
  renderLists();
}

function renderLists() {
  const options = { selectedId: state.selectedId, unread: state.unread, onOpen: (id) => void openConversation(id) };
  renderQueue(state.queue, options);
  renderLive(state.live, options);
}

async function openConversation(id) {
  state.selectedId = id;
  state.unread.delete(id);
  $('supervisor').hidden = true;
  $('placeholder').hidden = true;
  $('conversation').hidden = false;
  $('conversation').dataset.conversationId = id;
  showError('action-error');
  renderLists();
  try {
    const { conversation } = await api.conversation(id);
    if (state.selectedId !== id) return;
    state.conversation = conversation;
    renderConversation();
  } catch (error) {
    showError('action-error', error);
  }
}

function holder(conversation) {
  const handoff = conversation && conversation.handoff;
  return handoff && handoff.state === 'with_agent' && handoff.agent ? handoff.agent : undefined;
}

function renderConversation() {
  const conversation = state.conversation;
  renderContext(conversation);
  renderTranscript(conversation.transcript || []);
  const handoff = conversation.handoff;
  const held = holder(conversation);
  const mine = held && state.me && held.agentId === state.me.agentId;
  const queued = handoff && handoff.state === 'queued';
  const open = handoff && handoff.state !== 'closed';
  $('claim').hidden = !queued;
  $('take-over').hidden = Boolean(queued || mine);
  $('take-over').textContent = held ? `Take over from ${held.name}` : 'Take over';
  for (const id of ['hand-back', 'close', 'transfer', 'send', 'reply']) $(id).disabled = !mine || !open;
  $('reply-form').dataset.mine = mine ? 'yes' : 'no';
}

function notifyNewEscalation(handoff) {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.08;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  } catch {
    // No sound: the queue still shows it.
  }
  if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
    new Notification('New conversation waiting', { body: handoff.summary || '', tag: handoff.conversationId });
  }
}

function onEvent(event) {
  const id = event.conversationId;
  switch (event.type) {
    case 'queued':
      state.queue = state.queue.filter((h) => h.conversationId !== id).concat([event.handoff]);
      state.unread.add(id);
      renderLists();
      notifyNewEscalation(event.handoff);
      break;
    case 'customer_message':
    case 'agent_message':
    case 'system_message':
      if (id === state.selectedId) appendTranscript(event.entry);
      else if (event.type === 'customer_message' && state.queue.some((h) => h.conversationId === id)) {
        state.unread.add(id);
        renderLists();
      }
      if (id === state.selectedId && event.type === 'customer_message') $('typing').hidden = true;
      break;
    case 'typing':
      if (id === state.selectedId && (!state.me || event.agent.agentId !== state.me.agentId)) {
        $('typing').textContent = `${event.agent.name} is typing…`;
        $('typing').hidden = false;
        clearTimeout(state.typingTimer);
        state.typingTimer = setTimeout(() => ($('typing').hidden = true), 4000);
      }
      break;
    default:
      // claimed, handed_back, closed, transferred, cancelled: the queue and the open view change.
      void reloadLists();
      if (id === state.selectedId) void openConversation(id);
  }
}

async function act(action, body) {
  const id = state.selectedId;
  if (!id) return;
  showError('action-error');
  try {
    const { conversation } = await api.act(id, action, body);
    if (conversation && state.selectedId === id) {
      state.conversation = conversation;
      renderConversation();
    }
    await reloadLists();
    return true;
  } catch (error) {
    showError('action-error', error);
    if (error.status === 409) void openConversation(id);
    return false;
  }
}

function updateCount() {
  $('reply-count').textContent = `${$('reply').value.length} / ${REPLY_MAX}`;
}

function wire() {
  $('sign-in-form').addEventListener('submit', async (submit) => {
    submit.preventDefault();
    showError('sign-in-error');
    $('sign-in').disabled = true;
    try {
      const session = await api.signIn($('email').value, $('password').value);
      $('password').value = '';
      await start(session);
    } catch (error) {
      showError('sign-in-error', error);
    } finally {
      $('sign-in').disabled = false;
    }
  });
  $('sign-out').addEventListener('click', async () => {
    try {
      await api.signOut();
    } finally {
      signedOut();
    }
  });
  $('notify').addEventListener('click', async () => {
    if ('Notification' in window) await Notification.requestPermission();
    $('notify').hidden = true;
  });
  $('supervisor-toggle').addEventListener('click', async () => {
    const box = $('supervisor');
    if (!box.hidden) {
      box.hidden = true;
      $('placeholder').hidden = Boolean(state.selectedId);
      $('conversation').hidden = !state.selectedId;
      return;
    }
    try {
      renderSupervisor(await api.overview());
      box.hidden = false;
      $('conversation').hidden = true;
      $('placeholder').hidden = true;
    } catch (error) {
      showError('action-error', error);
    }
  });
  $('claim').addEventListener('click', () => void act('claim'));
  $('take-over').addEventListener('click', () => void act('take-over'));
  $('hand-back').addEventListener('click', () => void act('hand-back'));
  $('close').addEventListener('click', () => void act('close'));
  $('transfer').addEventListener('click', () => {
    const to = $('transfer-to').value;
    if (to) void act('transfer', { toAgentId: to });
  });
  $('reply').addEventListener('input', () => {
    updateCount();
    const now = Date.now();
    if (state.selectedId && $('reply-form').dataset.mine === 'yes' && now - state.lastTypingSent > 3000) {
      state.lastTypingSent = now;
      api.act(state.selectedId, 'typing').catch(() => {});
    }
  });
  $('reply').addEventListener('keydown', (key) => {
    if (key.key === 'Enter' && !key.shiftKey) {
      key.preventDefault();
      $('reply-form').requestSubmit();
    }
  });
  $('reply-form').addEventListener('submit', async (submit) => {
    submit.preventDefault();
    const text = $('reply').value.trim();
    if (!text) return;
    if (text.length > REPLY_MAX) {
      showError('action-error', { message: `A reply is at most ${REPLY_MAX} characters.` });
      return;
    }
    showError('action-error');
    try {
      const { entry } = await api.act(state.selectedId, 'reply', { text });
      if (entry) appendTranscript(entry);
      $('reply').value = '';
      updateCount();
    } catch (error) {
      showError('action-error', error);
    }
  });
  setInterval(tickWaits, 15_000);
}

async function boot() {
  wire();
  try {
    await start(await api.session());
  } catch {
    show('sign-in');
  }
}

void boot();
