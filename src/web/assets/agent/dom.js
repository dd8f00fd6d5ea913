/* global document, location, URL */
// Building the console's DOM. Every piece of text (customer's, bot's, agent names) goes in through
// textContent, never parsed as markup: whatever a customer types is shown as the characters they typed.

/**
 * el('li', { className: 'item', dataset: { id } }, 'text', child) → an element.
 * attrs: className, dataset, hidden, title, type, value, alt, src, onClick; children: strings or nodes.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === 'className') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'onClick') node.addEventListener('click', value);
    else if (key === 'src' || key === 'href') node.setAttribute(key, safeUrl(value));
    else node[key] = value;
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function $(id) {
  return document.getElementById(id);
}

/** Links and images only to this site (photos come through it): anything else becomes about:blank. */
export function safeUrl(value) {
  try {
    const url = new URL(String(value), location.origin);
    return url.origin === location.origin ? url.href : 'about:blank';
  } catch {
    return 'about:blank';
  }
}

/** "4 min", "1 h 5 min" since an ISO date. */
export function since(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function time(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
