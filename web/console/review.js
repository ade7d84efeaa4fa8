// Switchboard agent console, the improvement loop: the admin's "Gaps" view (what the bot could not
// answer, grouped into topics) and the "Drafts" view (an agent's answer turned into a knowledge-
// base article, a customer's messages into training examples; reviewed, edited, published).
// app.js calls SwitchboardReview.init() after login and conversationShown() for the open
// conversation. CSP `default-src 'self'`: no inline script or style; every piece of data goes on
// the page with textContent, never parsed as HTML.
'use strict';

window.SwitchboardReview = (function () {
  const $ = (id) => document.getElementById(id);
  const VIEWS = ['desk', 'gaps', 'drafts'];
  let ctx = null; // { api, agent, openConversation(id) } from app.js
  let wired = false;
  const drafts = { items: [], current: null, confirmDiscard: false };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function button(text, className, onClick) {
    const node = el('button', className, text);
    node.type = 'button';
    node.addEventListener('click', onClick);
    return node;
  }

  function when(ms) {
    return ms ? new Date(ms).toLocaleString() : '—';
  }

  function isAdmin() {
    return Boolean(ctx && ctx.agent && ctx.agent.role === 'admin');
  }

  function report(target) {
    return (error) => { $(target).textContent = (error && error.message) || String(error); };
  }

  // ---- views ----
  function show(view) {
    for (const name of VIEWS) {
      $(name + '-view').hidden = name !== view;
      const nav = $('nav-' + name);
      if (name === view) nav.setAttribute('aria-current', 'page');
      else nav.removeAttribute('aria-current');
    }
    if (view === 'gaps') {
      $('gaps-heading').focus();
      loadGaps();
    }
    if (view === 'drafts') {
      $('drafts-heading').focus();
      loadDrafts().catch(report('drafts-error'));
    }
  }

  /** Opens a conversation in the desk view; if it cannot be opened, says so where we are. */
  async function openFromReview(id, errorTarget) {
    $(errorTarget).textContent = '';
    try {
      await ctx.openConversation(id);
      show('desk');
      $('conv-heading').focus();
    } catch (error) {
      report(errorTarget)(error);
    }
  }

  // ---- gaps ----
  async function loadGaps() {
    $('gaps-error').textContent = '';
    const query = new URLSearchParams({ sort: $('gaps-sort').value, days: $('gaps-days').value });
    try {
      renderGaps(await ctx.api('GET', '/v1/console/gaps?' + query.toString()));
    } catch (error) {
      report('gaps-error')(error);
    }
  }

  function renderGaps(data) {
    $('gaps-summary').textContent = data.gap_messages + ' unanswered message(s) in ' +
      data.tickets_scanned + ' of ' + data.tickets_in_window + ' conversation(s) of the last ' +
      data.days + ' days, in ' + data.topics.length + ' topic(s)' +
      (data.truncated ? ' (partial: only the newest were read)' : '') + '.';
    $('gaps-list').replaceChildren(...data.topics.map(topicItem));
    $('gaps-empty').hidden = data.topics.length > 0;
  }

  function topicItem(topic) {
    const li = el('li', 'topic');
    const head = el('div', 'topic-head');
    const latest = el('time', 'muted', 'latest ' + when(topic.latest_at_ms));
    latest.dateTime = new Date(topic.latest_at_ms).toISOString();
    head.append(
      el('strong', 'topic-count', topic.count + (topic.count === 1 ? ' message' : ' messages')),
      el('span', 'badge', topic.lang === 'zh' ? 'Chinese' : 'English'),
      el('span', 'muted', topic.conversations + ' conversation(s), ' + topic.answered_by_agent +
        ' answered by an agent'),
      latest,
    );
    const facts = el('p', 'facts');
    for (const [kind, count] of Object.entries(topic.kinds || {})) {
      facts.append(el('span', 'action', kind + ' ×' + count));
    }
    for (const intent of topic.intents || []) {
      facts.append(el('span', 'intent', intent.intent + ' ×' + intent.count));
    }
    const examples = el('ul', 'examples');
    for (const example of topic.examples || []) {
      const item = el('li', 'example');
      const open = button('Open conversation', 'small',
        () => openFromReview(example.conversation_id, 'gaps-error'));
      open.setAttribute('aria-label', 'Open the conversation: ' + example.text);
      item.append(el('q', 'example-text', example.text), open);
      examples.append(item);
    }
    li.append(head, facts, examples);
    return li;
  }

  // ---- drafts ----
  async function loadDrafts() {
    $('drafts-error').textContent = '';
    const data = await ctx.api('GET', '/v1/console/drafts');
    drafts.items = data.drafts || [];
    $('drafts-list').replaceChildren(...drafts.items.map(draftItem));
    $('drafts-empty').hidden = drafts.items.length > 0;
    markCurrent();
  }

  function draftLabel(draft) {
    if (draft.article) return draft.article.title || draft.article.id;
    if (draft.examples) return (draft.examples.intent || 'no intent yet') + ': ' +
      draft.examples.texts.length + ' example(s)';
    return draft.id;
  }

  function draftItem(draft) {
    const li = el('li', 'draft-item status-' + draft.status);
    li.dataset.id = draft.id;
    const open = button('', 'draft-open', () => editDraft(draft));
    open.append(
      el('span', 'badge', draft.kind === 'article' ? 'article' : 'training examples'),
      el('span', 'badge' + (draft.status === 'published' ? ' published' : ''), draft.status),
      el('span', 'draft-title', draftLabel(draft)),
      el('span', 'muted', 'by ' + draft.created_by + ', ' + when(draft.created_at_ms)),
    );
    li.append(open);
    return li;
  }

  function markCurrent() {
    const id = drafts.current && drafts.current.id;
    for (const li of $('drafts-list').children) li.classList.toggle('selected', li.dataset.id === id);
  }

  function editDraft(draft) {
    drafts.current = draft;
    drafts.confirmDiscard = false;
    const article = draft.article || {};
    const examples = draft.examples || { intent: '', texts: [] };
    $('article-fields').hidden = draft.kind !== 'article';
    $('examples-fields').hidden = draft.kind === 'article';
    $('draft-id').value = article.id || '';
    $('draft-title').value = article.title || '';
    $('draft-lang').value = article.lang || 'en';
    $('draft-intents').value = (article.intents || []).join(', ');
    $('draft-tags').value = (article.tags || []).join(', ');
    $('draft-questions').value = (article.questions || []).join('\n');
    $('draft-body').value = article.body || '';
    $('draft-intent').value = examples.intent || '';
    $('draft-texts').value = (examples.texts || []).join('\n');
    renderDraftState();
    $('draft-error').textContent = '';
    $('draft-status').textContent = '';
    $('draft-form').hidden = false;
    markCurrent();
    $('draft-heading').focus();
  }

  function renderDraftState() {
    const draft = drafts.current;
    const published = draft.status === 'published';
    $('draft-heading').textContent = (draft.kind === 'article' ? 'Article draft' : 'Training examples') +
      (published ? ' (published)' : '');
    $('draft-meta').textContent = 'Made by ' + draft.created_by + ' on ' + when(draft.created_at_ms) +
      (published ? '; published by ' + draft.published_by + ' on ' + when(draft.published_at_ms) : '');
    for (const field of document.querySelectorAll('#draft-form .fields input, #draft-form .fields select, #draft-form .fields textarea')) {
      field.disabled = published;
    }
    $('draft-save').hidden = published;
    $('draft-publish').hidden = published || !isAdmin();
    $('draft-discard').hidden = !isAdmin();
    $('draft-discard').textContent = 'Discard';
  }

  function list(text) {
    return text.split(',').map((part) => part.trim()).filter(Boolean);
  }

  function lines(text) {
    return text.split('\n').map((line) => line.trim()).filter(Boolean);
  }

  function edited() {
    if (drafts.current.kind === 'article') {
      return { article: {
        id: $('draft-id').value.trim(), title: $('draft-title').value, lang: $('draft-lang').value,
        intents: list($('draft-intents').value), tags: list($('draft-tags').value),
        questions: lines($('draft-questions').value), body: $('draft-body').value,
      } };
    }
    const texts = lines($('draft-texts').value);
    return { examples: { intent: $('draft-intent').value.trim(), texts } };
  }

  async function save() {
    const path = '/v1/console/drafts/' + encodeURIComponent(drafts.current.id);
    drafts.current = await ctx.api('PUT', path, edited());
  }

  async function draftAction(action, done) {
    $('draft-error').textContent = '';
    $('draft-status').textContent = '';
    try {
      await action();
      if (drafts.current) renderDraftState();
      $('draft-status').textContent = done;
      await loadDrafts();
    } catch (error) {
      report('draft-error')(error);
    }
  }

  function onSave(event) {
    event.preventDefault();
    draftAction(save, 'Saved.');
  }

  function onPublish() {
    const kind = drafts.current.kind;
    draftAction(async () => {
      await save();
      const path = '/v1/console/drafts/' + encodeURIComponent(drafts.current.id) + '/publish';
      const published = await ctx.api('POST', path);
      drafts.current = published.draft;
    }, kind === 'article'
      ? 'Published: the bot answers with article "' + $('draft-id').value.trim() + '" from now on.'
      : 'Published: the examples are in the training export for the next `switchboard train`.');
  }

  function onDiscard() {
    if (!drafts.confirmDiscard) {
      drafts.confirmDiscard = true;
      $('draft-discard').textContent = 'Really discard?';
      return;
    }
    draftAction(async () => {
      await ctx.api('DELETE', '/v1/console/drafts/' + encodeURIComponent(drafts.current.id));
      closeDraft();
    }, 'Discarded.');
  }

  function closeDraft() {
    drafts.current = null;
    $('draft-form').hidden = true;
    markCurrent();
  }

  // ---- from a resolved conversation ----
  async function makeDraft(kind) {
    const conversation = ctx.currentConversation();
    if (!conversation) return;
    $('conv-error').textContent = '';
    try {
      const path = '/v1/console/conversations/' + encodeURIComponent(conversation.id) + '/drafts';
      const draft = await ctx.api('POST', path, { kind });
      show('drafts');
      editDraft(draft);
    } catch (error) {
      report('conv-error')(error);
    }
  }

  function conversationShown(conversation) {
    const resolved = Boolean(conversation) && conversation.status === 'resolved';
    $('draft-article').hidden = !resolved;
    $('draft-examples').hidden = !resolved;
  }

  function wire() {
    $('nav-desk').addEventListener('click', () => show('desk'));
    $('nav-gaps').addEventListener('click', () => show('gaps'));
    $('nav-drafts').addEventListener('click', () => show('drafts'));
    $('gaps-back').addEventListener('click', () => show('desk'));
    $('drafts-back').addEventListener('click', () => show('desk'));
    $('gaps-form').addEventListener('submit', (event) => { event.preventDefault(); loadGaps(); });
    $('gaps-sort').addEventListener('change', loadGaps);
    $('draft-form').addEventListener('submit', onSave);
    $('draft-publish').addEventListener('click', onPublish);
    $('draft-discard').addEventListener('click', onDiscard);
    $('draft-close').addEventListener('click', closeDraft);
    $('draft-open').addEventListener('click', () => {
      if (drafts.current) openFromReview(drafts.current.conversation_id, 'draft-error');
    });
    $('draft-article').addEventListener('click', () => makeDraft('article'));
    $('draft-examples').addEventListener('click', () => makeDraft('training_examples'));
  }

  /** After login: the agent, and what app.js lends (api, openConversation, currentConversation). */
  function init(context) {
    ctx = context;
    if (!wired) { wire(); wired = true; }
    $('nav-gaps').hidden = !isAdmin();
    closeDraft();
    show('desk');
  }

  return { init, conversationShown };
})();
