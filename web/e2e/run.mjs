// End-to-end: the real server binary with a fresh SQLite database, driven in Debian's
// Chromium by playwright-core (no browser download). Saves a screenshot of every page under
// e2e/screenshots/. Prints "N passed, M failed" and exits non-zero on any failure.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..');
const binary = process.env.DE_BINARY ?? resolve(web, '../build/release/digital-enterprise');
const shots = join(here, 'screenshots');
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'de-e2e-'));
const adminPassword = 'e2e-admin-password';
const viewerPassword = 'e2e-viewer-password';
const env = { ...process.env, DE_DATABASE_URL: `sqlite:${work}/de.db`, DE_DATA_DIR: work, DE_ADMIN_EMAIL: 'admin@example.com', DE_ADMIN_PASSWORD: adminPassword, DE_LOG_LEVEL: 'warn' };

const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

function must(result, what) {
  if (result.status !== 0) throw new Error(`${what} failed: ${result.stderr}`);
}
must(spawnSync(binary, ['init'], { env, encoding: 'utf8' }), 'init');
must(spawnSync(binary, ['user', 'create', '--email', 'viewer@example.com', '--username', 'viewer', '--role', 'viewer', '--password-stdin'], { env, input: viewerPassword, encoding: 'utf8' }), 'user create');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const log = openSync(join(work, 'server.log'), 'a');
const server = spawn(binary, ['serve', '--listen', `127.0.0.1:${port}`, '--web-root', join(web, 'dist')], { env, stdio: ['ignore', log, log] });

let passed = 0;
let failed = 0;
let browser;
async function scenario(name, body) {
  try {
    await body();
    passed++;
    console.log(`ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}\n     ${error.message.split('\n').join('\n     ')}`);
  }
}

try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {}
    if (i > 200) throw new Error('the server did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: process.env.DE_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const signIn = async (email, password) => {
    await page.goto(base + '/');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  await scenario('a wrong password shows a clear message', async () => {
    await signIn('admin@example.com', 'not-the-password');
    await page.getByRole('alert').filter({ hasText: 'Invalid email or password' }).waitFor();
    await shot('login');
  });

  await scenario('the admin logs in and sees the live dashboard', async () => {
    await signIn('admin@example.com', adminPassword);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByText('Success rate').waitFor();
    await page.locator('.live-live').waitFor();
    await shot('dashboard');
  });

  await scenario('the agents page shows the three business agents and echo', async () => {
    await page.getByRole('link', { name: 'Agents' }).click();
    for (const name of ['Product Manager Agent', 'Sales Agent', 'Marketing Agent', 'Echo Agent'])
      await page.getByRole('heading', { name }).waitFor();
    await shot('agents');
  });

  await scenario('an echo task runs and completes live, without reloading', async () => {
    const card = page.locator('article.agent', { has: page.getByRole('heading', { name: 'Echo Agent' }) });
    await card.getByRole('button', { name: 'Give a task' }).click();
    await card.getByLabel('Input (JSON)').fill('{"greeting": "hello from the browser"}');
    await card.getByRole('button', { name: 'Run task' }).click();
    await card.locator('.task-result .badge-completed').waitFor();
    await card.getByLabel('Task output').getByText('hello from the browser').waitFor();
    await shot('agent-task');
  });

  await scenario('pausing an agent changes its status live', async () => {
    const card = page.locator('article.agent', { has: page.getByRole('heading', { name: 'Sales Agent' }) });
    await card.getByRole('button', { name: 'Pause' }).click();
    await card.locator('.badge-paused').waitFor();
    await card.getByRole('button', { name: 'Start' }).click();
    await card.locator('.badge-idle').waitFor();
  });

  await scenario('tasks list, filters and the task detail', async () => {
    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByRole('cell', { name: 'completed' }).first().waitFor();
    await page.getByLabel('Status').selectOption('completed');
    await page.locator('tbody tr').first().waitFor();
    await shot('tasks');
    await page.locator('tbody a').first().click();
    await page.getByRole('heading', { name: 'Output' }).waitFor();
    await page.getByText('hello from the browser').first().waitFor();
    await shot('task-detail');
  });

  await scenario('a workflow runs and its execution shows live, step by step', async () => {
    await page.getByRole('link', { name: 'Workflows' }).click();
    await page.getByLabel('Workflow', { exact: true }).selectOption({ label: 'Inbound lead triage (active)' });
    await page.locator('.react-flow__node', { hasText: 'condition' }).click();
    await page.getByRole('heading', { name: 'Step is_big' }).waitFor();
    await page.getByLabel('Input (JSON)').fill('{"company": "Acme", "value": 25000}');
    await page.getByRole('button', { name: 'Run workflow' }).click();
    await page.locator('section[aria-label="Execution"] h2 .badge-completed').waitFor();
    await page.locator('section[aria-label="Execution"]').getByText('"big": true').waitFor();
    await shot('workflows');
  });

  await scenario('a workflow is created in the editor, with validation in place', async () => {
    await page.getByRole('button', { name: 'New workflow' }).click();
    await page.getByLabel('Name').fill('E2E approval flow');
    await page.getByLabel('Add a step').selectOption('approval');
    await page.getByLabel('From').selectOption('start');
    await page.getByLabel('To').selectOption('approval1');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByLabel('Add a step').selectOption('condition');
    const text = await page.getByLabel('JSON (docs/workflows.md)').inputValue();
    await page.getByLabel('JSON (docs/workflows.md)').fill(text.replace('"expression": "true"', '"expression": "1 +"'));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.field-error', { hasText: 'condition1' }).waitFor();
    await shot('workflow-editor');
    await page.getByLabel('JSON (docs/workflows.md)').fill(text);
    await page.getByLabel('Status').selectOption('active');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByLabel('Workflow', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Run workflow' }).click();
    const execution = page.locator('section[aria-label="Execution"]');
    await execution.getByRole('button', { name: 'Approve' }).click();
    await execution.locator('h2 .badge-completed').waitFor();
  });

  await scenario('the admin manages users and API keys', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('cell', { name: 'viewer@example.com' }).waitFor();
    await shot('users');
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name').fill('e2e-key');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('Copy this key now').waitFor();
    await shot('api-keys');
  });

  await scenario('the dashboard works at phone width', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByText('Success rate').waitFor();
    await shot('dashboard-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await scenario('a viewer is not offered admin pages or actions', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await signIn('viewer@example.com', viewerPassword);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    if (await page.getByRole('link', { name: 'Users' }).count()) throw new Error('the viewer sees Users in the navigation');
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('heading', { name: 'Echo Agent' }).waitFor();
    if (await page.getByRole('button', { name: 'Give a task' }).count()) throw new Error('the viewer is offered tasks');
    if (await page.getByRole('button', { name: 'Pause' }).count()) throw new Error('the viewer is offered agent control');
    await page.goto(base + '/users');
    await page.getByText('You do not have access to this page.').waitFor();
    await shot('viewer-no-access');
  });
} catch (error) {
  failed++;
  console.log(`FAIL setup: ${error.message}`);
} finally {
  await browser?.close();
  server.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
