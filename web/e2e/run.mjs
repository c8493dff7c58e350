// End-to-end: the real server binary with a fresh SQLite database, driven in Debian's
// Chromium by playwright-core (no browser download). Saves a screenshot of every page under
// e2e/screenshots/. Prints "N passed, M failed" last and exits non-zero on any failure.
//
//   npm run build && npm run e2e
//   DE_BINARY=/path/to/digital-enterprise DE_CHROMIUM=/usr/bin/chromium npm run e2e
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..');
const dist = join(web, 'dist');
const binary = resolve(process.env.DE_BINARY ?? join(web, '../build/release/digital-enterprise'));
const chromiumPath = process.env.DE_CHROMIUM ?? '/usr/bin/chromium';
const shots = join(here, 'screenshots');
// The OpenID provider of the SSO scenarios (node-oidc-provider, installed by script/bootstrap).
const oidcDir = resolve(web, '../tests/oidc-npm');
const keepLogs = !!process.env.E2E_KEEP;
const totalBudgetMs = Number(process.env.E2E_TIMEOUT_MS ?? 300000);
const step = 10000; // the longest any single wait may take

const adminPassword = 'e2e-Owner-passphrase-1';
const viewerPassword = 'e2e-Reader-passphrase-1';
const operatorPassword = 'e2e-Runner-passphrase-1';

let passed = 0;
let failed = 0;
let server = null;
let provider = null;
let context = null;
let work = null;
const log = (line) => console.log(line);

async function stopServer() {
  if (provider && provider.exitCode === null && !provider.signalCode) provider.kill('SIGTERM');
  if (!server || server.exitCode !== null || server.signalCode) return;
  const exited = new Promise((ok) => server.once('exit', ok));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
  await Promise.race([exited, new Promise((ok) => setTimeout(ok, 6000))]);
  clearTimeout(timer);
}

function finish(code) {
  log(`${passed} passed, ${failed} failed`);
  process.exit(code ?? (failed ? 1 : 0));
}

// Never hang: the whole run has a budget; past it everything is torn down.
const watchdog = setTimeout(async () => {
  log(`FAIL the run took longer than ${totalBudgetMs / 1000} s and was stopped`);
  failed++;
  await context?.close().catch(() => {});
  await stopServer();
  finish(1);
}, totalBudgetMs);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, async () => {
    await stopServer();
    process.exit(130);
  });
process.on('exit', () => {
  if (provider && provider.exitCode === null && !provider.signalCode) provider.kill('SIGKILL');
  if (server && server.exitCode === null && !server.signalCode) server.kill('SIGKILL');
});

async function scenario(name, body) {
  const started = Date.now();
  try {
    await body();
    passed++;
    log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed++;
    log(`FAIL ${name}\n     ${String(error?.message ?? error).split('\n').slice(0, 6).join('\n     ')}`);
  }
}

const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });

function run(args, env, input) {
  const result = spawnSync(binary, args, { env, input, encoding: 'utf8', timeout: 60000 });
  if (result.error) throw new Error(`${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited with ${result.status}: ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

async function waitReady(base) {
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    try {
      const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error('GET /readyz did not answer 200 within 20 s');
}

try {
  if (!existsSync(binary)) throw new Error(`no server binary at ${binary} (build it, or set DE_BINARY)`);
  if (!existsSync(join(dist, 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath} (apt-get install -y chromium, or set DE_CHROMIUM)`);
  mkdirSync(shots, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'de-e2e-'));
  const env = {
    ...process.env,
    DE_DATABASE_URL: `sqlite:${work}/de.db`,
    DE_DATA_DIR: work,
    DE_ADMIN_EMAIL: 'admin@example.com',
    DE_ADMIN_PASSWORD: adminPassword,
    DE_LOG_LEVEL: process.env.DE_LOG_LEVEL ?? 'warn',
    // Webhook retries in seconds, not hours: a failing delivery is dead after three attempts.
    DE_WEBHOOK_RETRY_SCHEDULE: '1s,2s',
    // Its webhook subscriptions point at 127.0.0.1:9, which the outbound guard refuses unless allowed.
    DE_OUTBOUND_ALLOW: '127.0.0.1/32',
  };
  run(['init'], env);
  run(['user', 'create', '--email', 'viewer@example.com', '--username', 'viewer', '--role', 'viewer', '--password-stdin'], env, viewerPassword);
  run(['user', 'create', '--email', 'operator@example.com', '--username', 'operator', '--role', 'operator', '--password-stdin'], env, operatorPassword);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serverLog = join(work, 'server.log');
  const out = openSync(serverLog, 'a');
  if (!existsSync(join(oidcDir, 'node_modules/oidc-provider'))) throw new Error('tests/oidc-npm is not installed: run script/bootstrap');
  {
    const providerPort = await freePort();
    const issuer = `http://127.0.0.1:${providerPort}`;
    const key = spawnSync('node', [join(oidcDir, 'make-key.mjs'), 'e2e-key'], { encoding: 'utf8', timeout: 60000 }).stdout;
    writeFileSync(join(work, 'oidc-keys.json'), `[${key}]`);
    const redirect = `${base}/api/v1/auth/oidc/callback`;
    provider = spawn('node', [join(oidcDir, 'provider.mjs')], {
      env: { ...process.env, OIDC_PORT: String(providerPort), OIDC_CLIENT_ID: 'de-e2e', OIDC_CLIENT_SECRET: 'e2e-client-secret', OIDC_REDIRECT_URI: redirect, OIDC_KEYS: join(work, 'oidc-keys.json'), NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', out, out],
    });
    Object.assign(env, {
      DE_OIDC_ISSUER: issuer, DE_OIDC_CLIENT_ID: 'de-e2e', DE_OIDC_CLIENT_SECRET: 'e2e-client-secret', DE_OIDC_REDIRECT_URI: redirect,
      DE_OIDC_SCOPES: 'openid email profile groups', DE_OIDC_ROLE_MAP: 'admins:admin,sales:operator',
    });
    const deadline = Date.now() + 20000;
    for (;;) {
      if (provider.exitCode !== null) throw new Error(`the OpenID provider exited with ${provider.exitCode}`);
      const ready = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error('the OpenID provider did not start within 20 s');
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  server = spawn(binary, ['serve', '--listen', `127.0.0.1:${port}`, '--web-root', dist], { env, stdio: ['ignore', out, out] });
  await waitReady(base);
  log(`server ready on ${base} (data in ${work})`);

  context = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: { width: 1280, height: 860 },
    timeout: 30000,
  });
  context.setDefaultTimeout(step);
  context.setDefaultNavigationTimeout(15000);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Every page of every tab (the API reference too) under the server's Content-Security-Policy:
  // Chromium reports what the policy blocked on the console.
  const cspViolations = [];
  context.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
      cspViolations.push(`${message.page()?.url() ?? ''}: ${message.text()}`);
  });
  const shot = async (name) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true, timeout: step });
  };
  const nav = () => page.getByRole('navigation', { name: 'Main' });
  const goTo = async (label) => {
    // Exact: "AI" is also in "Campaigns". At phone width the navigation hides behind the menu button.
    const link = nav().getByRole('link', { name: label, exact: true });
    if (!(await link.isVisible())) await page.getByRole('button', { name: 'Menu' }).click();
    await link.click();
  };
  const signIn = async (email, password) => {
    await page.goto(base + '/');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  const agentCard = (name) => page.locator('article.agent', { has: page.getByRole('heading', { name, exact: true }) });
  const api = async (method, path, token, body) => {
    const response = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(step),
    });
    return { status: response.status, body: response.status === 204 ? null : await response.json().catch(() => null) };
  };

  // Some history for the charts and lists: echo tasks that complete, business tasks that the
  // not-yet-implemented agents fail.
  {
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.com', password: adminPassword }),
      signal: AbortSignal.timeout(step),
    });
    if (login.status !== 200) throw new Error(`API login answered ${login.status}`);
    const { access_token: token } = await login.json();
    const titles = ['Welcome email smoke test', 'Nightly data check', 'Webhook round trip', 'Partner sync probe', 'Latency probe'];
    for (const [i, title] of titles.entries()) {
      const r = await api('POST', '/api/v1/tasks', token, { type: 'echo', title, priority: ['normal', 'high', 'low', 'critical', 'normal'][i], input_data: { seq: i } });
      if (r.status !== 201) throw new Error(`seeding a task answered ${r.status}`);
    }
    await api('POST', '/api/v1/tasks', token, { type: 'sales.score_lead', title: 'Score lead: Acme Corp', input_data: { lead: 'acme' }, max_attempts: 1 });
  }

  await scenario('the login page shows a clear message for a wrong password', async () => {
    await page.goto(base + '/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot('login');
    await signIn('admin@example.com', 'not-the-password');
    await page.getByRole('alert').filter({ hasText: 'Invalid email or password' }).waitFor();
    await shot('login-error');
  });

  await scenario('the admin logs in and sees the live dashboard', async () => {
    await signIn('admin@example.com', adminPassword);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.getByText('Success rate').first().waitFor();
    await page.locator('.live-live').waitFor();
    await page.getByText('from the marketing agent').first().waitFor(); // campaign ROI of the demo campaigns
    await page.locator('.recharts-surface').first().waitFor();
    await shot('dashboard');
  });

  await scenario('the agents page shows the three business agents and the echo agent', async () => {
    await goTo('Agents');
    for (const name of ['Product Manager Agent', 'Sales Agent', 'Marketing Agent', 'Echo Agent']) await agentCard(name).waitFor();
    await shot('agents');
  });

  await scenario('the API reference link opens Swagger UI on the server\'s own document, offline', async () => {
    const link = page.getByRole('link', { name: 'API reference' });
    if (!(await link.isVisible())) await page.getByRole('button', { name: 'Menu' }).click();
    const requests = [];
    const record = (request) => requests.push(request.url());
    context.on('request', record); // every page's, from the first request of the new tab
    const [docs] = await Promise.all([context.waitForEvent('page'), link.click()]);
    docs.on('pageerror', (error) => pageErrors.push(`API reference: ${error.message}`));
    try {
      await docs.waitForURL(`${base}/api/docs`);
      await docs.getByRole('heading', { name: /Digital Enterprise API/ }).waitFor();
      await docs.getByText('listAgents', { exact: true }).first().waitFor(); // operation ids shown
      await docs.getByRole('button', { name: /Authorize/ }).waitFor();
      // every tag of the document is drawn (swagger-ui-dist 5.33 to 5.35 drew the first two or three)
      const document = await (await fetch(`${base}/api/v1/openapi.json`)).json();
      const tags = new Set(Object.values(document.paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags ?? [])));
      await docs.getByText('resolveSyncConflict', { exact: true }).first().waitFor(); // the last operation
      const drawn = await docs.locator('.opblock-tag').count();
      if (drawn !== tags.size) throw new Error(`the API reference draws ${drawn} of ${tags.size} tags`);
      const elsewhere = requests.filter((url) => !url.startsWith(base) && !url.startsWith('data:'));
      if (elsewhere.length) throw new Error(`the API reference fetched from elsewhere: ${elsewhere.join(', ')}`);
      await docs.screenshot({ path: join(shots, 'api-reference.png'), timeout: step });
    } finally {
      context.off('request', record);
      await docs.close();
    }
  });

  await scenario('an echo task runs and completes live, without reloading', async () => {
    await page.evaluate(() => {
      window.__e2eMarker = 'same page';
    });
    await agentCard('Echo Agent').getByRole('button', { name: 'Give a task' }).click();
    const panel = page.locator('section.give-task');
    await panel.getByLabel('Task type').selectOption('echo');
    await panel.getByLabel('Input (JSON)').fill('{"greeting": "hello from the browser", "n": 42}');
    await panel.getByRole('button', { name: 'Run task' }).click();
    const run = panel.locator('.task-run').first();
    await run.locator('.badge-completed').waitFor();
    await run.getByLabel('Task output').getByText('hello from the browser').waitFor();
    if ((await page.evaluate(() => window.__e2eMarker)) !== 'same page') throw new Error('the page reloaded');
    await shot('agent-task');
  });

  await scenario('invalid JSON input is caught before sending', async () => {
    const panel = page.locator('section.give-task');
    await panel.getByLabel('Input (JSON)').fill('{"greeting": ');
    await panel.getByText('Not valid JSON').waitFor();
    if (await panel.getByRole('button', { name: 'Run task' }).isEnabled()) throw new Error('Run task stays enabled with invalid JSON');
    await panel.getByRole('button', { name: 'Close the task form' }).click();
  });

  await scenario('pausing an agent changes its status to paused, and start brings it back', async () => {
    const card = agentCard('Sales Agent');
    await card.getByRole('button', { name: 'Pause Sales Agent' }).click();
    await card.locator('.badge-paused').waitFor();
    await card.getByRole('button', { name: 'Start Sales Agent' }).click();
    await card.locator('.badge-idle').waitFor();
  });

  await scenario('the tasks list filters by status and opens a task detail with its output', async () => {
    await goTo('Tasks');
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    await page.getByLabel('Status').selectOption('completed');
    await page.waitForURL(/status=completed/);
    // The previous rows stay (dimmed, aria-busy) until the filtered page arrives: wait for it.
    const filtered = () => {
      const badges = [...document.querySelectorAll('tbody tr .badge')].map((b) => b.textContent.trim());
      const busy = document.querySelector('.table-card')?.getAttribute('aria-busy') !== 'false';
      return !busy && badges.length > 0 && badges.every((s) => s === 'completed');
    };
    await page.waitForFunction(filtered, null, { timeout: step }).catch(async () => {
      const statuses = await page.locator('tbody tr .badge').allTextContents();
      throw new Error(`the filter let through: ${statuses.join(', ')}`);
    });
    await shot('tasks');
    await page.locator('tbody a').first().click();
    await page.getByRole('heading', { name: 'Output' }).waitFor();
    await page.getByLabel('Task output').getByText('hello from the browser').waitFor();
    await page.getByText('Attempts', { exact: true }).waitFor();
    await shot('task-detail');
  });

  await scenario('an expired access token is refreshed without the user noticing', async () => {
    // Spoil the access token and reload: the first API call gets 401, the client refreshes
    // once with its HttpOnly cookie and carries on; the live socket reconnects with the new token.
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem('de.session'));
      session.access_token = 'spoiled.' + session.access_token.slice(8);
      sessionStorage.setItem('de.session', JSON.stringify(session));
    });
    const refreshCookie = async () => (await context.cookies(base + '/api/v1/auth/refresh')).find((c) => c.name === 'de_refresh');
    const before = await refreshCookie();
    if (!before?.httpOnly || before.sameSite !== 'Strict' || before.path !== '/api/v1/auth') throw new Error(`the refresh cookie is ${JSON.stringify(before)}`);
    if ((await context.cookies(base + '/agents')).some((c) => c.name === 'de_refresh')) throw new Error('the refresh cookie is sent beyond the auth routes');
    await page.goto(base + '/agents');
    await agentCard('Echo Agent').waitFor();
    await page.locator('.live-live').waitFor({ timeout: 15000 });
    const after = await refreshCookie();
    if (!after || after.value === before.value) throw new Error('the refresh token was not rotated');
    if (await page.getByRole('heading', { name: 'Sign in' }).count()) throw new Error('the user was sent to the login page');
    const readable = await page.evaluate(() => `${document.cookie} ${sessionStorage.getItem('de.session')} ${JSON.stringify(localStorage)}`);
    if (readable.includes(after.value)) throw new Error('a script can read the refresh token');
  });

  await scenario('a second tab opens signed in, and so does a reload', async () => {
    const tab = await context.newPage();
    tab.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await tab.goto(base + '/tasks');
      await tab.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
      await tab.reload();
      await tab.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
      if (await tab.getByRole('heading', { name: 'Sign in' }).count()) throw new Error('the second tab asked to sign in');
    } finally {
      await tab.close();
    }
  });

  await scenario('without the live socket, the page says so and keeps up by polling every 5 s', async () => {
    // A second tab whose /ws/notifications is refused: the indicator shows Reconnecting and a
    // task given meanwhile still reaches "completed" on screen, through polling.
    const tab = await context.newPage();
    tab.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await tab.routeWebSocket(/\/ws\/notifications/, (ws) => ws.close({ code: 1011, reason: 'refused by the test' }));
      await tab.goto(base + '/agents');
      await tab.locator('.live-reconnecting').waitFor();
      const card = tab.locator('article.agent', { has: tab.getByRole('heading', { name: 'Echo Agent', exact: true }) });
      await card.getByRole('button', { name: 'Give a task' }).click();
      const panel = tab.locator('section.give-task');
      await panel.getByLabel('Input (JSON)').fill('{"polled": true}');
      await panel.getByRole('button', { name: 'Run task' }).click();
      await panel.locator('.task-run .badge-completed').waitFor({ timeout: 12000 });
      await tab.locator('.live-reconnecting').waitFor();
      await tab.screenshot({ path: join(shots, 'agents-polling.png'), timeout: step });
    } finally {
      await tab.close();
    }
  });

  await scenario('the workflow visualizer draws a workflow, and a run lights up its steps live', async () => {
    await goTo('Workflows');
    await page.getByRole('heading', { name: 'Workflows', level: 1 }).waitFor();
    await page.locator('.react-flow__node').first().waitFor();
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('de.session')).access_token);
    const list = await api('GET', '/api/v1/workflows?limit=100', token);
    if (list.status === 404) {
      log('     (the server has no workflow API: checking the built-in example only)');
      await page.getByText('not available on this server yet').waitFor();
      await page.locator('.react-flow__node', { hasText: 'condition' }).first().click();
      await page.getByRole('heading', { name: 'Step c' }).waitFor();
      await shot('workflows');
      return;
    }
    const active = list.body.items.find((w) => w.status === 'active' && w.definition.steps.every((s) => s.type !== 'approval' && s.type !== 'delay'));
    await page.locator('.react-flow__node').first().click();
    await page.getByRole('heading', { name: /^Step / }).waitFor();
    if (!active) {
      log('     (no active workflow to run: drawing only)');
      await shot('workflows');
      return;
    }
    await page.getByLabel('Workflow', { exact: true }).selectOption(active.id);
    await page.getByRole('button', { name: 'Run…' }).click();
    await page.getByLabel('Input (JSON)').fill('{"company": "Acme", "value": 25000}');
    await page.getByRole('button', { name: 'Run workflow' }).click();
    await page.locator('.execution .badge-completed').waitFor({ timeout: 15000 });
    await page.locator('.react-flow__node .st-completed').first().waitFor();
    await shot('workflows');
  });

  await scenario('a workflow is created in the editor, with validation in place', async () => {
    await goTo('Workflows');
    await page.getByRole('heading', { name: 'Workflows', level: 1 }).waitFor();
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('de.session')).access_token);
    if ((await api('GET', '/api/v1/workflows?limit=1', token)).status === 404) {
      log('     (the server has no workflow API: nothing to edit)');
      if (await page.getByRole('button', { name: 'New workflow' }).count()) throw new Error('New workflow is offered without a workflow API');
      return;
    }
    await page.getByRole('button', { name: 'New workflow', exact: true }).click();
    const editor = page.getByRole('form', { name: 'New workflow' });
    await editor.getByLabel('Name', { exact: true }).fill('E2E approval flow');
    // A new workflow starts with one echo task, "start". Add an approval after it…
    await page.getByLabel('Add a step', { exact: true }).selectOption('approval');
    await page.getByRole('heading', { name: 'Step approval1' }).waitFor();
    await page.getByLabel('From', { exact: true }).selectOption('start');
    await page.getByLabel('To', { exact: true }).selectOption('approval1');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.locator('.react-flow__edge[aria-label="Edge from start to approval1"]').waitFor({ state: 'attached' });
    // …and a condition after the approval, with an expression the server refuses.
    await page.getByLabel('Add a step', { exact: true }).selectOption('condition');
    await page.getByRole('heading', { name: 'Step condition1' }).waitFor();
    await page.getByRole('group', { name: 'Runs after' }).getByRole('checkbox', { name: 'approval1' }).check();
    const expression = page.getByLabel('Expression', { exact: true });
    await expression.fill('1 +');
    await editor.getByRole('button', { name: 'Save', exact: true }).click();
    // The 422 lands in place: on the condition's node and next to its Expression field.
    const node = page.locator('.react-flow__node', { hasText: 'condition1' });
    await node.locator('.field-error', { hasText: 'expression' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    if ((await expression.getAttribute('aria-invalid')) !== 'true') throw new Error('the Expression field is not marked invalid');
    const describedBy = await expression.getAttribute('aria-describedby');
    const message = (await page.locator(`[id="${describedBy}"]`).textContent()) ?? '';
    if (!message.includes('1 +') || !(await page.locator(`[id="${describedBy}"]`).evaluate((e) => e.classList.contains('field-error'))))
      throw new Error(`the Expression field is not described by the server's message: "${message}"`);
    if (!/problem/.test((await node.getAttribute('aria-label')) ?? '')) throw new Error('the node does not say it has a problem');
    await shot('workflow-editor');
    // Fix it, make it active, save: back to the visualizer with the new workflow selected.
    await expression.fill('input.amount > 100');
    if (await node.locator('.field-error').count()) throw new Error('the old message stays after the expression changed');
    await page.getByLabel('Status', { exact: true }).selectOption('active');
    await editor.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'E2E approval flow' }).waitFor();
    const chosen = await page.getByLabel('Workflow', { exact: true }).evaluate((s) => s.selectedOptions[0]?.textContent);
    if (chosen !== 'E2E approval flow (active)') throw new Error(`the saved workflow is not selected: ${chosen}`);
    // Run it: the approval waits, is approved in the execution panel, the execution completes.
    await page.getByRole('button', { name: 'Run…' }).click();
    await page.getByLabel('Input (JSON)', { exact: true }).fill('{"amount": 250}');
    await page.getByRole('button', { name: 'Run workflow' }).click();
    const execution = page.locator('.execution');
    await execution.getByText('waits for approval').waitFor({ timeout: 15000 });
    await page.locator('.react-flow__node', { hasText: 'approval1' }).locator('.badge-waiting').waitFor();
    await execution.getByRole('button', { name: 'Approve', exact: true }).click();
    await execution.locator('dd .badge-completed').waitFor({ timeout: 15000 });
    await page.locator('.react-flow__node', { hasText: 'condition1' }).locator('.badge-completed').waitFor();
    await shot('workflow-approved');
    // Edit it again: the editor opens with the saved definition.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByRole('form', { name: 'Edit workflow' }).getByLabel('Name', { exact: true }).waitFor();
    const json = await page.getByLabel('JSON (docs/workflows.md)').inputValue();
    if (!json.includes('"expression": "input.amount > 100"')) throw new Error('the editor did not load the saved definition');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByLabel('Workflow', { exact: true }).waitFor();
  });

  await scenario('the admin adds a user, changes their roles and deactivates them', async () => {
    await goTo('Users');
    await page.getByText('viewer@example.com').waitFor();
    await page.getByRole('button', { name: 'New user' }).click();
    const form = page.getByRole('form', { name: 'New user' });
    await form.getByLabel('Email').fill('analyst@example.com');
    await form.getByLabel('Password').fill('numbers-person-passphrase-1');
    await form.getByRole('checkbox', { name: /^operator/ }).check();
    await form.getByRole('button', { name: 'Add user' }).click();
    const row = page.getByRole('row', { name: /analyst@example\.com/ });
    await row.getByText('operator', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Change the roles of analyst@example.com' }).click();
    await row.getByRole('checkbox', { name: 'operator' }).uncheck();
    await row.getByRole('button', { name: 'Save roles' }).click();
    await page.getByText('The roles of analyst@example.com were saved.').waitFor();
    if (await row.getByText('operator', { exact: true }).count()) throw new Error('the operator role is still shown');
    await page.getByRole('button', { name: 'Deactivate analyst@example.com' }).click();
    await page.getByRole('group', { name: 'Deactivate analyst@example.com?' }).getByRole('button', { name: 'Deactivate' }).click();
    await row.locator('.badge-inactive').waitFor();
    await shot('users');
  });

  await scenario('the admin creates an API key that is shown once', async () => {
    await goTo('API keys');
    await page.getByLabel('Name').fill('e2e-key');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByLabel('The new API key');
    await secret.waitFor();
    const key = (await secret.textContent()).trim();
    if (!key.startsWith('de_')) throw new Error(`unexpected key: ${key}`);
    await page.getByRole('button', { name: 'Copy key' }).waitFor();
    await page.getByRole('cell', { name: 'e2e-key', exact: true }).waitFor();
    await shot('api-keys');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    if (await page.getByText(key).count()) throw new Error('the key is still shown');
  });

  await scenario('the admin reads the audit log: the key just made, filtered to API keys, with its details; and exports it', async () => {
    await goTo('Audit log');
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByLabel('Action').selectOption({ label: 'API keys' });
    const signIns = page.getByRole('row').filter({ hasText: 'auth.login' });
    await signIns.first().waitFor(); // the whole log first: the admin's own sign-in
    await page.getByRole('button', { name: 'Apply' }).click();
    await signIns.first().waitFor({ state: 'detached' });
    const created = page.getByRole('row').filter({ hasText: 'api_keys.created' }).first();
    await created.getByText('admin@example.com').waitFor();
    await created.getByRole('button', { name: /^Details of api_keys.created/ }).click();
    await page.getByText('"e2e-key"').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON lines' }).click()]);
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    if (!lines.length || lines.some((e) => !e.action.startsWith('api_keys.'))) throw new Error('the export is not the filtered entries');
    if (!lines.some((e) => e.details?.name === 'e2e-key')) throw new Error('the export lacks the new key');
    await shot('audit-log');
  });

  await scenario('a webhook subscription: the secret shown once, deliveries that fail, retry and die, redelivered, paused, deleted', async () => {
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('de.session')).access_token);
    const url = 'http://127.0.0.1:9/x'; // the discard port: nothing listens, every attempt fails
    await goTo('Integrations');
    await page.getByRole('tab', { name: 'Webhook subscriptions', selected: true }).waitFor();
    const form = page.getByRole('form', { name: 'New subscription' });
    await form.getByLabel('URL').fill('not a url');
    await form.getByLabel('Topics').fill('tasks.*');
    await form.getByRole('button', { name: 'Subscribe' }).click();
    await form.getByText('must be an http:// or https:// URL with a host', { exact: true }).waitFor();
    await form.getByLabel('URL').fill(url);
    await form.getByLabel(/^Description/).fill('e2e: a receiver that is not there');
    await form.getByRole('button', { name: 'Subscribe' }).click();
    const secretBox = page.getByLabel('The signing secret', { exact: true });
    await secretBox.waitFor();
    const secret = (await secretBox.textContent()).trim();
    if (!/^whsec_[A-Za-z0-9+/=]+$/.test(secret)) throw new Error(`unexpected secret: ${secret}`);
    await page.getByRole('button', { name: 'Copy secret' }).waitFor();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    if (await page.getByText(secret).count()) throw new Error('the secret is still shown');
    const listed = await api('GET', '/api/v1/webhook-subscriptions', token);
    if (JSON.stringify(listed.body).includes(secret)) throw new Error('the list answer holds the secret');

    // An event of its topics: the delivery fails, is retried, and dies after the third attempt.
    const task = await api('POST', '/api/v1/tasks', token, { type: 'echo', title: 'Webhook e2e', input_data: {} });
    if (task.status !== 201) throw new Error(`creating a task answered ${task.status}`);
    await page.getByRole('button', { name: `Deliveries of ${url}` }).click();
    const log = page.getByRole('region', { name: `Deliveries of ${url}` });
    const created = log.getByRole('row', { name: /tasks\.created/ });
    await created.waitFor();
    await created.getByText('no answer', { exact: true }).waitFor();
    await log.getByLabel('Show').selectOption('dead');
    const dead = log.getByRole('row', { name: /tasks\.created/ });
    for (let i = 0; i < 20 && !(await dead.count()); i++) {
      await page.waitForTimeout(500);
      await log.getByRole('button', { name: 'Refresh' }).click();
    }
    await dead.getByText('dead', { exact: true }).waitFor();
    await dead.getByRole('cell', { name: '3', exact: true }).waitFor();
    await shot('integrations-webhooks');
    await dead.getByRole('button', { name: /^Redeliver/ }).click();
    await dead.getByText('retrying', { exact: true }).waitFor();

    await page.getByRole('button', { name: `Pause ${url}` }).click();
    await page.getByRole('button', { name: `Resume ${url}` }).waitFor();
    await page.getByRole('row', { name: /127\.0\.0\.1:9/ }).first().getByText('paused', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Delete ${url}` }).click();
    await page.getByRole('group', { name: `Delete ${url}?` }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No webhook subscriptions yet').waitFor();
    const after = await api('GET', '/api/v1/webhook-subscriptions', token);
    if (after.body.items.length) throw new Error('the subscription is still there');
    await page.getByRole('tab', { name: 'Connected integrations' }).click();
    await page.getByRole('tabpanel', { name: 'Connected integrations' }).locator('.notice, .card, .state').first().waitFor();
  });

  await scenario('the AI page: providers, usage, a prompt created (a 422 in place), previewed, run and versioned', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await goTo('AI');
    await page.getByRole('heading', { name: 'AI', level: 1 }).waitFor();
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('de.session')).access_token);
    // /ai/providers and /ai/chat came after prompts and usage: an older binary answers 404.
    const hasProviders = (await api('GET', '/api/v1/ai/providers', token)).status !== 404;
    const hasChat = (await api('POST', '/api/v1/ai/chat', token, {})).status !== 404;
    if (hasProviders) {
      const offline = page.getByRole('article', { name: 'Offline (built in)' });
      await offline.getByText('configured', { exact: true }).waitFor();
      await offline.getByText('circuit closed').waitFor();
      if (await offline.getByRole('button').count()) throw new Error('the offline provider offers key controls');
      await page.getByRole('list', { name: 'Fallback order' }).waitFor();
      await page.getByRole('button', { name: 'Set the API key of Anthropic' }).waitFor();
    } else {
      log('     (the server has no /api/v1/ai/providers yet: checking its notice only)');
      await page.getByText('Provider status is not available on this server yet').waitFor();
    }
    await shot('ai-providers');

    await page.getByRole('tab', { name: 'Prompt templates' }).click();
    await page.getByRole('button', { name: 'New prompt' }).click();
    const form = page.getByRole('form', { name: 'New prompt' });
    await form.getByLabel('Name', { exact: true }).fill('e2e.lead-summary');
    await form.getByLabel('Description').fill('A short summary of a lead, for the sales team');
    await form.getByLabel('Template', { exact: true }).fill('Summarise the lead {{company}}.\nBudget: {{budget}} USD.\nUrgent: {{urgent}}.');
    await form.getByRole('button', { name: /^Declare/ }).click();
    await form.getByLabel('Type of variable 2', { exact: true }).selectOption('number');
    await form.getByLabel('Type of variable 3', { exact: true }).selectOption('boolean');
    // A variable the template never uses: the server's 422 lands next to the variables.
    await form.getByRole('button', { name: 'Add a variable' }).click();
    await form.getByLabel('Name of variable 4', { exact: true }).fill('region');
    await form.getByRole('button', { name: 'Create prompt' }).click();
    await form.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    const variables = form.getByRole('group', { name: 'Variables' });
    const describedBy = await variables.getAttribute('aria-describedby');
    const message = (await page.locator(`[id="${describedBy}"]`).textContent()) ?? '';
    if (!message.includes('region')) throw new Error(`the variables are not described by the server's message: "${message}"`);
    await shot('ai-prompt-invalid');
    await form.getByRole('button', { name: 'Remove variable 4 (region)' }).click();
    await form.getByRole('button', { name: 'Create prompt' }).click();
    await page.getByRole('heading', { name: 'e2e.lead-summary', level: 2 }).waitFor();

    // Test run: typed inputs, a preview, then the model (the offline provider with no key).
    await page.getByLabel(/^company/).fill('Acme Corp');
    await page.getByLabel(/^budget/).fill('25000');
    await page.getByRole('checkbox', { name: /urgent/ }).check();
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const rendered = page.getByLabel('Rendered prompt');
    await rendered.getByText('Budget: 25000 USD.').waitFor();
    if (!(await rendered.textContent()).includes('Summarise the lead Acme Corp.\nBudget: 25000 USD.\nUrgent: true.')) throw new Error(`unexpected preview: ${await rendered.textContent()}`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    if (hasChat) {
      const answer = page.getByRole('region', { name: 'Answer' });
      await answer.getByLabel("The model's answer").waitFor({ timeout: 15000 });
      await answer.getByText('Provider', { exact: true }).waitFor();
      for (const label of ['Model', 'Tokens in', 'Tokens out', 'Cost', 'Latency']) await answer.getByText(label, { exact: true }).waitFor();
    } else {
      log('     (the server has no /api/v1/ai/chat yet: Run says so)');
      await page.getByRole('alert').filter({ hasText: 'Running a prompt is not available on this server yet' }).waitFor();
    }
    await shot('ai-prompt');

    // A second version, made active: the diff shows what changed.
    await page.getByRole('button', { name: 'New version', exact: true }).click();
    const versionForm = page.getByRole('form', { name: 'New version of e2e.lead-summary' });
    await versionForm.getByLabel('Template', { exact: true }).fill('Summarise the lead {{company}} in two sentences.\nBudget: {{budget}} USD.\nUrgent: {{urgent}}.');
    await versionForm.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Version 2 saved and active.').waitFor();
    const diff = page.getByRole('list', { name: 'Template changes from version 1 to version 2' });
    await diff.locator('.diff-added', { hasText: 'in two sentences' }).waitFor();
    await diff.locator('.diff-removed', { hasText: 'Summarise the lead {{company}}.' }).waitFor();
    await shot('ai-prompt-diff');

    // The run shows in the usage: totals, the chart (not a Tab stop) and the tables.
    await page.getByRole('tab', { name: 'Usage' }).click();
    const totals = page.getByRole('group', { name: 'Totals, last 7 days' });
    await totals.waitFor();
    if (hasChat) {
      await page.getByRole('table', { name: 'By model' }).getByText('offline-1').waitFor();
      await page.getByRole('table', { name: 'By agent' }).getByText('no agent').waitFor();
    }
    await page.locator('.chart .recharts-surface').waitFor();
    const tabStops = await page.locator('.chart').evaluate((chart) => [...chart.querySelectorAll('[tabindex]')].filter((el) => el.tabIndex >= 0).length);
    if (tabStops) throw new Error(`the usage chart has ${tabStops} Tab stop(s)`);
    await shot('ai-usage');
    await page.getByRole('tab', { name: 'Prompt templates' }).click();
    await page.getByRole('heading', { name: 'e2e.lead-summary', level: 2 }).waitFor();

    // Phone width: nothing wider than the screen on any tab.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [tab, name] of [['Prompt templates', 'ai-prompt-phone'], ['Usage', 'ai-usage-phone'], ['Providers', 'ai-providers-phone']]) {
      await page.getByRole('tab', { name: tab }).click();
      await page.getByRole('tabpanel', { name: tab }).waitFor();
      await page.waitForTimeout(300); // the chart measures its container
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) throw new Error(`the ${tab} tab is ${overflow} px wider than the screen`);
      await shot(name);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await scenario('an assistant run waits for a tool approval, is approved in its trace and completes live', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('de.session')).access_token);
    const agent = await api('POST', '/api/v1/agents', token, { name: 'E2E Assistant', type: 'assistant', config: { tools: [{ name: 'echo', requires_approval: true }] } });
    if (agent.status !== 201) throw new Error(`creating the assistant answered ${agent.status}`);
    const task = await api('POST', '/api/v1/tasks', token, {
      type: 'assistant.run',
      title: 'E2E refund check',
      assigned_agent: agent.body.id,
      input_data: { prompt: 'Echo this: {"refund": 120}' },
      timeout_ms: 600000,
    });
    if (task.status !== 201) throw new Error(`submitting the run answered ${task.status}`);
    const noOverflow = async (what) => {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) throw new Error(`${what} is ${overflow} px wider than the screen`);
    };
    const trace = page.getByRole('list', { name: 'Steps of the run' });

    // The task page shows the run waiting for a person.
    await page.goto(`${base}/tasks/${task.body.id}`);
    await trace.locator('.trace-approval').getByText('waiting', { exact: true }).waitFor();
    await trace.locator('.trace-model').first().getByText('offline · offline-1').waitFor();

    // The AI page lists it with its arguments and the way to decide.
    await goTo('AI');
    await page.getByRole('tab', { name: 'Tool approvals' }).click();
    const waiting = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'echo for E2E Assistant' }) });
    await waiting.getByText('"refund": 120').waitFor();
    await waiting.getByRole('button', { name: 'Approve' }).waitFor();
    await shot('ai-tool-approvals');
    await page.setViewportSize({ width: 390, height: 844 });
    await noOverflow('the tool approvals tab');
    await shot('ai-tool-approvals-phone');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Back to the task (no reload): the trace, replayed, still waits; approve it there.
    await waiting.getByRole('link', { name: /^Task / }).click();
    await page.evaluate(() => {
      window.__e2eMarker = 'same page';
    });
    const approvalStep = trace.locator('.trace-approval');
    await approvalStep.getByRole('button', { name: 'Approve' }).waitFor();
    await shot('assistant-trace-waiting');
    await approvalStep.getByLabel('Comment on the decision about echo').fill('fine for this customer');
    await approvalStep.getByRole('button', { name: 'Approve' }).click();

    // The tool's result and the final answer arrive live.
    const toolStep = trace.locator('.trace-tool');
    await toolStep.getByText('completed', { exact: true }).waitFor();
    await toolStep.getByText('Approved by admin@example.com: “fine for this customer”').waitFor();
    const end = trace.locator('.trace-end');
    await end.getByText('answered', { exact: true }).waitFor();
    await end.getByText('refund: 120').waitFor();
    if ((await page.evaluate(() => window.__e2eMarker)) !== 'same page') throw new Error('the page reloaded');
    await noOverflow('the task page');
    await shot('assistant-trace');
    await page.setViewportSize({ width: 390, height: 844 });
    await noOverflow('the task page at phone width');
    await shot('assistant-trace-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await scenario('the pipeline page shows the demo forecast; deals move by keyboard and by drag', async () => {
    await goTo('Pipeline');
    await page.getByRole('heading', { name: 'Pipeline', level: 1 }).waitFor();
    await page.getByText('$2,750,982').waitFor();
    await page.locator('.recharts-surface').first().waitFor();
    await shot('pipeline');
    const prospecting = () => page.getByRole('region', { name: 'Prospecting' }).getByRole('article');
    const cardNamed = (name) => prospecting().filter({ hasText: name }).first();
    const nameOf = async (card) => (await card.locator('.deal-name').textContent()).trim();
    const byKeyboard = await nameOf(prospecting().first());
    await cardNamed(byKeyboard).focus();
    await page.keyboard.press('Alt+ArrowRight');
    await page.getByRole('status').filter({ hasText: `Moved ${byKeyboard} to Engaging.` }).waitFor();
    // The board redraws after the move: the card dragged next is named, not "the first one".
    await cardNamed(byKeyboard).waitFor({ state: 'detached' });
    const byDrag = await nameOf(prospecting().first());
    // The browser's own drag events with one DataTransfer, as a drag from the card to the column makes.
    const won = page.getByRole('region', { name: 'Won' });
    const dataTransfer = await page.evaluateHandle(() => new DataTransfer());
    await cardNamed(byDrag).dispatchEvent('dragstart', { dataTransfer });
    await won.dispatchEvent('dragover', { dataTransfer });
    await won.dispatchEvent('drop', { dataTransfer });
    await page.getByRole('status').filter({ hasText: `Moved ${byDrag} to Won.` }).waitFor();
    await page.getByRole('region', { name: 'Won' }).getByText('4239 closed').waitFor();
  });

  await scenario('the campaigns page shows ROI per campaign; the optimiser explains its split and applies it', async () => {
    await goTo('Campaigns');
    await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
    const byCampaign = page.getByRole('table', { name: 'By campaign' });
    await byCampaign.getByRole('row', { name: /Facebook 1178 \(women\)/ }).waitFor();
    await page.getByRole('table', { name: 'By channel' }).getByRole('row', { name: /facebook/ }).waitFor();
    await page.locator('.recharts-surface').first().waitFor();
    await page.getByRole('button', { name: 'Chart Facebook 936 (men)' }).click();
    await page.getByRole('heading', { name: 'Spend and conversions: Facebook 936 (men)' }).waitFor();
    await page.getByRole('button', { name: 'Suggest a split' }).click();
    await page.getByText(/is expected to bring [0-9.,]+ conversions a day \(90% interval/).waitFor();
    await page.getByRole('table', { name: 'Suggested daily budgets' }).getByRole('row').nth(6).waitFor();
    await shot('campaigns');
    await page.getByRole('button', { name: 'Apply: set the budgets' }).click();
    await page.getByRole('status').filter({ hasText: /Applied: [0-9]+ campaign budgets changed\./ }).waitFor();
    // The budgets are the suggested ones now: nothing left to apply.
    await page.getByRole('button', { name: 'Apply: set the budgets' }).waitFor({ state: 'detached' });
  });

  await scenario('leads: a CSV imported, a model trained without a leak, a lead\'s factors charted', async () => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await goTo('Leads');
    await page.getByRole('heading', { name: 'Leads', level: 1 }).waitFor();
    await page.getByLabel('File', { exact: true }).setInputFiles(resolve(web, '../tests/data/bank-sample.csv'));
    await page.getByLabel(/Outcome column/).fill('y');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('4000 imported, 0 updated, 0 rejected').waitFor({ timeout: 30000 });
    await shot('leads-imported');
    await goTo('Lead models');
    await page.getByLabel(/Leave out/).fill('duration');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    const figures = page.getByLabel('Evaluation on the hold-out');
    const deadline = Date.now() + 60000;
    while (!(await figures.isVisible())) {
      if (Date.now() > deadline) throw new Error('the model was not ready within 60 s');
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(500);
    }
    await figures.getByText('ROC-AUC').waitFor();
    await page.getByRole('img', { name: /^Calibration on \d+ held-out leads/ }).waitFor();
    await page.getByRole('img', { name: /^Importance/ }).waitFor();
    await shot('lead-models');
    // A new (open) lead is scored by the active model at once.
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('de.session')).access_token);
    const created = await api('POST', '/api/v1/leads', token, { name: 'E2E prospect', attributes: { age: 30, job: 'student', poutcome: 'success', contact: 'cellular', month: 'mar' } });
    if (created.status !== 201) throw new Error(`creating a lead answered ${created.status}`);
    await goTo('Leads');
    await page.getByRole('button', { name: 'E2E prospect' }).click();
    await page.getByRole('img', { name: /^Score \d+, grade [A-D]\. Raised by poutcome \(success\)/ }).waitFor();
    await shot('lead-factors');
  });

  await scenario('content: a brief written into two checked variants, A/B results entered and analysed', async () => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await goTo('Content');
    await page.getByRole('heading', { name: 'Content', level: 1 }).waitFor();
    await page.getByLabel('Kind').selectOption('social_post');
    await page.getByLabel('Network').selectOption('linkedin');
    await page.getByLabel('Product').fill('Ledgerly');
    await page.getByLabel('Audience').fill('finance teams at small companies');
    await page.getByLabel('Goal').fill('close the books faster');
    await page.getByLabel('Call to action').fill('Book a demo');
    await page.getByLabel(/^Facts/).fill('Bank feeds reconcile themselves every night\nMonth-end close takes 3 days instead of 8');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.getByText('Every variant passed its hard checks.').waitFor({ timeout: 30000 });
    await page.getByRole('heading', { name: 'Variant 2' }).waitFor();
    await page.locator('.variant-body').first().getByText(/Ledgerly/).first().waitFor();
    await shot('content-variants');
    await page.getByText(/not enough data yet/).waitFor();
    const fieldsets = page.locator('.results-form fieldset');
    await fieldsets.nth(0).getByLabel('sends').fill('800');
    await fieldsets.nth(0).getByLabel('conversions').fill('60');
    await fieldsets.nth(1).getByLabel('sends').fill('800');
    await fieldsets.nth(1).getByLabel('conversions').fill('20');
    await page.getByRole('button', { name: 'Add results' }).click();
    await page.getByText('Added to the totals.').waitFor();
    await page.getByText(/^Variant 1 is best with probability/).waitFor();
    await page.getByRole('cell', { name: /^7\.5 % \(/ }).waitFor();
    await shot('content-analysis');
    await page.getByText('Brand voice', { exact: true }).click();
    await page.getByLabel('Words to avoid').fill('synergy, leverage');
    await page.getByRole('button', { name: 'Save brand voice' }).click();
    await page.getByText('Saved: every new piece is written in it.').waitFor();
  });

  await scenario('requirements saved, prioritised and edited; a stakeholder on the grid gets an update draft', async () => {
    await goTo('Requirements');
    await page.getByRole('heading', { name: 'Requirements', level: 1 }).waitFor();
    // The document uploaded as a Markdown file: its text fills the field, its name the title.
    const shop = '# Shop\n\n1. The system must let 20,000 customers check out at the same time.\n2. Store managers could print the monthly sales report.\n3. The checkout page should load fast.\n';
    await page.getByLabel('Or upload a file (.txt, .md)').setInputFiles({ name: 'E2E shop.md', mimeType: 'text/markdown', buffer: Buffer.from(shop) });
    await page.waitForFunction((text) => document.getElementById('req-document').value === text, shop);
    const title = await page.getByLabel('Title').inputValue();
    if (title !== 'E2E shop') throw new Error(`the title from the uploaded file's name is ${JSON.stringify(title)}`);
    await page.getByRole('button', { name: 'Save analysis' }).click();
    const first = page.getByRole('article', { name: 'Requirement R1' });
    await first.getByText(/RICE [\d.]+ · Must/).waitFor();
    await page.getByRole('status').filter({ hasText: '3 requirements' }).waitFor();
    // A person's effort for R2, in place.
    const second = page.getByRole('article', { name: 'Requirement R2' });
    await second.getByRole('button', { name: 'Edit R2' }).click();
    await second.getByLabel('Effort').fill('4');
    await second.getByText(/RICE score with these values/).waitFor();
    await second.getByRole('button', { name: 'Save R2' }).click();
    await second.getByText(/set by a person: effort/).waitFor();
    // New text for R3: re-analysed as version 2, the vague word gone.
    const third = page.getByRole('article', { name: 'Requirement R3' });
    await third.getByRole('button', { name: 'Edit R3' }).click();
    await third.getByLabel('Text').fill('The checkout page shall load within 2 seconds.');
    await third.getByRole('button', { name: 'Save R3' }).click();
    await page.getByRole('option', { name: /^2 \(3 requirements\)/ }).waitFor({ state: 'attached' });
    await page.getByRole('article', { name: 'Requirement R3' }).getByText('Non-functional: performance', { exact: false }).waitFor();
    await shot('requirements-saved');

    await goTo('Stakeholders');
    await page.getByRole('heading', { name: 'Stakeholders', level: 1 }).waitFor();
    const form = page.getByRole('form', { name: 'Add stakeholder' });
    await form.getByLabel('Name').fill('Dana Finance');
    await form.getByLabel('Role').fill('CFO');
    await form.getByLabel('Influence').selectOption('5');
    await form.getByLabel('Interest').selectOption('2');
    await form.getByLabel('Topics').fill('E2E shop');
    await form.getByRole('button', { name: 'Add stakeholder' }).click();
    const satisfied = page.getByRole('region', { name: /Keep satisfied/ });
    await satisfied.getByRole('button', { name: 'Dana Finance' }).waitFor();
    await page.getByRole('table', { name: 'Stakeholders as a table' }).getByRole('row', { name: /Dana Finance.*Keep satisfied/ }).waitFor();
    // By keyboard: Tab to the stakeholder, Enter opens them.
    await satisfied.getByRole('button', { name: 'Dana Finance' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Draft an update' }).click();
    await page.getByRole('status').filter({ hasText: '1 drafted' }).waitFor();
    const draft = page.getByRole('region', { name: 'Stakeholder Dana Finance' }).getByRole('listitem').first();
    await draft.getByText(/changes? in requirements/).first().waitFor({ state: 'attached' });
    await shot('stakeholders');
  });

  await scenario('a waiting task says why: no agent for its type, or a stopped agent with Start', async () => {
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('de.session')).access_token);
    const typo = await api('POST', '/api/v1/tasks', token, { type: 'no.such.type', title: 'A typo in the type' });
    if (typo.body?.warnings?.[0]?.code !== 'no_capable_agent') throw new Error(`no warning: ${JSON.stringify(typo.body)}`);
    await page.goto(`${base}/tasks/${typo.body.id}`);
    await page.getByText('No agent can run this type.').waitFor();
    await shot('task-no-agent');
    await goTo('Dashboard');
    await page.getByRole('heading', { name: 'Waiting with no agent to run them' }).waitFor();
    await page.getByRole('link', { name: 'no.such.type' }).waitFor();
    // A chart is one labelled figure, not a Tab stop named by its axis labels.
    const tabbable = await page.evaluate(() => [...document.querySelectorAll('.chart *')].filter((e) => e.tabIndex >= 0 && !e.closest('[aria-hidden="true"]')).length);
    if (tabbable) throw new Error(`${tabbable} chart parts are Tab stops`);
    const agents = await api('GET', '/api/v1/agents?limit=100', token);
    const marketing = agents.body.items.find((a) => a.name === 'Marketing Agent');
    await api('POST', `/api/v1/agents/${marketing.id}/stop`, token);
    const waiting = await api('POST', '/api/v1/tasks', token, { type: 'echo', title: 'For a stopped agent', assigned_agent: marketing.id });
    await page.goto(`${base}/tasks/${waiting.body.id}`);
    await page.getByText('The agent is stopped: start it.').waitFor();
    await page.getByRole('button', { name: 'Start the agent' }).click();
    await page.getByText('The agent is stopped: start it.').waitFor({ state: 'detached' });
    await api('POST', `/api/v1/tasks/${typo.body.id}/cancel`, token);
  });

  await scenario('a finished execution shows what each step did; an approval keeps who, when and why', async () => {
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('de.session')).access_token);
    const definition = { trigger: { type: 'manual' }, steps: [{ id: 'receive', type: 'task', task_type: 'echo', input: { v: '{{input.v}}' } }, { id: 'sign_off', type: 'approval', role: 'manager', depends_on: ['receive'], message: 'Send it?' }] };
    const w = await api('POST', '/api/v1/workflows', token, { name: 'Step details e2e', status: 'active', definition });
    await page.goto(`${base}/workflows?workflow=${w.body.id}`);
    await page.getByRole('button', { name: /^Run/ }).click();
    const focused = await page.evaluate(() => document.activeElement?.id);
    if (focused !== 'run-input') throw new Error(`Run… left the focus on ${focused}`);
    await page.getByLabel('Input (JSON)').fill('{"v": 7}');
    await page.getByRole('button', { name: 'Run workflow' }).click();
    const panel = page.locator('.execution');
    await panel.getByPlaceholder('Comment (optional)').fill('checked the numbers');
    await panel.getByRole('button', { name: 'Approve' }).click();
    await panel.locator('.badge-completed').first().waitFor();
    await page.getByRole('list', { name: 'Steps' }).getByRole('button', { name: /^receive/ }).click();
    const did = page.getByLabel('What step receive did');
    await did.getByLabel('Output of step receive').getByText('"v": 7').waitFor();
    await did.getByRole('link').waitFor();
    await page.getByRole('list', { name: 'Steps' }).getByRole('button', { name: /^sign_off/ }).click();
    await page.getByText(/Approved by admin@example.com on/).waitFor();
    await page.getByText('checked the numbers').first().waitFor();
    await shot('workflow-step-run');
  });

  await scenario('long names wrap or are cut with …: no page is wider than the screen at 1280 or 390 px', async () => {
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('de.session')).access_token);
    const long = (n, word = 'Supercalifragilistic') => (word.repeat(Math.ceil(n / word.length)) + 'x'.repeat(n)).slice(0, n);
    // Through the forms: the longest each allows.
    await goTo('API keys');
    await page.getByLabel('Name').fill(long(100));
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await goTo('Tasks');
    await page.getByRole('button', { name: 'New task' }).click();
    await page.getByLabel('Task type').fill('echo');
    await page.getByLabel(/^Title/).fill(long(200));
    await page.getByRole('button', { name: 'Create task' }).click();
    await page.getByRole('heading', { name: 'Output' }).waitFor();
    const longTask = page.url();
    // Through the API where there is no form for it.
    const w = await api('POST', '/api/v1/workflows', token, { name: long(200), status: 'active', definition: { trigger: { type: 'manual' }, steps: [{ id: long(60, 'step_'), type: 'delay', seconds: 0 }] } });
    if (w.status !== 201) throw new Error(`the long workflow answered ${w.status}`);
    const hookUrl = `http://127.0.0.1:9/${long(300)}`;
    const hook = await api('POST', '/api/v1/webhook-subscriptions', token, { url: hookUrl, topics: [long(200, 'tasks.')], description: long(500) });
    if (hook.status !== 201) throw new Error(`the long webhook subscription answered ${hook.status}`);
    const pages = [
      ['dashboard', '/'],
      ['agents', '/agents'],
      ['tasks', '/tasks'],
      ['task', new URL(longTask).pathname],
      ['workflows', `/workflows?workflow=${w.body.id}`],
      ['users', '/users'],
      ['api-keys', '/api-keys'],
      ['audit', '/audit'],
      ['ai', '/ai'],
      ['pipeline', '/pipeline'],
      ['leads', '/leads'],
      ['companies', '/companies'],
      ['requirements', '/requirements'],
      ['integrations', '/integrations'],
      ['integrations-connected', '/integrations?tab=connected'],
    ];
    const wider = [];
    for (const [width, height, tag] of [[1280, 800, 'wide'], [390, 844, 'phone']]) {
      await page.setViewportSize({ width, height });
      for (const [name, path] of pages) {
        await page.goto(base + path);
        await page.locator('h1').first().waitFor();
        await page.waitForLoadState('networkidle').catch(() => {});
        if (name === 'api-keys') await page.getByRole('button', { name: /^Delete Super/ }).first().click();
        if (name === 'integrations') await page.getByRole('button', { name: `Deliveries of ${hookUrl}` }).click();
        if (name === 'users') {
          // The roles editor open in one row keeps every row's buttons inside the table.
          await page.getByRole('button', { name: 'Change the roles of operator@example.com' }).click();
          const outside = await page.evaluate(() => {
            const card = document.querySelector('.table-card').getBoundingClientRect();
            return [...document.querySelectorAll('td.actions button')].filter((b) => {
              const r = b.getBoundingClientRect();
              return r.right > card.right + 1 || r.left < card.left - 1;
            }).length;
          });
          if (outside) wider.push(`users at ${width} px: ${outside} action buttons are outside the table with the roles editor open`);
        }
        const extra = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (extra > 1) {
          // Name the innermost elements that reach past the right edge, to say what to fix.
          const culprits = await page.evaluate(() =>
            [...document.querySelectorAll('body *')]
              .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && ![...e.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 1))
              .slice(0, 3)
              .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`),
          );
          wider.push(`${name} at ${width} px is ${extra} px too wide (${culprits.join(', ')})`);
        }
        await shot(`${tag}-${name}`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    if (wider.length) throw new Error(wider.join('; '));
  });

  await scenario('the dashboard works at phone width (375 px)', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await goTo('Dashboard');
    await page.getByText('Success rate').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 1) throw new Error(`the page is ${overflow} px wider than the screen`);
    await shot('dashboard-phone');
    await page.getByRole('button', { name: 'Menu' }).click();
    await nav().getByRole('link', { name: 'Agents' }).waitFor();
    await shot('menu-phone');
    await nav().getByRole('link', { name: 'Tasks' }).click();
    await page.locator('tbody tr').first().waitFor();
    await shot('tasks-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await scenario('logging out returns to the login page and ends the session', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto(base + '/agents');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    if (await page.evaluate(() => sessionStorage.getItem('de.session'))) throw new Error('the session is still stored');
    if ((await context.cookies(base + '/api/v1/auth/refresh')).some((c) => c.name === 'de_refresh')) throw new Error('the refresh cookie outlived the logout');
  });

  await scenario('a person signs in with SSO through the identity provider, with their group\'s role', async () => {
    await page.goto(base + '/');
    await page.getByRole('link', { name: 'Sign in with SSO' }).click();
    // The provider's own pages: its login form, then its consent.
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    if (page.url() !== base + '/') throw new Error(`signed in at ${page.url()}: a token or code may be in the address`);
    await nav().getByRole('link', { name: 'Users', exact: true }).waitFor(); // alice is in "admins"
    await page.getByText('alice', { exact: true }).first().waitFor();
    if (!(await context.cookies(base + '/api/v1/auth/refresh')).some((c) => c.name === 'de_refresh' && c.httpOnly)) throw new Error('no HttpOnly session cookie');
    await shot('sso-signed-in');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  await scenario('a single sign-on refused for want of a role says so on the login page', async () => {
    await context.clearCookies(); // signed out here; this forgets alice's session at the provider too
    await page.getByRole('link', { name: 'Sign in with SSO' }).click();
    await page.locator('input[name="login"]').fill('carol'); // in no mapped group
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').filter({ hasText: 'Your account at the identity provider has no role here.' }).waitFor();
    if (page.url().includes('sso_error')) throw new Error('the refusal code stayed in the address');
    await shot('sso-refused');
  });

  await scenario('a viewer is offered no actions and cannot reach admin pages', async () => {
    await signIn('viewer@example.com', viewerPassword);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    for (const label of ['Users', 'API keys', 'Audit log'])
      if (await nav().getByRole('link', { name: label }).count()) throw new Error(`the viewer sees ${label} in the navigation`);
    await goTo('Agents');
    await agentCard('Echo Agent').waitFor();
    for (const label of ['Give a task', /^Pause/, /^Stop/, /^Start/])
      if (await page.getByRole('button', { name: label }).count()) throw new Error(`the viewer is offered ${label}`);
    await goTo('Tasks');
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    if (await page.getByRole('button', { name: 'New task' }).count()) throw new Error('the viewer is offered New task');
    await goTo('Workflows');
    await page.locator('.react-flow__node').first().waitFor();
    for (const label of ['New workflow', 'Edit', 'Run…'])
      if (await page.getByRole('button', { name: label, exact: true }).count()) throw new Error(`the viewer is offered ${label} on the workflows page`);
    await goTo('Pipeline');
    await page.getByRole('region', { name: 'Engaging' }).getByRole('article').first().waitFor();
    if (await page.getByRole('combobox', { name: /^Stage of/ }).count()) throw new Error('the viewer is offered moving deals');
    await goTo('Campaigns');
    await page.getByRole('button', { name: 'Suggest a split' }).click();
    await page.getByText(/is expected to bring/).waitFor();
    if (await page.getByRole('button', { name: 'Apply: set the budgets' }).count()) throw new Error('the viewer is offered applying budgets');
    await goTo('AI');
    await page.getByRole('tabpanel', { name: 'Providers' }).locator('.card, .state').first().waitFor();
    if (await page.getByRole('button', { name: /API key of/ }).count()) throw new Error('the viewer is offered provider keys');
    await page.getByRole('tab', { name: 'Prompt templates' }).click();
    await page.getByRole('button', { name: /e2e\.lead-summary/ }).click();
    await page.getByRole('button', { name: 'Preview', exact: true }).waitFor();
    for (const label of ['New prompt', 'New version', 'Activate version 1', 'Run'])
      if (await page.getByRole('button', { name: label, exact: true }).count()) throw new Error(`the viewer is offered ${label} on the AI page`);
    await goTo('Integrations');
    await page.getByText('Webhook subscriptions are managed by administrators.').waitFor();
    if (await page.getByRole('button', { name: 'Subscribe' }).count()) throw new Error('the viewer is offered subscribing a webhook');
    await page.goto(base + '/users');
    await page.getByText('You do not have access to this page.').waitFor();
    if (await page.getByText('viewer@example.com').count()) throw new Error('the users page leaked to the viewer');
    await shot('viewer-no-access');
    await page.goto(base + '/api-keys');
    await page.getByText('You do not have access to this page.').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  await scenario('repeated wrong passwords are throttled with a clear wait', async () => {
    let message = '';
    for (let i = 0; i < 8 && !message.includes('Too many attempts'); i++) {
      await page.getByLabel('Email').fill('operator@example.com');
      await page.getByLabel('Password').fill(`wrong-${i}`);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login') && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      const expected = response.status() === 429 ? 'Too many attempts' : 'Invalid email or password';
      const alert = page.getByRole('alert').filter({ hasText: expected });
      await alert.waitFor();
      message = (await alert.textContent()) ?? '';
    }
    if (!/Too many attempts, try again in \d+ seconds/.test(message)) throw new Error(`no throttling message; last: ${message}`);
  });

  await scenario('the pages raised no uncaught errors', async () => {
    if (pageErrors.length) throw new Error(pageErrors.join('\n'));
  });

  await scenario('the dashboard and the API reference ran under their Content-Security-Policy without a violation', async () => {
    for (const [path, needed] of [['/', "script-src 'self'; style-src 'self';"], ['/api/docs', "script-src 'self'"]]) {
      const policy = (await fetch(base + path, { signal: AbortSignal.timeout(step) })).headers.get('content-security-policy') ?? '';
      if (!policy.includes(needed) || !policy.includes("frame-ancestors 'none'")) throw new Error(`${path}: policy ${policy}`);
    }
    if (cspViolations.length) throw new Error(cspViolations.join('\n'));
  });
} catch (error) {
  failed++;
  log(`FAIL setup: ${error.message}`);
} finally {
  clearTimeout(watchdog);
  await context?.close().catch(() => {});
  await stopServer();
  if (work) {
    if (failed && existsSync(join(work, 'server.log'))) {
      const tail = readFileSync(join(work, 'server.log'), 'utf8').split('\n').slice(-15).join('\n');
      if (tail.trim()) log(`server log (last lines):\n${tail}`);
    }
    if (!keepLogs) rmSync(work, { recursive: true, force: true });
  }
}
finish();
