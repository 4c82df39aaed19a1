// The workbench journey in a real Chromium, as a user clicks through it:
// started by cli/tests/workbench_browser.rs, which runs the OAuth test
// server (runtime/tests/oidc) and `patchbay serve`, and passes:
//
//   WORKBENCH_URL   the URL `patchbay serve` printed
//   OIDC_BASE       the OAuth test server's base URL
//   SCREENSHOTS     the folder for a screenshot of each step
//   USER_DATA_DIR   a fresh Chromium profile folder
//
// Every failed expectation throws: the process exits non-zero with the
// step's name, and the test fails.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const { WORKBENCH_URL, OIDC_BASE, SCREENSHOTS, USER_DATA_DIR } = process.env;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(SCREENSHOTS, { recursive: true });

// The machine's network is closed: no component updates, sync, QUIC or
// background fetches, and every request off loopback is refused below.
const context = await chromium.launchPersistentContext(USER_DATA_DIR, {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 1100, height: 900 },
});
const offLoopback = [];
await context.route(
  (url) => !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname),
  (route) => { offLoopback.push(route.request().url()); return route.abort(); },
);
// The workbench's CSP must hold on every page: any violation is a failure.
const violations = [];
const page = context.pages()[0] ?? (await context.newPage());
page.on('console', (message) => {
  if (/Content.Security.Policy|Refused to/i.test(message.text())) {
    violations.push(`${page.url()}: ${message.text()}`);
  }
});

let step = 0;
async function shot(name) {
  step += 1;
  const file = join(SCREENSHOTS, `${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

function expect(condition, what) {
  if (!condition) {
    throw new Error(`expected ${what} (at ${page.url()})`);
  }
}

async function text(selector) {
  return (await page.locator(selector).first().textContent()) ?? '';
}

const origin = new URL(WORKBENCH_URL).origin;

// 1. The connectors page: the harness connector lints clean, the broken
//    spec shows its diagnostics with a link to the rule's page.
await page.goto(WORKBENCH_URL);
expect(await page.getByRole('link', { name: 'OAuth test server', exact: true }).isVisible(), 'the harness connector listed');
const lintBlock = page.locator('li.spec.errors').first();
expect((await lintBlock.textContent()).includes('PB101'), 'the broken spec with its PB101 diagnostic');
expect((await lintBlock.textContent()).includes('|'), 'the diagnostic as lint prints it (a source snippet)');
await shot('connectors');
await lintBlock.locator('pre').first().scrollIntoViewIfNeeded();
await lintBlock.screenshot({ path: join(SCREENSHOTS, 'lint-errors.png') });
await lintBlock.getByRole('link', { name: /PB101/ }).first().click();
expect((await text('h1')).includes('PB101'), "the rule's page");
await shot('rule-page');

// 2. The connector page: methods, endpoints, the plan.
await page.goto(`${origin}/connectors/oauth-test-server`);
expect((await page.content()).includes('code_confidential'), 'the methods listed');
await shot('connector');

/** Adds an instance of an authorization-code method through its form. */
async function addInstance(name, method, clientId, secret, screenshot) {
  await page.goto(`${origin}/connectors/oauth-test-server/new?method=${method}`);
  await page.fill('#instance-name', name);
  await page.fill('#field-base', OIDC_BASE);
  await page.fill('#field-client_id', clientId);
  if (secret !== undefined) {
    await page.fill('#field-client_secret', secret);
  }
  if (screenshot) await shot(screenshot);
  await page.getByRole('button', { name: 'Save instance' }).click();
  expect((await text('.message')).includes('Instance added'), `instance ${name} added`);
}

/** Connect, log in and (unless `deny`) allow at the provider's pages. */
async function connect(name, { deny = false, screenshots = false } = {}) {
  await page.getByRole('button', { name: /^Connect/ }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/interaction/'));
  if (await page.locator('input[name="login"]').count()) {
    await page.fill('input[name="login"]', 'alice');
    await page.fill('input[name="password"]', 'any');
    if (screenshots) await shot('provider-login');
    await page.getByRole('button', { name: 'Sign-in' }).click();
  }
  await page.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached' });
  if (screenshots) await shot('provider-consent');
  if (deny) {
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
  } else {
    await page.getByRole('button', { name: 'Continue' }).click();
  }
  await page.waitForURL(`${origin}/instances/${name}`);
}

async function testAndCall(name, clientId, screenshots) {
  expect((await text('#status')).startsWith('Connected'), `${name} connected`);
  if (screenshots) await shot('connected');
  await page.getByRole('button', { name: 'Test connection' }).click();
  expect((await text('#http-status')) === 'HTTP 200', 'the test call answered 200');
  const me = JSON.parse(await text('#response-body'));
  expect(me.sub === 'alice' && me.client_id === clientId, `/api/me answered for alice via ${clientId}: ${JSON.stringify(me)}`);
  if (screenshots) await shot('test-connection');
  await page.getByRole('link', { name: 'items', exact: true }).click();
  await page.check('#all-pages');
  await page.getByRole('button', { name: 'Call items' }).click();
  expect((await text('.outcome')).includes('6 records'), 'six records over the pages');
  expect((await text('.outcome')).includes('3 pages'), 'three pages followed');
  const curl = await text('pre.curl');
  expect(curl.includes('curl') && curl.includes('/api/items'), 'the request as curl');
  if (screenshots) await shot('call-endpoint');
}

// 3. Confidential client: add, connect, log in, allow, test, call.
await addInstance('confidential', 'code_confidential', 'code-confidential', 'code+secret:1', 'add-instance');
await shot('instance-added');
await connect('confidential', { screenshots: true });
await testAndCall('confidential', 'code-confidential', true);

// 4. Public client (no secret, PKCE).
await addInstance('public', 'code_public', 'code-public', undefined, null);
await connect('public');
await testAndCall('public', 'code-public', false);

// 5. A denied consent: a clear message on the instance's page.
await addInstance('denied', 'code_public', 'code-public', undefined, null);
await connect('denied', { deny: true });
const denied = await text('.message.error');
expect(denied.includes('access was denied'), `the denial explained: ${denied}`);
expect((await text('#status')).startsWith('Not connected'), 'the denied instance not connected');
await shot('consent-denied');

// 6. A form error shown next to its field; the secret is not sent back.
await page.goto(`${origin}/connectors/oauth-test-server/new?method=code_confidential`);
await page.fill('#instance-name', 'confidential');
await page.fill('#field-base', 'ftp://127.0.0.1/');
await page.fill('#field-client_id', 'code-confidential');
await page.fill('#field-client_secret', 'code+secret:1');
await page.getByRole('button', { name: 'Save instance' }).click();
expect((await page.locator('.field-error').count()) >= 2, 'errors next to the name and the URL');
expect((await page.inputValue('#field-client_secret')) === '', 'the secret not sent back');
await shot('form-errors');

expect(violations.length === 0, `no CSP violation: ${violations.join('; ')}`);
const offSite = offLoopback.filter((url) => !url.startsWith('https://fonts.googleapis.com/'));
expect(offSite.length === 0, `no request off loopback but the provider page's web font: ${offSite.join(', ')}`);
await context.close();
console.log(`journey passed: ${step} screenshots in ${SCREENSHOTS}`);
