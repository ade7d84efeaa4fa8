// Switchboard agent console: log in, watch the queue live, claim a conversation, read the whole
// transcript (with the bot's intents, confidences and sources), reply, note, hand back, resolve.
// Served under CSP `default-src 'self'`: no inline script or style. Every piece of conversation
// data is put on the page with textContent, never parsed as HTML.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    agent: null,
    queue: { items: [], agents_online: 0 },
    queueAt: Date.now(),
    current: null, // the open conversation's header
    seen: new Set(), // seqs of the open conversation already shown
    stream: null,
    online: true,
  };

  // ---- DOM helpers ----
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clock(ms) {
    const date = new Date(ms);
    return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  }

  function percent(confidence) {
    return typeof confidence === 'number' ? (confidence * 100).toFixed(0) + '%' : '?';
  }

  // ---- HTTP: same origin, session cookie ----
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body) {
    const init = { method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const raw = await response.text();
    let data = null;
    try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
    if (!response.ok) {
      const error = (data && data.error) || {};
      if (response.status === 401 && path !== '/v1/console/login') showLogin();
      throw new ApiError(response.status, error.code || 'http_' + response.status,
        error.message || response.statusText);
    }
    return data;
  }

  function reportTo(target) {
    return (error) => { target.textContent = error.message || String(error); };
  }

  // ---- login / logout ----
  function showLogin() {
    closeStream();
    state.agent = null;
    state.current = null;
    $('app-view').hidden = true;
    $('login-view').hidden = false;
    $('username').focus();
  }

  async function showApp(agent) {
    state.agent = agent;
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('me').textContent = agent.display_name + ' (' + agent.username + ', ' + agent.role +
      ', tenant ' + agent.tenant + ')';
    setOnline(true);
    if (window.SwitchboardReview) {
      window.SwitchboardReview.init({
        api,
        agent,
        openConversation: (id) => openConversation(id, true),
        currentConversation: () => state.current,
      });
    }
    openStream();
    await Promise.all([loadQueue(), loadCanned()]);
  }

  async function onLogin(event) {
    event.preventDefault();
    $('login-error').textContent = '';
    try {
      const result = await api('POST', '/v1/console/login', {
        username: $('username').value.trim(),
        password: $('password').value,
      });
      $('password').value = '';
      await showApp(result.agent);
    } catch (error) {
      $('login-error').textContent = error.message;
      $('password').focus();
    }
  }

  async function onLogout() {
    try { await api('POST', '/v1/console/logout'); } catch (e) { /* already logged out */ }
    showLogin();
  }

  function setOnline(online) {
    state.online = online;
    const toggle = $('online-toggle');
    toggle.setAttribute('aria-pressed', String(online));
    toggle.textContent = online ? 'Online' : 'Offline';
    toggle.classList.toggle('offline', !online);
  }

  async function onToggleOnline() {
    const next = !state.online;
    try {
      await api('POST', '/v1/console/status', { online: next });
      setOnline(next);
    } catch (error) {
      reportTo($('conv-error'))(error);
    }
  }

  // ---- the live stream ----
  function openStream() {
    closeStream();
    const stream = new EventSource('/v1/console/stream');
    state.stream = stream;
    stream.addEventListener('open', () => {
      $('stream-state').textContent = 'Live';
      // Anything missed while disconnected: fetch the current state again.
      loadQueue().catch(() => {});
      if (state.current) openConversation(state.current.id, false).catch(() => {});
    });
    stream.addEventListener('error', () => {
      $('stream-state').textContent = 'Reconnecting…';
      if (stream.readyState === EventSource.CLOSED) {
        // Closed for good (e.g. the session expired): check the session, then retry.
        api('GET', '/v1/console/me').then(() => setTimeout(openStream, 2000)).catch(() => {});
      }
    });
    stream.addEventListener('queue', (message) => {
      const queue = parse(message.data);
      if (queue) renderQueue(queue);
    });
    stream.addEventListener('conversation', (message) => {
      const data = parse(message.data);
      if (!data || !state.current || data.conversation_id !== state.current.id) return;
      applyEvent(data.event);
    });
  }

  function closeStream() {
    if (state.stream) state.stream.close();
    state.stream = null;
  }

  function parse(raw) {
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  // ---- queue ----
  async function loadQueue() {
    renderQueue(await api('GET', '/v1/console/queue'));
  }

  function renderQueue(queue) {
    state.queue = queue;
    state.queueAt = Date.now();
    const list = $('queue-list');
    list.replaceChildren(...queue.items.map(queueItem));
    const waiting = queue.items.filter((item) => item.status === 'escalated').length;
    const announce = waiting + (waiting === 1 ? ' conversation' : ' conversations') + ' waiting';
    if ($('queue-announce').textContent !== announce) $('queue-announce').textContent = announce;
    $('queue-count').textContent = '(' + queue.items.length + ')';
    $('queue-empty').hidden = queue.items.length > 0;
    $('agents-online').textContent = queue.agents_online + ' agent(s) online';
    markSelected();
  }

  function queueItem(item) {
    const li = el('li', 'queue-item status-' + item.status);
    li.dataset.id = item.id;
    const open = el('button', 'queue-open');
    open.type = 'button';
    const top = el('span', 'queue-top');
    top.append(
      el('span', 'wait', ''),
      el('span', 'intent', item.intent || 'no intent'),
      el('span', 'badge', item.status === 'assigned' ? 'with ' + (item.assignee || '?') : 'waiting'),
    );
    if (item.priority) top.append(el('span', 'badge priority', 'priority ' + item.priority));
    const reason = el('span', 'reason', (item.escalation_reason || 'unknown reason') +
      (item.evidence ? ': ' + item.evidence : ''));
    const last = el('span', 'last', item.last_customer_message || '');
    open.append(top, reason, last);
    open.setAttribute('aria-label', 'Open conversation: ' + (item.intent || 'no intent') + ', ' +
      (item.escalation_reason || '') + ', last message: ' + (item.last_customer_message || ''));
    open.addEventListener('click', () => openConversation(item.id, true).catch(reportTo($('conv-error'))));
    li.append(open);
    li.dataset.wait = String(item.wait_seconds || 0);
    if (item.status === 'escalated') {
      const claim = el('button', 'queue-claim primary', 'Claim');
      claim.type = 'button';
      claim.addEventListener('click', () => claimConversation(item.id));
      li.append(claim);
    }
    return li;
  }

  function tickWaits() {
    const elapsed = (Date.now() - state.queueAt) / 1000;
    for (const li of $('queue-list').children) {
      const wait = Number(li.dataset.wait) + elapsed;
      li.querySelector('.wait').textContent = 'waiting ' + duration(wait);
    }
  }

  function markSelected() {
    const id = state.current && state.current.id;
    for (const li of $('queue-list').children) {
      li.classList.toggle('selected', li.dataset.id === id);
    }
    tickWaits();
  }

  // ---- conversation ----
  async function openConversation(id, moveFocus) {
    const view = await api('GET', '/v1/console/conversations/' + encodeURIComponent(id));
    const switching = !state.current || state.current.id !== view.id;
    state.current = view;
    if (switching) {
      state.seen = new Set();
      $('transcript').replaceChildren();
      $('reply-text').value = '';
      $('conv-error').textContent = '';
    }
    const events = (view.events || []).concat(view.notes || []);
    events.sort((a, b) => a.seq - b.seq).forEach(addEvent);
    renderHeader();
    $('conv-placeholder').hidden = true;
    $('conv').hidden = false;
    markSelected();
    if (moveFocus) $('conv-heading').focus();
  }

  function renderHeader() {
    const c = state.current;
    const meta = $('conv-meta');
    const rows = [
      ['Status', c.status],
      ['Assignee', c.assignee_name || c.assignee || '—'],
      ['Escalation', c.escalation_reason || '—'],
      ['Priority', c.priority == null ? '—' : c.priority],
      ['Channel', c.channel || '—'],
      ['Language', c.language || queuedLanguage(c.id) || '—'],
      ['Tags', (c.tags || []).join(', ') || '—'],
      ['Rating', c.rating == null ? '—' : c.rating + '/5'],
      ['Started', c.created_at_ms ? new Date(c.created_at_ms).toLocaleString() : '—'],
      ['Id', c.id],
    ];
    meta.replaceChildren();
    for (const [name, value] of rows) {
      const wrap = el('div');
      wrap.append(el('dt', null, name), el('dd', 'meta-' + name.toLowerCase(), value));
      meta.append(wrap);
    }
    const me = state.agent || {};
    const mine = c.status === 'assigned' &&
      (c.assignee === me.username || c.assignee === me.display_name);
    $('claim').hidden = c.status !== 'escalated';
    $('handback').hidden = !mine;
    $('resolve-form').hidden = c.status === 'resolved';
    $('reply-form').hidden = c.status === 'resolved';
    $('send-reply').disabled = !mine;
    $('send-reply').title = mine ? '' : 'Claim the conversation to reply';
    if (window.SwitchboardReview) window.SwitchboardReview.conversationShown(c);
  }

  function queuedLanguage(id) {
    const item = state.queue.items.find((queued) => queued.id === id);
    return item && item.language;
  }

  function applyEvent(event) {
    if (!event || !state.current) return;
    const c = state.current;
    const status = { escalated: 'escalated', assigned: 'assigned', handed_back: 'open', resolved: 'resolved' }[event.type];
    if (status) c.status = status;
    if (event.type === 'status_changed') c.status = event.to;
    if (event.type === 'assigned') c.assignee = event.agent;
    if (event.type === 'handed_back') c.assignee = null;
    if (event.type === 'rated') c.rating = event.score;
    if (event.type === 'resolved' && event.tag) c.tags = (c.tags || []).concat([event.tag]);
    addEvent(event);
    renderHeader();
  }

  function addEvent(event) {
    if (typeof event.seq !== 'number' || state.seen.has(event.seq)) return;
    state.seen.add(event.seq);
    const item = renderEvent(event);
    item.dataset.seq = String(event.seq);
    item.dataset.type = event.type;
    const list = $('transcript');
    const after = [...list.children].find((li) => Number(li.dataset.seq) > event.seq);
    list.insertBefore(item, after || null);
    list.scrollTop = list.scrollHeight;
  }

  function entry(kind, who, at) {
    const li = el('li', 'ev ev-' + kind);
    const head = el('div', 'ev-head');
    const time = el('time', null, clock(at));
    time.dateTime = new Date(at).toISOString();
    head.append(el('span', 'who', who), time);
    li.append(head);
    return li;
  }

  function renderEvent(event) {
    switch (event.type) {
      case 'customer_message': return message('customer', 'Customer', event);
      case 'agent_message': return message('agent', event.agent_name || event.agent, event);
      case 'internal_note': return message('note', 'Internal note · ' + (event.agent_name || event.agent), event);
      case 'bot_reply': return event.text ? botReply(event) : silentBot(event);
      default: return systemEvent(event);
    }
  }

  function message(kind, who, event) {
    const li = entry(kind, who, event.at_ms);
    li.append(el('p', 'text', event.text));
    return li;
  }

  function botReply(event) {
    const li = entry('bot', 'Bot', event.at_ms);
    li.append(el('p', 'text', event.text || '(no reply: ' + event.action + ')'));
    const facts = el('p', 'facts');
    facts.append(el('span', 'action', event.action));
    if (event.intent) facts.append(el('span', 'intent', event.intent.name + ' ' + percent(event.intent.confidence)));
    if (event.runner_up) {
      facts.append(el('span', 'runner-up', 'runner-up ' + event.runner_up.name + ' ' + percent(event.runner_up.confidence)));
    }
    if (typeof event.latency_ms === 'number') facts.append(el('span', 'latency', event.latency_ms.toFixed(1) + ' ms'));
    li.append(facts);
    if (event.sources && event.sources.length) {
      const list = el('ul', 'sources');
      for (const source of event.sources) {
        const score = typeof source.score === 'number' ? ' (score ' + source.score.toFixed(1) + ')' : '';
        list.append(el('li', null, source.title + ' — ' + source.id + (source.anchor ? '#' + source.anchor : '') + score));
      }
      li.append(el('p', 'sources-label', 'Sources'), list);
    }
    return li;
  }

  /** The bot recorded a turn without replying (a person has the conversation). */
  function silentBot(event) {
    const li = entry('system', 'Bot stayed silent (' + event.action + ')', event.at_ms);
    li.classList.add('ev-bot-silent');
    return li;
  }

  function systemEvent(event) {
    const text = {
      created: () => 'Conversation started (' + (event.channel || 'web') + ')',
      escalated: () => 'Escalated: ' + event.reason + (event.evidence ? ' — ' + event.evidence : ''),
      assigned: () => 'Assigned to ' + (event.agent_name || event.agent),
      handed_back: () => (event.agent_name || event.agent) + ' handed the conversation back to the bot',
      resolved: () => 'Resolved by ' + event.by + (event.tag ? ' (tag: ' + event.tag + ')' : ''),
      rated: () => 'Customer rated ' + event.score + '/5' + (event.comment ? ': ' + event.comment : ''),
      status_changed: () => 'Status ' + event.from + ' → ' + event.to,
    }[event.type];
    const li = entry('system', text ? text() : event.type, event.at_ms);
    li.classList.add('ev-' + event.type);
    return li;
  }

  // ---- actions ----
  async function claimConversation(id) {
    try {
      await api('POST', '/v1/console/conversations/' + encodeURIComponent(id) + '/claim');
      await openConversation(id, false);
      $('reply-text').focus();
    } catch (error) {
      reportTo($('conv-error'))(error);
    }
  }

  function conversationAction(path, body) {
    const id = state.current.id;
    return api('POST', '/v1/console/conversations/' + encodeURIComponent(id) + path, body);
  }

  async function onReply(event) {
    event.preventDefault();
    await post('/messages');
  }

  async function post(path) {
    const box = $('reply-text');
    const text = box.value.trim();
    if (!text || !state.current) return;
    $('conv-error').textContent = '';
    // Cleared now, not when the server answers: whatever the agent types meanwhile is the next
    // message and must not be wiped by this one's response.
    box.value = '';
    $('canned').value = '';
    try {
      applyEvent(await conversationAction(path, { text }));
    } catch (error) {
      if (!box.value.trim()) box.value = text;
      reportTo($('conv-error'))(error);
    }
  }

  async function refreshAfter(action) {
    $('conv-error').textContent = '';
    try {
      await action();
      await openConversation(state.current.id, false);
    } catch (error) {
      reportTo($('conv-error'))(error);
    }
  }

  async function loadCanned() {
    const select = $('canned');
    select.replaceChildren(el('option', null, 'Insert a canned reply…'));
    select.firstChild.value = '';
    try {
      const canned = await api('GET', '/v1/console/canned');
      canned.items.forEach((item, index) => {
        const option = el('option', null, item.title);
        option.value = String(index);
        select.append(option);
      });
      state.canned = canned.items;
    } catch (error) {
      state.canned = [];
    }
  }

  function onCanned() {
    const item = (state.canned || [])[Number($('canned').value)];
    if ($('canned').value === '' || !item) return;
    $('reply-text').value = item.text;
    $('reply-text').focus();
  }

  function wire() {
    $('login-form').addEventListener('submit', onLogin);
    $('logout').addEventListener('click', onLogout);
    $('online-toggle').addEventListener('click', onToggleOnline);
    $('reply-form').addEventListener('submit', onReply);
    $('add-note').addEventListener('click', () => post('/notes'));
    $('canned').addEventListener('change', onCanned);
    $('claim').addEventListener('click', () => claimConversation(state.current.id));
    $('handback').addEventListener('click', () => refreshAfter(() => conversationAction('/handback')));
    $('resolve-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const tag = $('resolve-tag').value.trim();
      refreshAfter(() => conversationAction('/resolve', tag ? { tag } : {}));
    });
    $('reply-text').addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) onReply(event);
    });
    setInterval(tickWaits, 1000);
  }

  async function start() {
    wire();
    try {
      const me = await api('GET', '/v1/console/me');
      await showApp(me.agent || me);
    } catch (error) {
      showLogin();
    }
  }

  start();
})();
