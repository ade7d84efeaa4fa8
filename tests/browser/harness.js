// The browser test's harness: a step runner that prints TAP-like lines and a closing
// `N passed, N failed`, the Switchboard server (the release binary on port 0), a customer site
// on a second origin, and helpers that read the widget inside its shadow root.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const BINARY = process.env.SWITCHBOARD_BIN || path.join(ROOT, 'target', 'release', 'switchboard');
const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// A cold start embeds every knowledge-base passage, title and customer phrasing (about 4,000
// texts: 156 s on an idle 2-core machine on 2026-12-05, about 50 s since embedding batches by
// length) unless `seedVectors` finds the integration suite's copy; the budget covers a cold
// start with room for a busy host. The run's budget is start-up plus
// what the steps themselves took before (under 100 s), with room.
const STARTUP_MS = 300_000;
const TOTAL_BUDGET_MS = STARTUP_MS + 170_000;
const STEP_TIMEOUT_MS = 15_000;

// ---------- tiny harness ----------
const results = { passed: 0, failed: 0 };
const started = Date.now();
const cleanups = [];

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
  } catch (error) {
    results.failed += 1;
    console.log(`not ok ${results.passed + results.failed} - ${name}`);
    console.log(`  ${String(error && error.stack || error).split('\n').join('\n  ')}`);
    throw new StepFailed(name);
  }
  results.passed += 1;
  console.log(`ok ${results.passed + results.failed} - ${name} (${Date.now() - t0} ms)`);
}

class StepFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(description, probe, timeout = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${description}`);
}

// ---------- the Switchboard server ----------
// The integration suite (`cargo test`, which `make test` runs first) leaves the default KB's
// passage vectors under target/test-kb-vectors-<key>/. Copying the newest into a fresh data dir
// spares the cold start's embedding (2.5 minutes on 2 cores). The server only uses vectors made by
// its own encoder for the same text (the file carries the encoder's fingerprint), so a stale copy
// costs time, never correctness; without one the server embeds everything itself.
function seedVectors(dataDir) {
  const target = path.join(dataDir, 'kb', 'vectors.bin');
  if (fs.existsSync(target)) return;
  const caches = fs.readdirSync(path.join(ROOT, 'target'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^test-kb-vectors-[0-9a-f]+$/.test(entry.name))
    .map((entry) => path.join(ROOT, 'target', entry.name, 'kb', 'vectors.bin'))
    .filter((file) => fs.existsSync(file))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (caches.length === 0) return;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(caches[0], target);
}

function startServer(dataDir, adminToken) {
  seedVectors(dataDir);
  const child = spawn(BINARY, ['serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SWITCHBOARD__SERVER__PORT: '0',
      SWITCHBOARD__PATHS__DATA_DIR: dataDir,
      SWITCHBOARD__ADMIN__TOKEN: adminToken,
      RUST_LOG: process.env.RUST_LOG || 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = fs.createWriteStream(path.join(ARTIFACTS, 'server.log'));
  child.stderr.pipe(log);
  cleanups.push(() => stopProcess(child));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`server printed no address within ${STARTUP_MS / 1000} s`)), STARTUP_MS);
    child.on('exit', (code) => reject(new Error(`server exited early (code ${code}); see tests/artifacts/server.log`)));
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(buffered);
      if (!match) return;
      clearTimeout(timer);
      resolve(match[1].replace(/\/$/, ''));
    });
  });
}

function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => { clearTimeout(force); resolve(); });
    child.kill('SIGTERM');
  });
}

async function json(method, url, body, headers = {}) {
  const response = await fetch(url, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  return { status: response.status, headers: response.headers, data };
}

// ---------- the customer's site, on another origin ----------
function startCustomerSite(switchboard) {
  // A hostile-ish stylesheet: if the widget's look survives it, the host page's CSS cannot break it.
  const css = '* { font-family: serif !important; color: red !important; }\n' +
    'button { background: hotpink !important; display: inline !important; }\n' +
    'li, p { display: inline !important; font-size: 30px !important; }';
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/host.css"></head>
<body><h1>Test shop</h1><p>Our products.</p><ul><li>Phones</li><li>Plans</li></ul>
<script src="${switchboard}/widget.js" data-tenant="demo" async></script>
</body></html>`;
  // A strict CSP on the host page: no inline scripts or styles, API calls only to Switchboard.
  const csp = `default-src 'self'; script-src ${switchboard}; connect-src ${switchboard}; style-src 'self'; img-src 'self'`;
  const server = http.createServer((request, response) => {
    if (request.url === '/zh') {
      // A Chinese page: the widget speaks Chinese from <html lang>.
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
      response.end(page.replace('<html lang="en">', '<html lang="zh-CN">'));
      return;
    }
    if (request.url === '/host.css') {
      response.writeHead(200, { 'content-type': 'text/css' });
      response.end(css);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
    response.end(page);
  });
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

// ---------- page helpers ----------
function watch(page, label, problems) {
  page.on('dialog', (dialog) => {
    problems.push(`${label}: a dialog fired (${dialog.type()}: ${dialog.message()})`);
    dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (error) => problems.push(`${label}: uncaught page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      console.log(`  [${label} console] ${message.text()}`);
    }
  });
  page.on('response', (response) => {
    if (response.status() >= 400) console.log(`  [${label}] ${response.status()} ${response.request().method()} ${response.url()}`);
  });
}

const widget = (page, selector) => page.locator('switchboard-widget').locator(selector);

async function openWidget(page) {
  const launcher = widget(page, '.launcher');
  await launcher.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  if ((await launcher.getAttribute('aria-expanded')) !== 'true') await launcher.click();
  await widget(page, '.panel').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
}

/** Texts of the widget's message list, in order (textContent: what a reader sees). */
function widgetMessages(page) {
  return page.evaluate(() => {
    const root = document.querySelector('switchboard-widget').shadowRoot;
    return [...root.querySelectorAll('.log .msg')].map((li) => ({
      kind: li.className,
      seq: li.getAttribute('data-seq'),
      text: li.querySelector('.text').textContent,
    }));
  });
}

async function sendFromWidget(page, text) {
  await widget(page, 'textarea#sb-input').fill(text);
  await widget(page, 'textarea#sb-input').press('Enter');
}

async function markupInside(page, where) {
  return page.evaluate((where) => {
    const scope = where === 'widget'
      ? document.querySelector('switchboard-widget').shadowRoot.querySelector('.log')
      : document.getElementById('transcript');
    const queue = document.getElementById('queue-list');
    const found = [...scope.querySelectorAll('img, b, script')];
    if (queue) found.push(...queue.querySelectorAll('img, b, script'));
    return found.map((node) => node.outerHTML);
  }, where);
}


async function cleanup() {
  for (const fn of cleanups.splice(0)) {
    try { await fn(); } catch (e) { /* best effort */ }
  }
}

let watchdog;

function finish() {
  clearTimeout(watchdog);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`screenshots and server log: ${path.relative(process.cwd(), ARTIFACTS) || ARTIFACTS}`);
  console.log(`browser run took ${seconds} s`);
  console.log(`browser: ${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed === 0 ? 0 : 1);
}

/** Runs the flow under the time budget; cleans up and exits 0 only if every step passed. */
function run(main) {
  watchdog = setTimeout(async () => {
    console.log(`not ok - the whole run exceeded ${TOTAL_BUDGET_MS} ms`);
    results.failed += 1;
    await cleanup();
    finish();
  }, TOTAL_BUDGET_MS + 5000);
  main()
    .catch((error) => {
      if (!(error instanceof StepFailed)) {
        results.failed += 1;
        console.log(`not ok - ${error && error.stack || error}`);
      }
    })
    .then(cleanup)
    .then(finish);
}

module.exports = {
  ROOT, BINARY, ARTIFACTS, CHROMIUM, TOTAL_BUDGET_MS, STEP_TIMEOUT_MS, started, cleanups,
  step, check, sleep, waitUntil, startServer, json, startCustomerSite,
  watch, widget, openWidget, widgetMessages, sendFromWidget, markupInside, run,
};
