import { expect, test } from './fixtures.ts';

test('the demo shows many tabs sharing one socket, and a write reaching every tab', async ({ context, web, backend }) => {
  const url = `${web.url}/index.html?backend=${encodeURIComponent(backend.httpUrl)}`;
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const page = await context.newPage();
    await page.goto(url);
    pages.push(page);
  }
  for (const page of pages) {
    await expect(page.locator('#state')).toHaveText('state: open');
    await expect(page.locator('#tabs')).toHaveText('3');
    await expect(page.locator('#sockets')).toHaveText('1');
  }
  await pages[0]!.getByRole('button', { name: 'Create a goal' }).click();
  for (const page of pages) await expect(page.locator('#feed li code').first()).toHaveText('goal.created');
  const [opened] = await Promise.all([context.waitForEvent('page'), pages[1]!.getByRole('button', { name: 'Open another tab' }).click()]);
  await expect(opened.locator('#tabs')).toHaveText('4');
  await expect(opened.locator('#sockets')).toHaveText('1');
  expect(backend.stats().connections).toBe(1);
});

test('the demo keeps goals current in every tab and counts the frames the worker dropped', async ({ context, web, backend }) => {
  const url = `${web.url}/index.html?backend=${encodeURIComponent(backend.httpUrl)}`;
  const pages = [];
  for (let i = 0; i < 2; i++) {
    const page = await context.newPage();
    await page.goto(url);
    pages.push(page);
  }
  for (const page of pages) await expect(page.locator('#state')).toHaveText('state: open');

  await pages[0]!.getByRole('button', { name: 'Create a goal' }).click();
  for (const page of pages) {
    await expect(page.locator('#goals li')).toHaveCount(1);
    await expect(page.locator('#goals li .goal-title')).toContainText('Goal ');
    await expect(page.locator('#goals li .status')).toHaveText('active');
  }
  await pages[1]!.locator('#goals li').getByRole('button', { name: 'Pause' }).click();
  for (const page of pages) await expect(page.locator('#goals li .status')).toHaveText('paused');

  await pages[0]!.getByRole('button', { name: 'Server: push a malformed frame' }).click();
  await pages[0]!.getByRole('button', { name: "Server: push another tenant's event" }).click();
  for (const page of pages) {
    await expect(page.locator('#dropped-malformed')).toHaveText('1');
    await expect(page.locator('#dropped-tenant')).toHaveText('1');
    await expect(page.locator('#dropped-invalid')).toHaveText('0');
    await expect(page.locator('#goals li')).toHaveCount(1);
  }
});
