/*
 * CarlinKit "Online Message" widget for the company website. Include once:
 *   <script src="https://SUPPORT-HOST/embed.js" async></script>
 * A floating "Online Message" button opens the support chat in a panel. To show the chat inline
 * instead, add data-target="#some-element-id" to the script tag. Optional: data-label="…".
 * The chat runs in an iframe served by the support bot: no CORS, no token on the host page, and
 * the 1 MB chat bundle loads only when the customer opens the panel.
 */
/* global document, window, URL */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || window.__carlinkitSupportChat) return;
  window.__carlinkitSupportChat = true;

  var origin = new URL(script.src).origin;
  var chatUrl = origin + '/chat';
  var label = script.getAttribute('data-label') || 'Online Message';
  var targetSelector = script.getAttribute('data-target');
  var brand = '#0b5cad';

  function frame() {
    var iframe = document.createElement('iframe');
    iframe.src = chatUrl;
    iframe.title = 'CarlinKit support chat';
    iframe.setAttribute('allow', 'clipboard-write');
    iframe.style.cssText = 'border:0;width:100%;height:100%;display:block;background:#fff;';
    return iframe;
  }

  function inline(target) {
    target.appendChild(frame());
  }

  function floating() {
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.setAttribute('aria-expanded', 'false');
    button.style.cssText =
      'position:fixed;right:20px;bottom:20px;z-index:2147483000;padding:12px 20px;border:0;border-radius:24px;' +
      'background:' + brand + ';color:#fff;font:600 15px/1.2 "Segoe UI",Arial,sans-serif;cursor:pointer;' +
      'box-shadow:0 6px 20px rgba(0,0,0,.25);';

    var panel = document.createElement('div');
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', label);
    panel.style.cssText =
      'position:fixed;right:20px;bottom:80px;z-index:2147483000;width:min(400px,calc(100vw - 40px));' +
      'height:min(640px,calc(100vh - 110px));border-radius:14px;overflow:hidden;background:#fff;' +
      'box-shadow:0 12px 40px rgba(0,0,0,.3);display:none;';

    var opened = false;
    button.addEventListener('click', function () {
      var show = panel.style.display === 'none';
      if (show && !opened) {
        panel.appendChild(frame());
        opened = true;
      }
      panel.style.display = show ? 'block' : 'none';
      button.setAttribute('aria-expanded', String(show));
    });

    document.body.appendChild(panel);
    document.body.appendChild(button);
  }

  function mount() {
    var target = targetSelector ? document.querySelector(targetSelector) : null;
    if (target) inline(target);
    else floating();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
  else mount();
})();
