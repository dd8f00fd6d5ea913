/* global fetch */
// The console's HTTP API (/agent/api/*): JSON in and out, the session's CSRF token on every POST.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error && body.error.code;
    this.reason = body && body.error && body.error.details && body.error.details.reason;
  }
}

export class Api {
  constructor(onSignedOut) {
    this.csrfToken = undefined;
    this.onSignedOut = onSignedOut;
  }

  async request(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body ?? {});
      if (this.csrfToken) headers['X-CSRF-Token'] = this.csrfToken;
    }
    const response = await fetch(path, init);
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const error = new ApiError(response.status, parsed);
      if (response.status === 401 && path !== '/agent/api/sign-in') this.onSignedOut(error);
      throw error;
    }
    return parsed;
  }

  async signIn(email, password) {
    const answer = await this.request('POST', '/agent/api/sign-in', { email, password });
    this.csrfToken = answer.csrfToken;
    return answer;
  }

  async session() {
    const answer = await this.request('GET', '/agent/api/session');
    this.csrfToken = answer.csrfToken;
    return answer;
  }

  signOut() {
    return this.request('POST', '/agent/api/sign-out');
  }

  queue() {
    return this.request('GET', '/agent/api/queue');
  }

  live() {
    return this.request('GET', '/agent/api/conversations');
  }

  conversation(id) {
    return this.request('GET', `/agent/api/conversations/${encodeURIComponent(id)}`);
  }

  act(id, action, body) {
    return this.request('POST', `/agent/api/conversations/${encodeURIComponent(id)}/${action}`, body);
  }

  quickReplies() {
    return this.request('GET', '/agent/api/quick-replies');
  }

  colleagues() {
    return this.request('GET', '/agent/api/colleagues');
  }

  overview() {
    return this.request('GET', '/agent/api/supervisor/overview');
  }
}
