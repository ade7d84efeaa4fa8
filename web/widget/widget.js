/*! Switchboard chat widget. Embed with one tag:
 *  <script src="https://support.example.com/widget.js" data-tenant="demo" async></script>
 * Optional attributes: data-lang="en|zh" (else <html lang>, else the browser's language) and
 * data-kb-url="https://help.example.com/articles/{id}#{anchor}" (makes cited articles links).
 * Vanilla JS, no dependencies. The UI lives in a shadow root so the host page's CSS cannot reach
 * it; every piece of message text is set with textContent, never parsed as HTML. */
(function () {
  'use strict';
  if (window.__switchboardWidget) return;
  window.__switchboardWidget = true;

  var script = document.currentScript ||
    document.querySelector('script[src*="widget.js"][data-tenant]');
  if (!script) return;
  var BASE = new URL('.', script.src).href; // the API lives where the script came from
  var TENANT = script.getAttribute('data-tenant') || 'demo';
  var KB_URL = script.getAttribute('data-kb-url') || '';
  var STORE_KEY = 'switchboard:' + TENANT + ':conversation';
  var OPEN_KEY = 'switchboard:' + TENANT + ':open';

  var TEXT = {
    en: {
      launcher: 'Chat with support', title: 'Support', close: 'Close chat',
      welcome: 'Hi! Ask me anything about your plan, your bill or your phone.',
      inputLabel: 'Your message', placeholder: 'Type your question…', send: 'Send',
      human: 'Talk to a person', typing: 'The assistant is typing…', you: 'You',
      bot: 'Assistant', agent: 'Agent', sources: 'Sources:',
      queue: 'You are number {position} in the queue. Estimated wait: {wait}.',
      waitSoon: 'less than a minute', waitMinutes: 'about {n} min',
      offline: 'No one is available right now. Leave your message and we will answer here.',
      escalated: 'Connecting you to a person…', assigned: '{name} joined the conversation.',
      handedBack: 'You are back with the assistant.', resolved: 'This conversation is resolved.',
      rateTitle: 'How did we do?', rateStar: '{n} out of 5', comment: 'Comment (optional)',
      rateSend: 'Send rating', thanks: 'Thank you for your feedback!',
      restart: 'Start a new conversation', end: 'End chat',
      error: 'Something went wrong. Please try again.',
      unread: 'new message', messages: 'Messages'
    },
    zh: {
      launcher: '联系客服', title: '客服', close: '关闭聊天',
      welcome: '您好！关于套餐、账单或手机的问题都可以问我。',
      inputLabel: '您的消息', placeholder: '请输入您的问题…', send: '发送',
      human: '转人工客服', typing: '助手正在输入…', you: '您',
      bot: '智能助手', agent: '客服', sources: '参考文章：',
      queue: '您目前排在第 {position} 位，预计等待{wait}。',
      waitSoon: '不到一分钟', waitMinutes: '约 {n} 分钟',
      offline: '目前没有客服在线。请留言，我们会在这里回复您。',
      escalated: '正在为您转接人工客服…', assigned: '{name} 已加入对话。',
      handedBack: '您已回到智能助手。', resolved: '此对话已解决。',
      rateTitle: '请为本次服务评分', rateStar: '{n} 分（满分 5 分）', comment: '评论（可选）',
      rateSend: '提交评分', thanks: '感谢您的反馈！',
      restart: '开始新的对话', end: '结束对话', error: '出错了，请重试。',
      unread: '条新消息', messages: '消息'
    }
  };
  var lang = (script.getAttribute('data-lang') || document.documentElement.lang ||
    navigator.language || 'en').toLowerCase().indexOf('zh') === 0 ? 'zh' : 'en';
  var T = TEXT[lang];
  function t(key, vars) {
    return T[key].replace(/\{(\w+)\}/g, function (_, name) { return String(vars[name]); });
  }

  var CSS = [
    ':host{all:initial}',
    '*{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    '.root{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"PingFang SC","Microsoft YaHei",sans-serif;color:#1b1f24}',
    '.launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:28px;',
    'background:#0b5cad;color:#fff;font:inherit;font-weight:600;padding:14px 20px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}',
    '.launcher:hover{background:#094a8b}',
    'button:focus-visible,input:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #f5a623;outline-offset:2px}',
    '.badge{display:inline-block;min-width:20px;margin-left:8px;padding:0 6px;border-radius:10px;background:#d93025;color:#fff;font-size:12px;line-height:20px;text-align:center}',
    '.panel{position:fixed;right:16px;bottom:80px;z-index:2147483001;width:370px;max-width:calc(100vw - 32px);',
    'height:560px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;',
    'border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden}',
    '.head{display:flex;align-items:center;justify-content:space-between;padding:12px 14px;background:#0b5cad;color:#fff}',
    '.head h2{margin:0;font-size:16px}',
    '.icon{border:0;background:transparent;color:inherit;font:inherit;font-size:20px;line-height:1;padding:4px 8px;cursor:pointer;border-radius:6px}',
    '.banner{margin:0;padding:8px 14px;background:#fff6d6;border-bottom:1px solid #f0dd9a;font-size:13px}',
    '.log{flex:1;overflow-y:auto;margin:0;padding:12px;list-style:none;background:#f5f7fa}',
    '.msg{max-width:85%;margin:0 0 10px;padding:8px 12px;border-radius:12px;background:#fff;border:1px solid #e1e5ea}',
    '.msg.customer{margin-left:auto;background:#0b5cad;color:#fff;border-color:#0b5cad}',
    '.msg.agent{background:#e8f5e9;border-color:#b9dfbb}',
    '.msg.pending{opacity:.7}',
    '.who{display:block;font-size:11px;font-weight:600;opacity:.8;margin-bottom:2px}',
    '.text{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}',
    '.sources{margin:6px 0 0;padding:6px 0 0;border-top:1px solid #e1e5ea;font-size:12px}',
    '.sources ul{margin:2px 0 0;padding-left:16px}',
    '.sources a{color:#0b5cad}',
    '.choices{display:flex;flex-direction:column;align-items:flex-start;gap:6px;margin:8px 0 0}',
    '.choice{border:1px solid #0b5cad;border-radius:14px;background:#fff;color:#0b5cad;font:inherit;font-size:13px;padding:5px 10px;cursor:pointer;text-align:left}',
    '.choice:disabled{opacity:.5;cursor:default}',
    '.note{margin:0 0 10px;text-align:center;font-size:12px;color:#5b6570}',
    '.typing{margin:0;padding:4px 14px;font-size:12px;color:#5b6570;font-style:italic}',
    '.rating{margin:0;padding:10px 14px;border-top:1px solid #e1e5ea}',
    '.rating fieldset{border:0;margin:0;padding:0}',
    '.rating legend{font-weight:600;margin-bottom:6px}',
    '.stars{display:flex;gap:6px;margin-bottom:8px}',
    '.stars label{flex:1;text-align:center;border:1px solid #c3cad3;border-radius:8px;padding:6px 0;cursor:pointer}',
    '.stars input{position:absolute;opacity:0;width:1px;height:1px}',
    '.stars input:checked+span{font-weight:700;color:#0b5cad}',
    '.stars label:has(input:checked){border-color:#0b5cad;background:#e7f0fa}',
    '.stars label:has(input:focus-visible){outline:3px solid #f5a623}',
    '.rating textarea{width:100%;min-height:48px;font:inherit;border:1px solid #c3cad3;border-radius:8px;padding:6px}',
    '.foot{border-top:1px solid #e1e5ea;padding:8px 10px;background:#fff}',
    '.form{display:flex;gap:6px}',
    '.form textarea{flex:1;resize:none;height:40px;font:inherit;border:1px solid #c3cad3;border-radius:8px;padding:8px}',
    '.btn{border:0;border-radius:8px;background:#0b5cad;color:#fff;font:inherit;font-weight:600;padding:8px 12px;cursor:pointer}',
    '.btn:disabled{opacity:.5;cursor:default}',
    '.btn.link{background:transparent;color:#0b5cad;padding:6px 0;font-weight:600;text-decoration:underline}',
    '.links{display:flex;gap:16px;flex-wrap:wrap}',
    '.btn.link.end{color:#5b6570;font-weight:400}',
    '.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}',
    '@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}',
    '.launcher{right:12px;bottom:12px}}'
  ].join('\n');

  // ---- DOM helpers: text only, never HTML ----
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var name in attrs) {
        if (name === 'class') node.className = attrs[name];
        else node.setAttribute(name, attrs[name]);
      }
    }
    if (text != null) node.textContent = text;
    return node;
  }

  // ---- state ----
  var state = {
    id: null, status: null, rating: null, seen: {}, lastSeq: -1, source: null,
    retry: 0, unread: 0, open: false, busy: false
  };
  var ui = {};

  function build() {
    // A custom element name: no host-page rule for div/section/etc. can hide or restyle the host.
    var host = el('switchboard-widget');
    var shadow = host.attachShadow({ mode: 'open' });
    if (shadow.adoptedStyleSheets !== undefined && window.CSSStyleSheet &&
        'replaceSync' in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet(); // constructed sheets pass a strict host-page CSP
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      shadow.appendChild(el('style', null, CSS));
    }
    var root = el('div', { class: 'root', lang: lang });
    ui.launcher = el('button', {
      class: 'launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'sb-panel'
    });
    ui.launcherText = el('span', null, T.launcher);
    ui.badge = el('span', { class: 'badge', hidden: '' });
    ui.launcher.append(ui.launcherText, ui.badge);

    ui.panel = el('section', { class: 'panel', id: 'sb-panel', role: 'dialog',
      'aria-labelledby': 'sb-title', hidden: '' });
    var head = el('div', { class: 'head' });
    ui.close = el('button', { class: 'icon', type: 'button', 'aria-label': T.close }, '×');
    head.append(el('h2', { id: 'sb-title' }, T.title), ui.close);
    ui.banner = el('p', { class: 'banner', role: 'status', hidden: '' });
    ui.log = el('ol', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': T.messages });
    ui.log.appendChild(el('li', { class: 'note' }, T.welcome));
    ui.typing = el('p', { class: 'typing', role: 'status', hidden: '' }, T.typing);
    ui.rating = buildRating();

    var foot = el('div', { class: 'foot' });
    ui.form = el('form', { class: 'form' });
    ui.input = el('textarea', { id: 'sb-input', rows: '1', maxlength: '4000', placeholder: T.placeholder });
    ui.send = el('button', { class: 'btn', type: 'submit' }, T.send);
    ui.form.append(el('label', { class: 'sr', for: 'sb-input' }, T.inputLabel), ui.input, ui.send);
    ui.human = el('button', { class: 'btn link', type: 'button' }, T.human);
    ui.end = el('button', { class: 'btn link end', type: 'button', hidden: '' }, T.end);
    ui.restart = el('button', { class: 'btn link', type: 'button', hidden: '' }, T.restart);
    ui.error = el('p', { class: 'note', role: 'alert' });
    var links = el('div', { class: 'links' });
    links.append(ui.human, ui.end, ui.restart);
    foot.append(ui.form, links, ui.error);

    ui.panel.append(head, ui.banner, ui.log, ui.typing, ui.rating, foot);
    root.append(ui.panel, ui.launcher);
    shadow.appendChild(root);
    document.body.appendChild(host);
    wire();
  }

  function buildRating() {
    var box = el('form', { class: 'rating', hidden: '' });
    var set = el('fieldset');
    set.appendChild(el('legend', null, T.rateTitle));
    var stars = el('div', { class: 'stars' });
    for (var n = 1; n <= 5; n++) {
      var label = el('label', { title: t('rateStar', { n: n }) });
      var radio = el('input', { type: 'radio', name: 'score', value: String(n),
        'aria-label': t('rateStar', { n: n }) });
      label.append(radio, el('span', { 'aria-hidden': 'true' }, n + '★'));
      stars.appendChild(label);
    }
    ui.comment = el('textarea', { id: 'sb-comment', maxlength: '1000' });
    ui.rateSend = el('button', { class: 'btn', type: 'submit', disabled: '' }, T.rateSend);
    set.append(stars, el('label', { for: 'sb-comment' }, T.comment), ui.comment, ui.rateSend);
    box.appendChild(set);
    box.addEventListener('change', function () { ui.rateSend.disabled = !selectedScore(); });
    box.addEventListener('submit', function (e) { e.preventDefault(); sendRating(); });
    return box;
  }

  function selectedScore() {
    var checked = ui.rating.querySelector('input[name="score"]:checked');
    return checked ? Number(checked.value) : 0;
  }

  function wire() {
    ui.launcher.addEventListener('click', function () { setOpen(!state.open, true); });
    ui.close.addEventListener('click', function () { setOpen(false, true); });
    ui.launcher.parentNode.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && state.open) { e.preventDefault(); setOpen(false, true); }
    });
    ui.form.addEventListener('submit', function (e) { e.preventDefault(); sendMessage(); });
    ui.input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendMessage(); }
    });
    ui.human.addEventListener('click', askForPerson);
    ui.restart.addEventListener('click', restart);
    ui.end.addEventListener('click', endChat);
  }

  function setOpen(open, moveFocus) {
    state.open = open;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute('aria-expanded', String(open));
    try { sessionStorage.setItem(OPEN_KEY, open ? '1' : ''); } catch (e) { /* storage off */ }
    if (open) {
      state.unread = 0;
      renderBadge();
      scrollDown();
      if (moveFocus) ui.input.focus();
    } else if (moveFocus) {
      ui.launcher.focus();
    }
  }

  function renderBadge() {
    ui.badge.hidden = state.unread === 0;
    ui.badge.textContent = String(state.unread);
    ui.badge.setAttribute('aria-label', state.unread + ' ' + T.unread);
  }

  // ---- HTTP ----
  function api(method, path, body) {
    var init = { method: method, credentials: 'omit', headers: {} };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(BASE + path.replace(/^\//, ''), init).then(function (response) {
      return response.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; } // e.g. a proxy's HTML page
        if (!response.ok) {
          var error = new Error((data && data.error && data.error.message) || response.statusText);
          error.status = response.status;
          error.code = data && data.error && data.error.code;
          throw error;
        }
        return data;
      });
    });
  }

  function showError(error) {
    ui.error.textContent = T.error + (error && error.message ? ' (' + error.message + ')' : '');
  }

  function ensureConversation() {
    if (state.id) return Promise.resolve(state.id);
    return api('POST', '/v1/conversations', { tenant: TENANT, channel: 'web', lang: lang }).then(function (ticket) {
      state.id = ticket.id;
      state.status = ticket.status;
      try { localStorage.setItem(STORE_KEY, ticket.id); } catch (e) { /* storage off */ }
      connect();
      return ticket.id;
    });
  }

  // ---- sending ----
  function sendMessage() {
    var text = ui.input.value.trim();
    if (!text || state.busy) return;
    ui.input.value = '';
    ui.error.textContent = '';
    // A question asked before this message is answered by it: its choices are spent.
    ui.log.querySelectorAll('.choice').forEach(function (button) { button.disabled = true; });
    var pending = messageItem('customer', T.you, text);
    pending.classList.add('pending');
    ui.log.appendChild(pending);
    scrollDown();
    var botWillAnswer = state.status !== 'escalated' && state.status !== 'assigned';
    var accepted = false;
    setBusy(true, botWillAnswer);
    ensureConversation()
      .then(function (id) { return api('POST', '/v1/conversations/' + id + '/messages', { text: text }); })
      .then(function (reply) { accepted = true; applyQueue(reply.queue, reply.offline); return sync(); })
      .catch(function (error) {
        if (!accepted) { // not stored: give the text back so nothing typed is lost
          pending.remove();
          ui.input.value = text;
        }
        showError(error);
      })
      .then(function () { setBusy(false, false); });
  }

  function askForPerson() {
    if (state.busy) return;
    ui.error.textContent = '';
    setBusy(true, false);
    ensureConversation()
      .then(function (id) { return api('POST', '/v1/conversations/' + id + '/handoff', {}); })
      .then(function (reply) { applyQueue(reply.queue, reply.offline); return sync(); })
      .catch(function (error) {
        if (error.code === 'already_with_agent') return sync();
        showError(error);
      })
      .then(function () { setBusy(false, false); ui.input.focus(); });
  }

  function endChat() {
    if (state.busy || !state.id) return;
    ui.error.textContent = '';
    setBusy(true, false);
    api('POST', '/v1/conversations/' + state.id + '/resolve', {})
      .then(sync)
      .catch(function (error) {
        if (error.code === 'conversation_resolved') return sync();
        showError(error);
      })
      .then(function () {
        setBusy(false, false);
        var first = ui.rating.querySelector('input');
        if (!ui.rating.hidden && first) first.focus();
      });
  }

  function setBusy(busy, typing) {
    state.busy = busy;
    ui.send.disabled = busy;
    ui.human.disabled = busy;
    ui.end.disabled = busy;
    ui.typing.hidden = !typing;
    if (typing) scrollDown();
  }

  function sendRating() {
    var score = selectedScore();
    if (!score || !state.id) return;
    ui.rateSend.disabled = true;
    var body = { score: score };
    var comment = ui.comment.value.trim();
    if (comment) body.comment = comment;
    api('POST', '/v1/conversations/' + state.id + '/rating', body)
      .then(function () { state.rating = score; return sync(); })
      .catch(function (error) {
        if (error.code === 'already_rated') { state.rating = score; return sync(); }
        ui.rateSend.disabled = false;
        showError(error);
      })
      .then(render);
  }

  function restart() {
    disconnect();
    try { localStorage.removeItem(STORE_KEY); } catch (e) { /* storage off */ }
    state.id = null; state.status = null; state.rating = null; state.seen = {}; state.lastSeq = -1;
    while (ui.log.children.length > 1) ui.log.lastChild.remove();
    ui.comment.value = '';
    ui.rating.reset();
    applyQueue(null, false);
    render();
    ui.input.focus();
  }

  // ---- receiving: the transcript on load, then Server-Sent Events; deduplicated by seq ----
  function sync() {
    if (!state.id) return Promise.resolve();
    return api('GET', '/v1/conversations/' + state.id).then(function (view) {
      state.status = view.status;
      state.rating = view.rating == null ? null : view.rating;
      (view.events || []).forEach(function (event) { addEvent(event, true); });
      applyQueue(view.queue, view.offline);
      render();
    });
  }

  var EVENT_TYPES = ['customer_message', 'bot_reply', 'agent_message', 'assigned', 'handed_back',
    'escalated', 'resolved', 'rated', 'status_changed', 'created'];

  function connect() {
    if (!state.id || state.source || !window.EventSource) return;
    if (state.status === 'resolved' && state.rating != null) return;
    var url = BASE + 'v1/conversations/' + encodeURIComponent(state.id) + '/events' +
      (state.lastSeq >= 0 ? '?after=' + state.lastSeq : '');
    var source = new EventSource(url);
    state.source = source;
    EVENT_TYPES.forEach(function (type) {
      source.addEventListener(type, function (message) {
        var event = parse(message.data);
        if (event) addEvent(event, false);
        render();
      });
    });
    source.addEventListener('queue', function (message) {
      var queue = parse(message.data);
      if (queue) applyQueue(queue, queue.offline);
    });
    source.addEventListener('open', function () { state.retry = 0; });
    source.addEventListener('error', function () {
      // The browser retries by itself (sending Last-Event-ID); if it gave up, start over from lastSeq.
      if (source.readyState !== EventSource.CLOSED || state.source !== source) return;
      state.source = null;
      var delay = Math.min(30000, 1000 * Math.pow(2, state.retry++));
      setTimeout(function () { sync().catch(function () {}).then(connect); }, delay);
    });
  }

  function disconnect() {
    if (state.source) state.source.close();
    state.source = null;
  }

  function parse(raw) {
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  function addEvent(event, fromSync) {
    if (typeof event.seq !== 'number' || state.seen[event.seq]) return;
    state.seen[event.seq] = true;
    if (event.seq > state.lastSeq) state.lastSeq = event.seq;
    updateStatus(event);
    var item = renderEvent(event);
    if (!item) return;
    item.setAttribute('data-seq', String(event.seq));
    insertInOrder(item, event.seq);
    var fromPerson = event.type === 'agent_message' || event.type === 'resolved';
    if (!fromSync && fromPerson && !state.open) {
      state.unread += 1;
      renderBadge();
    }
    scrollDown();
  }

  function updateStatus(event) {
    var next = {
      escalated: 'escalated', assigned: 'assigned', handed_back: 'open', resolved: 'resolved'
    }[event.type];
    if (event.type === 'status_changed') next = event.to;
    if (event.type === 'rated') state.rating = event.score;
    if (next) state.status = next;
  }

  function renderEvent(event) {
    switch (event.type) {
      case 'customer_message': return claimPending(event.text) || messageItem('customer', T.you, event.text);
      case 'bot_reply': return event.text ? botItem(event) : null;
      case 'agent_message': return messageItem('agent', event.agent_name || event.agent || T.agent, event.text);
      case 'escalated': return el('li', { class: 'note' }, T.escalated);
      case 'assigned': return el('li', { class: 'note' },
        t('assigned', { name: event.agent_name || event.agent || T.agent }));
      case 'handed_back': return el('li', { class: 'note' }, T.handedBack);
      case 'resolved': return el('li', { class: 'note' }, T.resolved);
      case 'rated': return el('li', { class: 'note' }, T.thanks);
      default: return null;
    }
  }

  function messageItem(kind, who, text) {
    var item = el('li', { class: 'msg ' + kind });
    item.append(el('span', { class: 'who' }, who), el('p', { class: 'text' }, text));
    return item;
  }

  function claimPending(text) {
    var pending = ui.log.querySelectorAll('.msg.customer.pending');
    for (var i = 0; i < pending.length; i++) {
      if (pending[i].querySelector('.text').textContent === text) {
        pending[i].classList.remove('pending');
        pending[i].remove();
        return pending[i];
      }
    }
    return null;
  }

  function botItem(event) {
    var item = messageItem('bot', T.bot, event.text);
    var choices = event.choices || [];
    if (choices.length > 0) item.appendChild(choiceButtons(choices));
    var sources = uniqueArticles(event.sources || []);
    if (sources.length === 0) return item;
    var box = el('div', { class: 'sources' });
    box.appendChild(el('span', null, T.sources));
    var list = el('ul');
    sources.forEach(function (source) {
      var entry = el('li');
      var href = articleUrl(source);
      entry.appendChild(href
        ? el('a', { href: href, target: '_blank', rel: 'noopener noreferrer' }, source.title)
        : el('span', { class: 'source-title' }, source.title));
      list.appendChild(entry);
    });
    box.appendChild(list);
    item.appendChild(box);
    return item;
  }

  /** A clarifying question's choices as buttons: a press sends that choice as the customer's
   *  message. Titles go in as text, never as markup. */
  function choiceButtons(choices) {
    var box = el('div', { class: 'choices' });
    choices.forEach(function (choice) {
      var button = el('button', { class: 'choice', type: 'button' }, choice);
      button.addEventListener('click', function () {
        if (state.busy) return;
        ui.input.value = choice;
        sendMessage();
      });
      box.appendChild(button);
    });
    return box;
  }

  /** One entry per article: a reply may cite several passages of the same one. */
  function uniqueArticles(sources) {
    var seen = {};
    return sources.filter(function (source) {
      if (seen[source.id]) return false;
      seen[source.id] = true;
      return true;
    });
  }

  function articleUrl(source) {
    if (source.url && /^https?:\/\//.test(source.url)) return source.url;
    if (!KB_URL) return null;
    var url = KB_URL.replace('{id}', encodeURIComponent(source.id))
      .replace('{anchor}', encodeURIComponent(source.anchor || ''));
    return /^https?:\/\//.test(url) ? url : null;
  }

  function insertInOrder(item, seq) {
    var children = ui.log.children;
    for (var i = 0; i < children.length; i++) {
      var other = children[i];
      var otherSeq = other.getAttribute('data-seq');
      if (other.classList.contains('pending') || (otherSeq !== null && Number(otherSeq) > seq)) {
        ui.log.insertBefore(item, other);
        return;
      }
    }
    ui.log.appendChild(item);
  }

  function scrollDown() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // ---- queue banner, buttons, rating ----
  var queueInfo = null;
  var offlineNow = false;

  function applyQueue(queue, offline) {
    queueInfo = queue || null;
    offlineNow = !!offline; // the server's word: no agent online or outside business hours
    render();
  }

  function waitText(seconds) {
    if (!(seconds >= 60)) return T.waitSoon;
    return t('waitMinutes', { n: Math.round(seconds / 60) });
  }

  function render() {
    var waiting = state.status === 'escalated';
    var parts = [];
    if (waiting && queueInfo && queueInfo.position) {
      parts.push(t('queue', { position: queueInfo.position, wait: waitText(queueInfo.estimated_wait_seconds) }));
    }
    if (waiting && offlineNow) parts.push(T.offline);
    ui.banner.textContent = parts.join(' ');
    ui.banner.hidden = parts.length === 0;
    var resolved = state.status === 'resolved';
    ui.human.hidden = waiting || resolved || state.status === 'assigned';
    ui.restart.hidden = !resolved; // a message instead reopens this conversation
    ui.end.hidden = !state.id || resolved;
    var askRating = resolved && state.rating == null;
    var appearing = askRating && ui.rating.hidden;
    ui.rating.hidden = !askRating;
    if (appearing) scrollDown(); // the form takes room from the log: keep the last message in view
    if (resolved && state.rating != null) disconnect();
    else connect(); // no-op while a stream is open; reopens one after a rated conversation goes on
  }

  function restore() {
    var id = null;
    try { id = localStorage.getItem(STORE_KEY); } catch (e) { /* storage off */ }
    var reopen = false;
    try { reopen = sessionStorage.getItem(OPEN_KEY) === '1'; } catch (e) { /* storage off */ }
    if (reopen) setOpen(true, false);
    if (!id) return;
    state.id = id;
    sync().then(connect).catch(function (error) {
      if (error.status === 404) {
        try { localStorage.removeItem(STORE_KEY); } catch (e) { /* storage off */ }
        state.id = null;
        return;
      }
      connect(); // the server is unreachable for now: the event stream retries and replays
    });
  }

  function start() {
    build();
    render();
    restore();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
