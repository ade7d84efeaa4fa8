// Browser test of the improvement loop (issue 14): two customers ask a question no article covers
// and an agent answers them (over HTTP, to keep it short); then, in headless Chromium, the admin
// opens the Gaps view, sees the topic, turns the agent's answer into an article, publishes it, and
// the next customer asking the same thing in the widget gets the answer from the bot.
// Usage: node tests/browser/gaps.js   (exit code 0 = every step passed; `make test-browser`)
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const {
  BINARY, ARTIFACTS, CHROMIUM, STEP_TIMEOUT_MS, cleanups,
  step, check, startServer, json, startCustomerSite,
  watch, widget, openWidget, widgetMessages, sendFromWidget, run,
} = require('./harness');

const QUESTION = 'Can I use my phone on a plane while flying?';
const REWORDED = 'Will my phone work on a plane in the air?';
const ASK_FOR_PERSON = 'I want to talk to a real person please';
const ANSWER = "Yes, on airlines with in-flight mobile service: your phone joins the plane's onboard " +
  "network, billed as roaming outside the Travel Zone. Turn on roaming before you board, or use the plane's Wi-Fi.";
const ARTICLE_ID = 'phone-on-a-plane';
const ADMIN_TOKEN = crypto.randomBytes(16).toString('hex');
const PASSWORD = 'correct horse battery staple';

async function addAgent(SB, username, role) {
  const body = { tenant: 'demo', username, display_name: username, role, password: PASSWORD };
  const response = await json('POST', `${SB}/v1/admin/agents`, body, { authorization: `Bearer ${ADMIN_TOKEN}` });
  check(response.status === 201, `add ${username} -> ${response.status} ${JSON.stringify(response.data)}`);
}

async function login(SB, username) {
  const response = await json('POST', `${SB}/v1/console/login`, { username, password: PASSWORD });
  check(response.status === 200, `login ${username} -> ${response.status}`);
  const cookie = (response.headers.get('set-cookie') || '').split(';')[0];
  return (method, url, body) => json(method, SB + url, body, { cookie });
}

/** A customer asks `question`, the bot cannot answer, a person is asked for and answers. */
async function answeredByAgent(SB, alice, question) {
  const created = await json('POST', `${SB}/v1/conversations`, {});
  const id = created.data.id;
  const say = (text) => json('POST', `${SB}/v1/conversations/${id}/messages`, { text });
  const first = await say(question);
  check(first.data.action !== 'answered', `the bot answered "${question}" already: ${JSON.stringify(first.data)}`);
  if (first.data.action !== 'escalated') {
    const asked = await say(ASK_FOR_PERSON);
    check(asked.data.action === 'escalated', `asking for a person: ${JSON.stringify(asked.data)}`);
  }
  const base = `/v1/console/conversations/${id}`;
  check((await alice('POST', `${base}/claim`)).status === 200, 'claim');
  check((await alice('POST', `${base}/messages`, { text: ANSWER })).status === 201, 'agent reply');
  check((await alice('POST', `${base}/resolve`, {})).status === 200, 'resolve');
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  check(fs.existsSync(BINARY), `${BINARY} is missing: run \`make test-browser\` (it builds first)`);
  check(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-gaps-'));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const problems = [];
  let SB;
  let admin;
  let customer;

  await step('server starts; two customers ask what no article covers and an agent answers', async () => {
    SB = await startServer(dataDir, ADMIN_TOKEN);
    await addAgent(SB, 'ada', 'admin');
    await addAgent(SB, 'alice', 'agent');
    const alice = await login(SB, 'alice');
    await answeredByAgent(SB, alice, QUESTION);
    await answeredByAgent(SB, alice, REWORDED);
  });

  await step('browser starts; the admin logs into the console', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--no-first-run'],
    });
    cleanups.unshift(() => browser.close());
    admin = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    customer = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    watch(admin, 'console', problems);
    watch(customer, 'customer page', problems);
    await admin.goto(`${SB}/console`);
    await admin.locator('#username').fill('ada');
    await admin.locator('#password').fill(PASSWORD);
    await admin.locator('#login-form button[type=submit]').click();
    await admin.locator('#app-view').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  });

  await step('the Gaps view shows both questions as one topic of 2 messages', async () => {
    await admin.locator('#nav-gaps').click();
    const topic = admin.locator('#gaps-list .topic').filter({ hasText: QUESTION });
    await topic.waitFor({ timeout: STEP_TIMEOUT_MS });
    const count = (await topic.locator('.topic-count').textContent()).trim();
    check(count === '2 messages', `the topic shows "${count}"`);
    check((await topic.textContent()).includes(REWORDED), 'the reworded question is not in the topic');
    check(!(await admin.locator('#gaps-list').textContent()).includes(ASK_FOR_PERSON),
      'a request for a person is listed as a gap');
    await admin.screenshot({ path: path.join(ARTIFACTS, 'console-gaps.png'), fullPage: true });
  });

  await step("the admin opens the conversation and turns the agent's answer into an article draft", async () => {
    const topic = admin.locator('#gaps-list .topic').filter({ hasText: QUESTION });
    await topic.locator('.example').filter({ hasText: QUESTION }).locator('button').click();
    await admin.locator('#conv-meta .meta-status').filter({ hasText: 'resolved' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await admin.locator('#draft-article').click();
    await admin.locator('#draft-form').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    check(await admin.locator('#draft-title').inputValue() === QUESTION, 'the title is not the question');
    check(await admin.locator('#draft-body').inputValue() === ANSWER, "the body is not the agent's answer");
    await admin.locator('#draft-id').fill(ARTICLE_ID);
    await admin.locator('#draft-title').fill('Use your phone on a plane');
  });

  await step('the admin publishes it; the console says the bot answers with it now', async () => {
    await admin.locator('#draft-publish').click();
    await admin.locator('#draft-status').filter({ hasText: 'Published' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const error = (await admin.locator('#draft-error').textContent()).trim();
    check(error === '', `publishing failed: ${error}`);
    const listed = admin.locator('#drafts-list .draft-item.status-published');
    await listed.filter({ hasText: 'Use your phone on a plane' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await admin.screenshot({ path: path.join(ARTIFACTS, 'console-draft-published.png'), fullPage: true });
  });

  await step('the next customer asking the same thing gets the article from the bot in the widget', async () => {
    const HOST = await startCustomerSite(SB);
    await customer.goto(`${HOST}/`);
    await openWidget(customer);
    await sendFromWidget(customer, QUESTION);
    const answer = widget(customer, '.msg.bot').filter({ has: customer.locator('.sources') }).first();
    await answer.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const source = (await answer.locator('.sources li').first().textContent()).trim();
    check(source.includes('Use your phone on a plane'), `the bot cited "${source}"`);
    const bot = (await widgetMessages(customer)).filter((m) => m.kind.includes('bot'));
    check(bot.some((m) => m.text.includes('onboard network')), `the bot said ${JSON.stringify(bot)}`);
    await customer.screenshot({ path: path.join(ARTIFACTS, 'widget-gaps-answer.png') });
  });

  await step('the dashboard shows containment and CSAT by article next to by intent', async () => {
    const board = await customer.context().newPage();
    watch(board, 'dashboard', problems);
    await board.goto(`${SB}/dashboard`);
    await board.locator('#token').fill(ADMIN_TOKEN);
    await board.locator('#login button[type=submit]').click();
    const row = board.locator('#by-article tbody tr').filter({ hasText: ARTICLE_ID });
    await row.waitFor({ timeout: STEP_TIMEOUT_MS });
    const cells = await row.locator('td').allTextContents();
    check(cells[1] === '1', `tickets citing the new article: ${JSON.stringify(cells)}`);
    const intents = await board.locator('#by-intent tbody tr').allTextContents();
    check(intents.some((text) => text.startsWith('roaming_activate')), `by intent: ${JSON.stringify(intents)}`);
    await board.screenshot({ path: path.join(ARTIFACTS, 'dashboard-by-article.png'), fullPage: true });
    check(problems.length === 0, problems.join('; '));
  });
}

run(main);
