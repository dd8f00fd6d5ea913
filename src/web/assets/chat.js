/* CarlinKit support chat: Web Chat on the bot's Direct Line, resumed across page reloads. */
/* global window, document, localStorage, fetch */
(function () {
  'use strict';

  var STORAGE_KEY = 'carlinkit.supportChat.v1';
  var TOKEN_URL = '/api/directline/token';
  // DirectLineJS connection states.
  var ONLINE = 2;
  var EXPIRED_TOKEN = 3;
  var FAILED_TO_CONNECT = 4;
  var ENDED = 5;

  var container = document.getElementById('webchat');
  var statusLine = document.getElementById('chat-status');
  var endButton = document.getElementById('end-chat');
  var current = null;
  var restarts = 0;

  var styleOptions = {
    accent: '#0b5cad',
    backgroundColor: '#f7f9fc',
    primaryFont: "'Segoe UI', 'Helvetica Neue', Arial, sans-serif",
    botAvatarInitials: 'CK',
    botAvatarBackgroundColor: '#14213d',
    userAvatarInitials: 'You',
    userAvatarBackgroundColor: '#0b5cad',
    bubbleBackground: '#ffffff',
    bubbleBorderColor: '#dfe6ee',
    bubbleBorderWidth: 1,
    bubbleBorderRadius: 12,
    bubbleFromUserBackground: '#0b5cad',
    bubbleFromUserTextColor: '#ffffff',
    bubbleFromUserBorderWidth: 0,
    bubbleFromUserBorderRadius: 12,
    suggestedActionBackgroundColor: '#ffffff',
    suggestedActionBorderColor: '#0b5cad',
    suggestedActionTextColor: '#0b5cad',
    suggestedActionBorderRadius: 16,
    sendBoxButtonColor: '#0b5cad',
    hideUploadButton: false,
    uploadAccept: 'image/jpeg,image/png,image/webp,image/heic,.heic',
    uploadMultiple: true,
    rootHeight: '100%',
    rootWidth: '100%'
  };

  function showStatus(text) {
    statusLine.textContent = text || '';
    statusLine.hidden = !text;
  }

  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
      return saved && saved.domain && saved.token && saved.conversationId ? saved : null;
    } catch {
      return null;
    }
  }

  function save(directLine, domain) {
    if (!directLine.conversationId || !directLine.token) return;
    try {
      localStorage.setItem(
        STORAGE_KEY,
        JSON.stringify({ domain: domain, token: directLine.token, conversationId: directLine.conversationId })
      );
    } catch {
      // Private mode or storage full: the chat still works, it just won't resume.
    }
  }

  function forget() {
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch {
      // ignore
    }
  }

  function post(url, token) {
    var headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(url, { method: 'POST', headers: headers, credentials: 'omit' }).then(function (response) {
      if (!response.ok) {
        var error = new Error('HTTP ' + response.status);
        error.status = response.status;
        throw error;
      }
      return response.status === 204 ? null : response.json();
    });
  }

  /** The saved conversation with a refreshed token, or a new conversation. */
  function openSession() {
    var saved = load();
    var resumed = saved
      ? post(saved.domain + '/tokens/refresh', saved.token).then(
          function (refreshed) {
            return { domain: saved.domain, token: refreshed.token, conversationId: saved.conversationId, resumed: true };
          },
          function (error) {
            // Expired or unknown: start over. A network failure keeps the saved conversation for next time.
            if (!error.status) throw error;
            forget();
            return null;
          }
        )
      : Promise.resolve(null);
    return resumed.then(function (session) {
      if (session) return session;
      return post(TOKEN_URL).then(function (fresh) {
        return { domain: fresh.domain, token: fresh.token, conversationId: fresh.conversationId, resumed: false };
      });
    });
  }

  function start() {
    showStatus('');
    return openSession().then(render, function (error) {
      showStatus(
        error && error.status === 429
          ? 'Too many chats were started from your network. Please wait a minute and reload the page.'
          : 'The chat could not be started. Please check your connection and reload the page.'
      );
    });
  }

  /** Disconnects the chat on this page (unsubscribed first, so ending it doesn't start a new one). */
  function stop() {
    if (!current) return;
    current.subscriptions.forEach(function (subscription) {
      subscription.unsubscribe();
    });
    current.directLine.end();
    current = null;
  }

  function restart() {
    stop();
    restarts += 1;
    if (restarts > 2) {
      showStatus('The chat could not be resumed. Please reload the page.');
      return;
    }
    start();
  }

  function render(session) {
    var directLine = window.WebChat.createDirectLine({
      domain: session.domain,
      token: session.token,
      conversationId: session.resumed ? session.conversationId : undefined,
      webSocket: true
    });
    var subscriptions = [
      directLine.connectionStatus$.subscribe(function (status) {
        if (status === ONLINE) {
          showStatus('');
          save(directLine, session.domain);
        } else if (status === EXPIRED_TOKEN || status === ENDED || (status === FAILED_TO_CONNECT && session.resumed)) {
          // The saved conversation is gone or its token ran out: begin a new one.
          forget();
          restart();
        } else if (status === FAILED_TO_CONNECT) {
          showStatus('The chat could not connect. Please check your connection and reload the page.');
        }
      }),
      // DirectLineJS refreshes the token while the page is open: keep the newest one for the next visit.
      directLine.activity$.subscribe(function () {
        save(directLine, session.domain);
      })
    ];
    current = {
      directLine: directLine,
      subscriptions: subscriptions,
      domain: session.domain,
      conversationId: session.conversationId
    };
    if (endButton) {
      endButton.hidden = false;
      endButton.disabled = false;
    }

    var host = document.createElement('div');
    host.className = 'webchat';
    container.textContent = '';
    container.appendChild(host);
    window.WebChat.renderWebChat(
      {
        directLine: directLine,
        styleOptions: styleOptions,
        locale: 'en-US',
        overrideLocalizedStrings: { TEXT_INPUT_PLACEHOLDER: 'Describe the problem or ask a question' }
      },
      host
    );
  }

  /**
   * "End chat": the server stops accepting this conversation's token (on a shared computer, the next
   * person can't reopen it) and this browser forgets it. Azure Direct Line tokens can't be revoked;
   * they are only forgotten here and run out on their own.
   */
  function endChat() {
    var session = current;
    if (!session) return;
    endButton.disabled = true;
    var token = session.directLine.token;
    var conversationId = session.directLine.conversationId || session.conversationId;
    stop();
    forget();
    var local = session.domain.indexOf(window.location.origin + '/') === 0;
    var revoked =
      local && token && conversationId
        ? post(session.domain + '/conversations/' + encodeURIComponent(conversationId) + '/end', token)
        : Promise.resolve(null);
    revoked
      .catch(function () {
        // Already ended or expired: forgotten here all the same.
      })
      .then(showEnded);
  }

  function showEnded() {
    endButton.hidden = true;
    showStatus('');
    var panel = document.createElement('div');
    panel.className = 'chat-ended';
    var text = document.createElement('p');
    text.textContent = 'This chat has ended and is no longer kept in this browser.';
    var again = document.createElement('button');
    again.type = 'button';
    again.className = 'chat-ended__restart';
    again.textContent = 'Start a new chat';
    again.addEventListener('click', function () {
      restarts = 0;
      container.textContent = '';
      start();
    });
    panel.appendChild(text);
    panel.appendChild(again);
    container.textContent = '';
    container.appendChild(panel);
  }

  if (endButton) endButton.addEventListener('click', endChat);

  window.addEventListener('pagehide', function () {
    if (current) save(current.directLine, current.domain);
  });

  start();
})();
