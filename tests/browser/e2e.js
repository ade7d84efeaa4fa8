// End-to-end browser test: the chat widget on a customer page of ANOTHER origin, and the agent
// console, both driven in Debian's headless Chromium through playwright-core, against the real
// release binary (real encoder, knowledge base and store). It builds nothing: `make test-browser`
// builds first. Usage: node tests/browser/e2e.js   (exit code 0 = every step passed)
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const {
  BINARY, ARTIFACTS, CHROMIUM, TOTAL_BUDGET_MS, STEP_TIMEOUT_MS, started, cleanups,
  step, check, sleep, waitUntil, startServer, json, startCustomerSite,
  watch, widget, openWidget, widgetMessages, sendFromWidget, markupInside, run,
} = require('./harness');

const XSS_CUSTOMER = '<img src=x onerror=alert(1)>';
const XSS_AGENT = '<b>bold</b><script>alert(2)</script>';
const QUESTION = 'How do I turn on roaming?';
const ADMIN_TOKEN = crypto.randomBytes(16).toString('hex');
const AGENT = { tenant: 'demo', username: 'alice', display_name: 'Alice', role: 'agent',
  password: 'correct horse battery staple' };

// ---------- the flow ----------
async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  check(fs.existsSync(BINARY), `${BINARY} is missing: run \`make test-browser\` (it builds first)`);
  check(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-'));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const problems = [];
  let SB;
  let HOST;
  let browser;
  let customer;
  let agent;
  let agentContext;
  let conversationId;
  let sourceTitle;
  let zh;
  let zhConversation;

  await step('server starts on port 0 and prints its address', async () => {
    SB = await startServer(dataDir, ADMIN_TOKEN);
    const health = await json('GET', `${SB}/health`);
    check(health.status === 200, `GET /health -> ${health.status}`);
  });

  await step('admin API creates the agent account', async () => {
    const response = await json('POST', `${SB}/v1/admin/agents`, AGENT, { authorization: `Bearer ${ADMIN_TOKEN}` });
    check(response.status === 201 || response.status === 200,
      `POST /v1/admin/agents -> ${response.status} ${JSON.stringify(response.data)}`);
  });

  await step('console APIs without a session get 401 not_logged_in', async () => {
    for (const url of ['/v1/console/queue', '/v1/console/me', '/v1/console/canned']) {
      const response = await json('GET', SB + url);
      check(response.status === 401, `GET ${url} without a session -> ${response.status}`);
      check(response.data && response.data.error && response.data.error.code === 'not_logged_in',
        `GET ${url}: error code ${JSON.stringify(response.data)}`);
    }
  });

  await step('browser starts (Debian chromium, fresh profile)', async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--no-first-run'],
    });
    cleanups.unshift(() => browser.close());
    agentContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const customerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // Keep a handle on the widget's event streams so that a dropped stream can be simulated.
    await customerContext.addInitScript(() => {
      const Native = window.EventSource;
      window.EventSource = class extends Native {
        constructor(...args) {
          super(...args);
          (window.__streams = window.__streams || []).push(this);
        }
      };
    });
    agent = await agentContext.newPage();
    customer = await customerContext.newPage();
    watch(agent, 'console', problems);
    watch(customer, 'customer page', problems);
  });

  await step('agent logs into the console (served with CSP default-src \'self\')', async () => {
    const response = await agent.goto(`${SB}/console`);
    check(response.status() === 200, `GET /console -> ${response.status()}`);
    const csp = response.headers()['content-security-policy'] || '';
    check(csp.includes("default-src 'self'"), `/console CSP header is "${csp}"`);
    await agent.locator('#username').fill(AGENT.username);
    await agent.locator('#password').fill('wrong password');
    await agent.locator('#login-form button[type=submit]').click();
    await agent.locator('#login-error').filter({ hasText: /./ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await agent.locator('#password').fill(AGENT.password);
    await agent.locator('#login-form button[type=submit]').click();
    await agent.locator('#app-view').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const me = await agent.locator('#me').textContent();
    check(me.includes('Alice'), `the console shows "${me}", not the agent's name`);
    await agent.evaluate(() => { window.__notReloaded = true; });
  });

  await step('widget loads on a customer page of another origin, untouched by its CSS', async () => {
    HOST = await startCustomerSite(SB);
    check(new URL(HOST).origin !== new URL(SB).origin, 'the customer page must be cross-origin');
    await customer.goto(`${HOST}/`);
    const launcher = widget(customer, '.launcher');
    await launcher.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const look = await launcher.evaluate((node) => {
      const style = getComputedStyle(node);
      return { background: style.backgroundColor, color: style.color, position: style.position };
    });
    check(look.background === 'rgb(11, 92, 173)', `launcher background is ${look.background} (host CSS leaked in)`);
    check(look.color === 'rgb(255, 255, 255)', `launcher text color is ${look.color}`);
    check(look.position === 'fixed', `launcher position is ${look.position}`);
  });

  await step('keyboard: the launcher opens the panel, focus moves to the input, Escape closes it', async () => {
    await widget(customer, '.launcher').focus();
    await customer.keyboard.press('Enter');
    await widget(customer, '.panel').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const focused = await customer.evaluate(() =>
      document.querySelector('switchboard-widget').shadowRoot.activeElement?.id);
    check(focused === 'sb-input', `focus is on "${focused}", not the message input`);
    const label = await widget(customer, 'label[for="sb-input"]').textContent();
    check(label.trim().length > 0, 'the message input has no label');
    check(await widget(customer, '.log').getAttribute('aria-live') === 'polite', 'the message list is not aria-live');
    await customer.keyboard.press('Escape');
    await widget(customer, '.panel').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
    const back = await customer.evaluate(() =>
      document.querySelector('switchboard-widget').shadowRoot.activeElement?.className);
    check(back === 'launcher', `after Escape focus is on "${back}", not the launcher`);
  });

  await step('customer asks a KB question: typing indicator, then an answer citing an article', async () => {
    await openWidget(customer);
    // Hold the reply back a moment so that the typing indicator is observable.
    await customer.route(`${SB}/v1/conversations/*/messages`, async (route) => {
      await sleep(700);
      await route.continue();
    });
    await sendFromWidget(customer, QUESTION);
    await widget(customer, '.typing').waitFor({ state: 'visible', timeout: 2000 });
    const answer = widget(customer, '.msg.bot').filter({ has: customer.locator('.sources') }).first();
    await answer.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await customer.unroute(`${SB}/v1/conversations/*/messages`);
    await widget(customer, '.typing').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
    sourceTitle = (await answer.locator('.sources li').first().textContent()).trim();
    check(sourceTitle.length > 0, 'the cited article has no title');
    check(/roaming/i.test(sourceTitle), `the cited article "${sourceTitle}" is not about roaming`);
    conversationId = await customer.evaluate(() => localStorage.getItem('switchboard:demo:conversation'));
    check(/^[0-9a-f-]{36}$/.test(conversationId || ''), `conversation id in localStorage: ${conversationId}`);
    const messages = await widgetMessages(customer);
    check(messages[0].text === QUESTION, `first message is "${messages[0] && messages[0].text}"`);
  });

  await step('customer presses "talk to a person": queue position and estimated wait shown', async () => {
    await widget(customer, 'button.link').filter({ hasText: 'Talk to a person' }).click();
    const banner = widget(customer, '.banner');
    await banner.filter({ hasText: /number \d+ in the queue/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const text = await banner.textContent();
    check(/Estimated wait: (less than a minute|about \d+ min)/.test(text), `banner says "${text}"`);
    check(await widget(customer, 'button.link').filter({ hasText: 'Talk to a person' }).isHidden(),
      '"talk to a person" is still offered after escalating');
  });

  await step('the conversation appears live in the agent\'s queue (no reload)', async () => {
    const item = agent.locator(`#queue-list li[data-id="${conversationId}"]`);
    await item.waitFor({ timeout: STEP_TIMEOUT_MS });
    const reason = await item.locator('.reason').textContent();
    check(reason.includes('explicit_request'), `escalation reason shown: "${reason}"`);
    check((await item.locator('.intent').textContent()).trim().length > 0, 'no intent shown in the queue');
    await waitUntil('a wait time in the queue item', async () => /waiting \d/.test(await item.locator('.wait').textContent()));
    check(await agent.evaluate(() => window.__notReloaded === true), 'the console page was reloaded');
  });

  await step('customer sends HTML: plain text in the widget and in the live queue; the bot stays silent', async () => {
    const botsBefore = (await widgetMessages(customer)).filter((m) => m.kind.includes('bot')).length;
    await sendFromWidget(customer, XSS_CUSTOMER);
    await waitUntil('the HTML message confirmed in the widget', async () =>
      (await widgetMessages(customer)).some((m) => m.text === XSS_CUSTOMER && m.seq));
    const item = agent.locator(`#queue-list li[data-id="${conversationId}"] .last`);
    await waitUntil('the queue item to show the literal HTML message', async () =>
      (await item.textContent()) === XSS_CUSTOMER);
    await sleep(500);
    const botsAfter = (await widgetMessages(customer)).filter((m) => m.kind.includes('bot')).length;
    check(botsAfter === botsBefore, `the bot answered during the takeover (${botsBefore} -> ${botsAfter})`);
    await agent.screenshot({ path: path.join(ARTIFACTS, 'console-queue.png'), fullPage: true });
  });

  await step('agent claims it and sees the transcript with intents, confidences and sources', async () => {
    await agent.locator(`#queue-list li[data-id="${conversationId}"] .queue-claim`).click();
    const bot = agent.locator('#transcript li[data-type="bot_reply"]').first();
    await bot.waitFor({ timeout: STEP_TIMEOUT_MS });
    const intent = await bot.locator('.intent').textContent();
    check(/\S+ \d+%/.test(intent), `bot reply intent/confidence shown as "${intent}"`);
    const sources = await bot.locator('.sources').textContent();
    check(sources.includes(sourceTitle), `sources "${sources}" do not cite "${sourceTitle}"`);
    const customerTexts = await agent.locator('#transcript li[data-type="customer_message"] .text').allTextContents();
    check(customerTexts.includes(XSS_CUSTOMER), `transcript customer messages: ${JSON.stringify(customerTexts)}`);
    await agent.locator('#transcript li[data-type="assigned"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await waitUntil('the reply button to be enabled', () => agent.locator('#send-reply').isEnabled());
  });

  await step('agent replies; the customer sees it live', async () => {
    // A canned reply fills the box (the agent then edits it).
    const options = await agent.locator('#canned option').count();
    check(options > 1, `the canned replies list has ${options - 1} entries`);
    await agent.locator('#canned').selectOption({ index: 1 });
    check((await agent.locator('#reply-text').inputValue()).length > 0, 'choosing a canned reply left the box empty');
    const reply = 'Hi, this is Alice. I have switched roaming on for you.';
    await agent.locator('#reply-text').fill(reply);
    await agent.locator('#send-reply').click();
    await widget(customer, '.msg.agent').filter({ hasText: 'switched roaming on' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    check(await widget(customer, '.banner').isHidden(), 'the queue banner is still shown after an agent took over');
  });

  await step('agent replies with HTML: plain text in both UIs; what is typed meanwhile is kept', async () => {
    // The reply's request is held back, so the agent types the next message while it is in flight.
    const slow = async (route) => { await sleep(400); await route.continue(); };
    await agent.route('**/messages', slow);
    await agent.locator('#reply-text').fill(XSS_AGENT);
    await agent.locator('#send-reply').click();
    const typedMeanwhile = 'Typed while the last reply was being sent.';
    await agent.locator('#reply-text').fill(typedMeanwhile);
    await waitUntil('the HTML reply as text in the widget', async () =>
      (await widgetMessages(customer)).some((m) => m.kind.includes('agent') && m.text === XSS_AGENT));
    const consoleTexts = () => agent.locator('#transcript li[data-type="agent_message"] .text').allTextContents();
    await waitUntil('the HTML reply as text in the console', async () => (await consoleTexts()).includes(XSS_AGENT));
    await agent.unroute('**/messages', slow);
    const box = await agent.locator('#reply-text').inputValue();
    check(box === typedMeanwhile, `the reply box holds "${box}" after the previous reply was answered`);
  });

  await step('an internal note is shown distinctly in the console and never reaches the customer', async () => {
    await agent.locator('#reply-text').fill('Customer is travelling to Spain next week.');
    await agent.locator('#add-note').click();
    const note = agent.locator('#transcript li[data-type="internal_note"]');
    await note.waitFor({ timeout: STEP_TIMEOUT_MS });
    const background = await note.evaluate((node) => getComputedStyle(node).backgroundColor);
    const agentBackground = await agent.locator('#transcript li[data-type="agent_message"]').first()
      .evaluate((node) => getComputedStyle(node).backgroundColor);
    check(background !== agentBackground, 'notes look the same as messages to the customer');
    await sleep(300);
    const texts = (await widgetMessages(customer)).map((m) => m.text);
    check(!texts.some((t) => t.includes('Spain')), 'the internal note reached the widget');
  });

  await step('customer reloads the page: the same conversation and its history come back, live', async () => {
    const before = (await widgetMessages(customer)).map((m) => m.text);
    await customer.reload();
    await openWidget(customer);
    await waitUntil('the history after reload', async () =>
      (await widgetMessages(customer)).length >= before.length);
    const after = (await widgetMessages(customer)).map((m) => m.text);
    check(JSON.stringify(after) === JSON.stringify(before),
      `history differs after reload:\n  before ${JSON.stringify(before)}\n  after  ${JSON.stringify(after)}`);
    const id = await customer.evaluate(() => localStorage.getItem('switchboard:demo:conversation'));
    check(id === conversationId, `conversation id changed on reload: ${id}`);
    await agent.locator('#reply-text').fill('Anything else I can help with?');
    await agent.locator('#send-reply').click();
    await widget(customer, '.msg.agent').filter({ hasText: 'Anything else' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const seqs = (await widgetMessages(customer)).map((m) => m.seq).filter(Boolean);
    check(new Set(seqs).size === seqs.length, `a message is shown twice: seqs ${seqs}`);
  });

  await step('the event stream drops (as behind a failing proxy): what was sent meanwhile arrives, once', async () => {
    const dropped = await customer.evaluate(() => {
      const open = (window.__streams || []).filter((stream) => stream.readyState !== 2);
      open.forEach((stream) => stream.close());
      return open.length;
    });
    check(dropped === 1, `the widget had ${dropped} open event streams, expected 1`);
    await agent.locator('#reply-text').fill('Sent while your connection was down.');
    await agent.locator('#send-reply').click();
    await agent.locator('#transcript li[data-type="agent_message"]').filter({ hasText: 'connection was down' })
      .waitFor({ timeout: STEP_TIMEOUT_MS });
    await sleep(300);
    check(!(await widgetMessages(customer)).some((m) => m.text.includes('connection was down')),
      'the message arrived although the stream was closed');
    // The browser reports a stream it gave up on with an error event on a CLOSED source.
    await customer.evaluate(() => window.__streams.forEach((stream) => stream.dispatchEvent(new Event('error'))));
    await widget(customer, '.msg.agent').filter({ hasText: 'connection was down' })
      .waitFor({ timeout: STEP_TIMEOUT_MS });
    const reconnected = await customer.evaluate(() => window.__streams.filter((s) => s.readyState !== 2).length);
    check(reconnected === 1, `${reconnected} open event streams after reconnecting, expected 1`);
    await agent.locator('#reply-text').fill('And this one came live again.');
    await agent.locator('#send-reply').click();
    await widget(customer, '.msg.agent').filter({ hasText: 'came live again' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const seqs = (await widgetMessages(customer)).map((m) => m.seq).filter(Boolean);
    check(new Set(seqs).size === seqs.length, `a message is shown twice: seqs ${seqs}`);
  });

  await step('no element was created from message text and no dialog fired', async () => {
    const widgetMarkup = await markupInside(customer, 'widget');
    check(widgetMarkup.length === 0, `widget message list holds markup: ${widgetMarkup}`);
    const consoleMarkup = await markupInside(agent, 'console');
    check(consoleMarkup.length === 0, `console transcript/queue holds markup: ${consoleMarkup}`);
    await sleep(200);
    check(problems.length === 0, problems.join('\n'));
    await customer.screenshot({ path: path.join(ARTIFACTS, 'widget-desktop.png') });
    await agent.setViewportSize({ width: 1280, height: 1500 }); // the whole transcript in one picture
    await agent.screenshot({ path: path.join(ARTIFACTS, 'console-conversation.png') });
    await agent.setViewportSize({ width: 1280, height: 800 });
  });

  await step('agent resolves with a tag; the widget asks for a rating', async () => {
    await agent.locator('#resolve-tag').fill('roaming');
    await agent.locator('#resolve').click();
    await agent.locator('#transcript li[data-type="resolved"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await widget(customer, 'form.rating').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  });

  await step('customer rates 4 with a comment', async () => {
    await widget(customer, 'form.rating label').filter({ has: customer.locator('input[value="4"]') }).click();
    await widget(customer, '#sb-comment').fill('Quick and friendly.');
    await widget(customer, 'form.rating button[type=submit]').click();
    await widget(customer, 'form.rating').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
    await widget(customer, '.log .note').filter({ hasText: 'Thank you for your feedback' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await agent.locator('#transcript li[data-type="rated"]').waitFor({ timeout: STEP_TIMEOUT_MS });
  });

  await step('the ticket holds the full timeline with timestamps (console API)', async () => {
    const response = await agentContext.request.get(`${SB}/v1/console/conversations/${conversationId}`);
    check(response.status() === 200, `GET transcript -> ${response.status()}`);
    const ticket = await response.json();
    const events = (ticket.events || []).concat(ticket.notes || []).sort((a, b) => a.seq - b.seq);
    const order = ['created', 'customer_message', 'bot_reply', 'escalated', 'assigned', 'agent_message', 'resolved', 'rated'];
    let previous = -1;
    for (const type of order) {
      const index = events.findIndex((event) => event.type === type);
      check(index >= 0, `timeline lacks "${type}": ${events.map((e) => e.type).join(', ')}`);
      check(index > previous, `"${type}" is out of order: ${events.map((e) => e.type).join(', ')}`);
      previous = index;
    }
    for (let i = 0; i < events.length; i++) {
      check(Number.isInteger(events[i].at_ms) && events[i].at_ms > 1.7e12, `event ${i} has no timestamp`);
      if (i > 0) check(events[i].at_ms >= events[i - 1].at_ms, `timestamps go backwards at ${i}`);
    }
    const rated = events.find((event) => event.type === 'rated');
    check(rated.score === 4 && rated.comment === 'Quick and friendly.', `rated event ${JSON.stringify(rated)}`);
    check(ticket.rating === 4, `ticket rating is ${ticket.rating}`);
    const resolved = events.find((event) => event.type === 'resolved');
    check(resolved.tag === 'roaming', `resolved event ${JSON.stringify(resolved)}`);
    check(events.some((event) => event.type === 'internal_note'), 'the internal note is not on the ticket');
    const bot = events.find((event) => event.type === 'bot_reply' && event.sources && event.sources.length);
    check(bot && bot.intent && typeof bot.intent.confidence === 'number', 'no bot reply with intent and sources');
    const publicView = await json('GET', `${SB}/v1/conversations/${conversationId}`);
    check(!publicView.data.events.some((event) => event.type === 'internal_note'),
      'the customer view exposes the internal note');
  });

  await step('a Chinese page (<html lang="zh-CN">) gets the Chinese interface; 转人工 escalates', async () => {
    zh = await browser.newPage(); // its own context: a second customer
    watch(zh, 'zh page', problems);
    await zh.goto(`${HOST}/zh`);
    const launcher = widget(zh, '.launcher');
    await launcher.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    check((await launcher.textContent()).includes('联系客服'), `zh launcher says "${await launcher.textContent()}"`);
    await launcher.click();
    const human = widget(zh, 'button.link').filter({ hasText: '转人工客服' });
    await human.click();
    await widget(zh, '.banner').filter({ hasText: /第 \d+ 位/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    zhConversation = await zh.evaluate(() => localStorage.getItem('switchboard:demo:conversation'));
    check(zhConversation && zhConversation !== conversationId, `zh conversation id ${zhConversation}`);
    // No message typed yet: the bot's handoff reply follows the widget's language (sent as `lang`).
    const zhView = await json('GET', `${SB}/v1/conversations/${zhConversation}`);
    const handoff = zhView.data.events.find((event) => event.type === 'bot_reply');
    check(handoff && /[\u4e00-\u9fff]/.test(handoff.text || ''), `the handoff reply is not Chinese: ${JSON.stringify(handoff)}`);
  });

  await step('agent claims it and hands it back to the bot; the bot answers again; the customer ends the chat', async () => {
    const item = agent.locator(`#queue-list li[data-id="${zhConversation}"]`);
    await item.waitFor({ timeout: STEP_TIMEOUT_MS });
    await item.locator('.queue-claim').click();
    await agent.locator('#handback').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await agent.locator('#handback').click();
    await agent.locator('#transcript li[data-type="handed_back"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await widget(zh, '.log .note').filter({ hasText: '您已回到智能助手' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const bots = (await widgetMessages(zh)).filter((m) => m.kind.includes('bot')).length;
    await sendFromWidget(zh, '怎么开通国际漫游？');
    await waitUntil('a bot reply after the hand-back', async () =>
      (await widgetMessages(zh)).filter((m) => m.kind.includes('bot')).length > bots);
    check(await widget(zh, 'button.link').filter({ hasText: '转人工客服' }).isVisible(),
      '"talk to a person" is not offered again after the hand-back');
    // The customer ends the chat: the widget asks for a rating (in Chinese).
    await widget(zh, 'button.link').filter({ hasText: '结束对话' }).click();
    const rating = widget(zh, 'form.rating');
    await rating.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    check((await rating.locator('legend').textContent()) === '请为本次服务评分', 'the rating form is not in Chinese');
    await zh.screenshot({ path: path.join(ARTIFACTS, 'widget-zh.png') });
    await zh.close();
  });

  await step('a bare keyword gets a clarifying question whose choices are buttons; one press answers it', async () => {
    const page = await browser.newPage(); // its own context: another customer
    watch(page, 'keyword page', problems);
    await page.goto(`${HOST}/`);
    await openWidget(page);
    await sendFromWidget(page, 'my plan');
    const buttons = widget(page, '.msg.bot .choices button.choice');
    await buttons.first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const labels = (await buttons.allTextContents()).map((label) => label.trim());
    check(labels.length === 2 && labels[0] !== labels[1], `choices offered: ${JSON.stringify(labels)}`);
    await buttons.nth(1).click();
    const answer = widget(page, '.msg.bot').filter({ has: page.locator('.sources') }).first();
    await answer.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const cited = (await answer.locator('.sources li').first().textContent()).trim();
    check(cited === labels[1], `pressed "${labels[1]}", the answer cites "${cited}"`);
    const messages = await widgetMessages(page);
    check(messages.some((m) => m.kind.includes('customer') && m.text === labels[1]),
      'the pressed choice is not shown as the customer\'s message');
    check(await buttons.nth(0).isDisabled(), 'a spent choice can still be pressed');
    await page.close();
  });

  await step('online/offline toggle and logout', async () => {
    const toggle = agent.locator('#online-toggle');
    await toggle.click();
    await waitUntil('the toggle to show offline', async () => (await toggle.getAttribute('aria-pressed')) === 'false');
    await toggle.click();
    await waitUntil('the toggle to show online', async () => (await toggle.getAttribute('aria-pressed')) === 'true');
    await agent.locator('#logout').click();
    await agent.locator('#login-view').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const me = await agentContext.request.get(`${SB}/v1/console/me`);
    check(me.status() === 401, `GET /v1/console/me after logout -> ${me.status()}`);
  });

  await step('nobody online: "talk to a person" says so and the conversation stays queued', async () => {
    const page = await browser.newPage();
    watch(page, 'offline page', problems);
    await page.goto(`${HOST}/`);
    await openWidget(page);
    await widget(page, 'button.link').filter({ hasText: 'Talk to a person' }).click();
    const banner = widget(page, '.banner');
    await banner.filter({ hasText: 'No one is available right now' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const id = await page.evaluate(() => localStorage.getItem('switchboard:demo:conversation'));
    const view = await json('GET', `${SB}/v1/conversations/${id}`);
    check(view.data.status === 'escalated', `the offline conversation is ${view.data.status}, not queued`);
    check(view.data.offline === true, `the customer view does not say offline: ${JSON.stringify(view.data.offline)}`);
    await page.close();
  });

  await step('/demo (served with CSP default-src \'self\') embeds the widget, styled', async () => {
    const page = await browser.newPage();
    watch(page, 'demo page', problems);
    const response = await page.goto(`${SB}/demo`);
    check(response.status() === 200, `GET /demo -> ${response.status()}`);
    check((response.headers()['content-security-policy'] || '').includes("default-src 'self'"), '/demo has no CSP');
    const launcher = widget(page, '.launcher');
    await launcher.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const background = await launcher.evaluate((node) => getComputedStyle(node).backgroundColor);
    check(background === 'rgb(11, 92, 173)', `the widget is unstyled under the page CSP (${background})`);
    const script = await json('GET', `${SB}/widget.js`);
    check((script.headers.get('content-type') || '').startsWith('application/javascript'),
      `/widget.js content type ${script.headers.get('content-type')}`);
    await page.close();
    check(problems.length === 0, problems.join('\n'));
  });

  await step('phone width (360x640): the widget fits the screen', async () => {
    await customer.setViewportSize({ width: 360, height: 640 });
    await openWidget(customer);
    const box = await widget(customer, '.panel').boundingBox();
    check(box && box.x >= 0 && box.x + box.width <= 360 && box.y >= 0 && box.y + box.height <= 640,
      `panel box ${JSON.stringify(box)} does not fit 360x640`);
    const scroll = await customer.evaluate(() => document.documentElement.scrollWidth);
    check(scroll <= 360, `the page scrolls sideways (${scroll}px wide)`);
    await customer.screenshot({ path: path.join(ARTIFACTS, 'widget-phone.png') });
  });

  check(problems.length === 0, `browser problems:\n${problems.join('\n')}`);
  check(Date.now() - started < TOTAL_BUDGET_MS, `the run took ${Date.now() - started} ms (budget ${TOTAL_BUDGET_MS})`);
}


run(main);
