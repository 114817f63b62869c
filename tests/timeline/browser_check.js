// Drives headless Debian chromium through playwright-core over one timeline
// page: counts, a click on a box, a search, console errors, no network, a
// screenshot. Run by test_timeline_browser.py; prints one JSON line of results.
//   node browser_check.js SPEC.json
// SPEC: {page, screenshot, chromium, expect: {lanes, exchanges}, box: {session, index},
//        request_has, reply_has, search_event, search_text}
'use strict';
const fs = require('fs');
const path = require('path');

function fail(message) {
  console.log(JSON.stringify({ ok: false, error: message }));
  process.exit(1);
}

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  let playwright;
  try {
    playwright = require(spec.driver);
  } catch (err) {
    fail('cannot load playwright-core from ' + spec.driver + ': ' + err.message);
  }
  const userDir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'lx-chromium-'));
  // A fresh, empty profile each run (playwright passes it as --user-data-dir).
  const context = await playwright.chromium.launchPersistentContext(userDir, {
    executablePath: spec.chromium,
    headless: true,
    viewport: spec.viewport || { width: 1400, height: 820 },
    deviceScaleFactor: 1,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const result = { ok: true, errors: [], requests: [] };
  try {
    // The network is off: any request that is not the page itself fails the test.
    await context.route('**/*', function (route) {
      const url = route.request().url();
      if (url.startsWith('file://')) return route.continue();
      result.requests.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    page.on('console', function (msg) { if (msg.type() === 'error') result.errors.push('console: ' + msg.text()); });
    page.on('pageerror', function (err) { result.errors.push('pageerror: ' + err.message); });
    page.on('requestfailed', function (req) { if (!req.url().startsWith('file://')) result.errors.push('request: ' + req.url()); });
    const started = Date.now();
    await page.goto('file://' + path.resolve(spec.page), { waitUntil: 'load', timeout: 60000 });
    await page.waitForSelector('#app[data-ready="1"]', { timeout: 60000 });
    result.load_wall_ms = Date.now() - started;
    const info = await page.evaluate(function () {
      const t = window.lxTimeline;
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        lanes: t.lanes, exchanges: t.exchanges, ready_ms: t.readyMs, script_ms: t.scriptMs,
        dom_lanes: Number(document.getElementById('app').dataset.lanes),
        dom_exchanges: Number(document.getElementById('app').dataset.exchanges),
        response_end_ms: nav ? nav.responseEnd : null, stats: t.stats(),
      };
    });
    Object.assign(result, info);
    if (spec.expect) {
      if (info.lanes !== spec.expect.lanes || info.dom_lanes !== spec.expect.lanes)
        result.errors.push('lanes ' + info.lanes + ' (dom ' + info.dom_lanes + '), want ' + spec.expect.lanes);
      if (info.exchanges !== spec.expect.exchanges || info.dom_exchanges !== spec.expect.exchanges)
        result.errors.push('exchanges ' + info.exchanges + ', want ' + spec.expect.exchanges);
    }
    if (spec.summary_has) {
      const summary = await page.$eval('#details', function (e) { return e.textContent; });
      if (!summary.includes(spec.summary_has)) result.errors.push('the summary pane lacks ' + JSON.stringify(spec.summary_has));
    }
    if (spec.box) {
      // Bring the box into view, then click it as a person would.
      const pt = await page.evaluate(function (b) { return window.lxTimeline.boxPoint(b.session, b.index); }, spec.box);
      const canvas = await page.$('#canvas');
      const rect = await canvas.boundingBox();
      await page.mouse.click(rect.x + pt.x, rect.y + pt.y);
      const sel = await page.evaluate(function () { return window.lxTimeline.selected(); });
      result.clicked = sel;
      if (!sel || sel.kind !== 'x' || sel.index !== spec.box.index || sel.session !== spec.box.session)
        result.errors.push('the click selected ' + JSON.stringify(sel) + ', want exchange ' + spec.box.index);
      result.request_text = await page.$eval('#d-request', function (e) { return e.textContent; }).catch(function () { return null; });
      result.reply_text = await page.$eval('#d-reply', function (e) { return e.textContent; }).catch(function () { return null; });
      result.command_text = await page.$eval('#d-command', function (e) { return e.textContent; }).catch(function () { return null; });
      if (spec.request_has && !(result.request_text || '').includes(spec.request_has))
        result.errors.push('the request pane lacks ' + JSON.stringify(spec.request_has) + ': ' + result.request_text);
      if (spec.reply_has && !(result.reply_text || '').includes(spec.reply_has))
        result.errors.push('the reply pane lacks ' + JSON.stringify(spec.reply_has) + ': ' + result.reply_text);
      if (!(result.command_text || '').includes('--dump-state'))
        result.errors.push('no --dump-state command in the details pane: ' + result.command_text);
      if (spec.screenshot_selected) await page.screenshot({ path: spec.screenshot_selected });
    }
    if (spec.search_event) {
      await page.fill('#search', String(spec.search_event.event));
      await page.press('#search', 'Enter');
      const sel = await page.evaluate(function () { return window.lxTimeline.selected(); });
      result.search_selected = sel;
      result.search_status = await page.$eval('#search-status', function (e) { return e.textContent; });
      const want = spec.search_event;
      if (!sel || sel.kind !== want.kind || sel.index !== want.index)
        result.errors.push('search for event ' + want.event + ' selected ' + JSON.stringify(sel) + ', want ' + JSON.stringify(want));
      const title = await page.$eval('#d-events', function (e) { return e.textContent; }).catch(function () { return ''; });
      result.search_details = title;
    }
    if (spec.search_text) {
      await page.fill('#search', spec.search_text.text);
      await page.press('#search', 'Enter');
      result.search_text_status = await page.$eval('#search-status', function (e) { return e.textContent; });
      if (!result.search_text_status.startsWith(String(spec.search_text.matches) + ' exchange'))
        result.errors.push('search for ' + JSON.stringify(spec.search_text.text) + ' says ' + result.search_text_status);
    }
    if (spec.zoom) {
      // Wheel-zoom in around the middle and check that boxes are drawn, then fit again.
      const canvas = await page.$('#canvas');
      const rect = await canvas.boundingBox();
      await page.keyboard.press('Escape');
      await page.keyboard.press('0');
      await page.mouse.move(rect.x + rect.width * 0.5, rect.y + 120);
      for (let i = 0; i < spec.zoom; i++) await page.mouse.wheel(0, -400);
      result.zoomed_stats = await page.evaluate(function () { return window.lxTimeline.stats(); });
      await page.keyboard.press('0');
    }
    if (spec.screenshot) {
      await page.keyboard.press('Escape');
      await page.mouse.move(0, 0);
      if (spec.select_for_screenshot) {
        await page.evaluate(function (b) { const p = window.lxTimeline.boxPoint(b.session, b.index); return p; }, spec.select_for_screenshot);
        const pt = await page.evaluate(function (b) { return window.lxTimeline.boxPoint(b.session, b.index); }, spec.select_for_screenshot);
        const rect = await (await page.$('#canvas')).boundingBox();
        await page.mouse.click(rect.x + pt.x, rect.y + pt.y);
        await page.mouse.move(0, 0);
        await page.keyboard.press('0');  // the whole session, the box still selected
      }
      await page.screenshot({ path: spec.screenshot });
    }
  } catch (err) {
    result.errors.push('driver: ' + (err && err.stack || err));
  } finally {
    await context.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  if (result.requests.length) result.errors.push('the page asked the network for ' + result.requests.join(', '));
  result.ok = result.errors.length === 0;
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

main().catch(function (err) { fail(String(err && err.stack || err)); });
