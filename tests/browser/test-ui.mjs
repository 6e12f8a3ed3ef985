// SPDX-License-Identifier: LGPL-2.1-or-later
// The player page's own behaviour (web/static/, docs/web.md "The page") in
// Debian's headless chromium against a real hostencd: the dimmed picture
// with a sentence when the stream stops, fit / 1:1 with exact pointer
// mapping, the special-keys menu, the keyboard lock in full screen, the
// toolbar on a phone-sized screen.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { hook, launchBrowser, openPage, saveArtifact, startDaemon, until, waitPainted,
	canvasPixels } from './lib/harness.mjs';
import { readCode, stripRect } from './lib/pattern.mjs';

const W = 640, H = 360;

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function code(page) {
	return readCode(await canvasPixels(page, stripRect(W, H)), W, H);
}

function codeUntil(page, pred, timeoutMs, what) {
	return until(async () => { const c = await code(page); return pred(c) ? c : null; }, timeoutMs, what, 100);
}

async function withDaemon(body) {
	const d = await startDaemon({});
	try {
		return await body(d);
	} catch (e) {
		throw new Error(`${e.stack}\n--- hostencd log tail ---\n${d.log.split('\n').slice(-30).join('\n')}`);
	} finally {
		await d.stop();
	}
}

const dimmed = (page) => page.evaluate(() => ({
	cls: document.getElementById('stage').classList.contains('dim'),
	opacity: Number(getComputedStyle(document.getElementById('screen')).opacity),
}));

test('every close code has a sentence; the stream stopping dims the picture under one, with a countdown; reconnecting clears it', async () => {
	const first = await startDaemon({});
	let second = null;
	const page = await openPage(browser);
	try {
		await page.goto(first.player);
		await waitPainted(page, 5000);
		assert.deepEqual(await dimmed(page), { cls: false, opacity: 1 });
		assert.equal(await page.isVisible('#message'), false);

		// Every code the server (daemon/outputs/web/web-private.h) or the
		// page uses has its own sentence, with no close code in it.
		const sentences = await page.evaluate(() => Object.fromEntries(
			[4000, 4001, 4002, 4003, 4004, 4100, 1001, 1006, 1008, 1011].map((c) => [c, window.hostenc.closeSentence(c)])));
		assert.equal(sentences[4004], 'The machine stopped');
		assert.equal(sentences[4000], 'Another window took over this view');
		assert.equal(sentences[4001], 'Access denied: this page needs the right token');
		assert.equal(sentences[4003], 'Too slow a connection: reconnecting');
		assert.equal(sentences[1001], 'The server is restarting: reconnecting');
		for (const [c, s] of Object.entries(sentences)) {
			assert.doesNotMatch(s, /\d{4}/, `sentence for ${c} has no bare code: ${s}`);
			assert.match(s, /^[A-Z][a-z]+ /, `sentence for ${c}: ${s}`);
		}
		assert.equal(new Set(Object.values(sentences)).size >= 8, true, 'distinct sentences');

		// SIGTERM: the server closes the socket (1001 going away).
		await first.stop();
		await page.waitForSelector('#message', { state: 'visible', timeout: 5000 });
		const text = await page.textContent('#message-text');
		assert.match(text, /^The server is restarting( or unreachable)?: reconnecting( in \d+ s|…)$/, text);
		await until(async () => (await dimmed(page)).opacity < 0.5, 2000, 'the picture dimmed');
		assert.equal((await dimmed(page)).cls, true);
		saveArtifact('overlay-reconnecting.png', await page.screenshot());
		// The countdown: it says "in N s" while waiting for the next attempt.
		await until(() => page.evaluate(() => /reconnecting in \d+ s$/.test(document.getElementById('message-text').textContent)),
			    8000, 'a countdown "reconnecting in N s"', 20);

		second = await startDaemon({ httpPort: first.httpPort, listenPort: first.listenPort });
		await page.waitForFunction(() => window.hostenc.paintedThisConnection > 0 && window.hostenc.reconnects > 0,
					   null, { timeout: 15000 });
		await page.waitForSelector('#message', { state: 'hidden', timeout: 2000 });
		await until(async () => { const d = await dimmed(page); return !d.cls && d.opacity === 1; }, 2000,
			    'the dimming cleared');
		assert.equal((await hook(page)).state, 'streaming');
	} finally {
		await page.context().close();
		await first.stop();
		await second?.stop();
	}
});

test('fit scales the picture up and down keeping its aspect; 1:1 shows native pixels, scrollable; the pointer maps exactly in both', async () => {
	await withDaemon(async (d) => {
		const page = await openPage(browser, { viewport: { width: 1280, height: 800 } });
		await page.goto(d.player);
		await waitPainted(page, 5000);
		const stageBox = await page.locator('#stage').boundingBox();
		let box = await page.locator('#screen').boundingBox();
		// Fit, scaled up: the stage is 1280 x ~764, so twice the video size.
		assert.ok(box.width > W * 1.5, `canvas shown ${box.width} px wide for ${W} video px`);
		assert.ok(Math.abs(box.width / box.height - W / H) < 0.01, `aspect kept: ${box.width}x${box.height}`);
		assert.ok(Math.abs(box.width - stageBox.width) < 1 || Math.abs(box.height - stageBox.height) < 1, 'fills one side');
		let css = { x: 301, y: 203 };
		await page.mouse.click(box.x + css.x, box.y + css.y);
		let ex = Math.floor(css.x * W / box.width), ey = Math.floor(css.y * H / box.height);
		await codeUntil(page, (c) => c.clickCount >= 1 && Math.abs(c.pointerX - ex) <= 1 && Math.abs(c.pointerY - ey) <= 1,
				3000, `pointer at ${ex},${ey} (fit, scaled up)`);

		// 1:1 in a window smaller than the video: native size, the stage scrolls.
		await page.setViewportSize({ width: 620, height: 300 });
		await page.click('#fit-button');
		assert.equal(await page.getAttribute('#fit-button', 'aria-pressed'), 'true');
		assert.equal((await hook(page)).fit, 'native');
		box = await page.locator('#screen').boundingBox();
		assert.equal(box.width, W);
		assert.equal(box.height, H);
		const scroll = await page.evaluate(() => {
			const s = document.getElementById('stage');
			s.scrollLeft = s.scrollWidth;
			s.scrollTop = s.scrollHeight;
			return { sw: s.scrollWidth, cw: s.clientWidth, sh: s.scrollHeight, ch: s.clientHeight,
				 left: s.scrollLeft, top: s.scrollTop };
		});
		assert.ok(scroll.sw > scroll.cw && scroll.left > 0 && scroll.sh > scroll.ch && scroll.top > 0,
			  `stage scrolls: ${JSON.stringify(scroll)}`);
		box = await page.locator('#screen').boundingBox();
		css = { x: 631, y: 347 }; // visible only once scrolled
		assert.ok(box.x < 0 && box.y + css.y < 300 && box.x + css.x < 620, `scrolled: ${JSON.stringify(box)}`);
		const c0 = await code(page);
		await page.mouse.click(box.x + css.x, box.y + css.y);
		await codeUntil(page, (c) => c.clickCount > c0.clickCount && c.pointerX === css.x && c.pointerY === css.y,
				3000, `pointer exactly at ${css.x},${css.y} (1:1, scrolled)`);
		saveArtifact('native-1to1.png', await page.screenshot());

		// Back to fit, scaled down.
		await page.click('#fit-button');
		box = await page.locator('#screen').boundingBox();
		assert.ok(box.width <= 620 && box.width < W, `fit scales down: ${box.width}`);
		assert.ok(Math.abs(box.width / box.height - W / H) < 0.01);
		await page.context().close();
	});
});

test('special keys: Ctrl+Alt+Del from the menu sends down/up in order and reaches the machine; full screen asks for the keyboard lock', async () => {
	await withDaemon(async (d) => {
		const page = await openPage(browser, {
			initScript: { fn: () => {
				window.__lockCalls = [];
				Object.defineProperty(navigator, 'keyboard', { configurable: true, value: {
					lock(...args) { window.__lockCalls.push(args); return Promise.resolve(); },
					unlock() { window.__unlocked = (window.__unlocked || 0) + 1; },
				} });
			}, arg: null },
		});
		const sent = [];
		page.on('websocket', (ws) => ws.on('framesent', (f) => {
			if (typeof f.payload === 'string') sent.push(JSON.parse(f.payload));
		}));
		await page.goto(d.player);
		await waitPainted(page, 5000);
		const c0 = await code(page);
		await page.click('#keys-button');
		await page.waitForSelector('#keys-menu', { state: 'visible' });
		sent.length = 0;
		await page.click('#keys-menu >> text=Ctrl+Alt+Del');
		await page.waitForSelector('#keys-menu', { state: 'hidden' });
		await until(() => sent.filter((m) => m.type === 'key').length >= 6, 2000, 'six key messages');
		assert.deepEqual(sent.filter((m) => m.type === 'key'), [
			{ type: 'key', code: 'ControlLeft', down: true },
			{ type: 'key', code: 'AltLeft', down: true },
			{ type: 'key', code: 'Delete', down: true },
			{ type: 'key', code: 'Delete', down: false },
			{ type: 'key', code: 'AltLeft', down: false },
			{ type: 'key', code: 'ControlLeft', down: false },
		]);
		// The test pattern counts key presses and shows the last one (KEY_DELETE = 111).
		await codeUntil(page, (c) => c.keyCode === 111 && c.keyCount === c0.keyCount + 3, 3000,
				'Ctrl, Alt, Delete on the code strip');
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'screen', 'focus back on the canvas');

		// Leaving the canvas releases everything.
		sent.length = 0;
		await page.click('#title');
		await until(() => sent.some((m) => m.type === 'release'), 2000, 'a release message on blur');

		await page.click('#fullscreen-button');
		const calls = await until(() => page.evaluate(() => (window.__lockCalls.length ? window.__lockCalls : null)),
					  3000, 'navigator.keyboard.lock() called');
		assert.ok(calls[0].length === 0 || Array.isArray(calls[0][0]), `lock(${JSON.stringify(calls[0])})`);
		const fs = await page.evaluate(() => !!document.fullscreenElement);
		if (fs) {
			// Full screen: the toolbar slides away; the handle brings it back.
			await page.waitForSelector('#bar-handle', { state: 'visible' });
			await sleep(300);
			assert.ok((await page.locator('#bar').boundingBox()).y < 0, 'toolbar hidden in full screen');
			await page.click('#bar-handle');
			await sleep(300);
			assert.ok((await page.locator('#bar').boundingBox()).y >= 0, 'toolbar back');
			saveArtifact('fullscreen-toolbar.png', await page.screenshot());
			await page.click('#fullscreen-button');
			await until(() => page.evaluate(() => window.__unlocked > 0), 3000, 'keyboard unlocked on leaving full screen');
		}
		await page.context().close();
	});
});

test('a 390x844 phone: the toolbar is one row, its controls fold into a menu, all inside the viewport', async () => {
	await withDaemon(async (d) => {
		const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
		const page = await context.newPage();
		await page.goto(d.player);
		await waitPainted(page, 5000);
		const inside = async (sel) => {
			const b = await page.locator(sel).boundingBox();
			assert.ok(b, `${sel} has a box`);
			assert.ok(await page.isVisible(sel), `${sel} visible`);
			assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= 390 + 0.5 && b.y + b.height <= 844 + 0.5,
				  `${sel} inside the viewport: ${JSON.stringify(b)}`);
			return b;
		};
		const bar = await inside('#bar');
		assert.ok(bar.height < 50, `one row: ${bar.height} px`);
		const status = await inside('#status');
		const menu = await inside('#menu-button');
		assert.ok(Math.abs(status.y + status.height / 2 - (menu.y + menu.height / 2)) < 4, 'one row');
		assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 390), true, 'no horizontal overflow');
		saveArtifact('phone-toolbar.png', await page.screenshot());

		await page.tap('#menu-button');
		for (const sel of ['#fit-button', '#keys-button', '#kbd-button', '#stats-button', '#fullscreen-button'])
			await inside(sel);
		await page.tap('#keys-button');
		for (const b of await page.locator('#keys-menu button').all()) {
			const bb = await b.boundingBox();
			assert.ok(await b.isVisible() && bb.x >= 0 && bb.x + bb.width <= 390 && bb.y + bb.height <= 844,
				  `${await b.textContent()} inside: ${JSON.stringify(bb)}`);
		}
		saveArtifact('phone-menu.png', await page.screenshot());
		// A control in the menu works and closes it.
		await page.tap('#stats-button');
		await page.waitForSelector('#stats', { state: 'visible' });
		assert.equal(await page.isVisible('#fit-button'), false, 'the menu closed');
		await context.close();
	});
});

test('a wide window: every toolbar control in one row, visible', async () => {
	await withDaemon(async (d) => {
		const page = await openPage(browser, { viewport: { width: 1024, height: 600 } });
		await page.goto(d.player);
		await waitPainted(page, 5000);
		assert.equal(await page.isVisible('#menu-button'), false);
		const ys = [];
		for (const sel of ['#title', '#status', '#fit-button', '#keys-button', '#kbd-button', '#stats-button', '#fullscreen-button']) {
			assert.ok(await page.isVisible(sel), sel);
			const b = await page.locator(sel).boundingBox();
			assert.ok(b.x + b.width <= 1024, sel);
			ys.push(b.y + b.height / 2);
		}
		assert.ok(Math.max(...ys) - Math.min(...ys) < 4, `one row: ${ys}`);
		await page.context().close();
	});
});

test('touch: tap clicks, long press right-clicks, two fingers scroll; the soft keyboard types', async () => {
	await withDaemon(async (d) => {
		const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
		const page = await context.newPage();
		const sent = [];
		page.on('websocket', (ws) => ws.on('framesent', (f) => {
			if (typeof f.payload === 'string') sent.push(JSON.parse(f.payload));
		}));
		await page.goto(d.player);
		await waitPainted(page, 5000);
		const box = await page.locator('#screen').boundingBox();
		const c0 = await code(page);
		// Tap: a left click where the finger is.
		const css = { x: 120, y: 70 };
		await page.touchscreen.tap(box.x + css.x, box.y + css.y);
		const ex = Math.floor(css.x * W / box.width), ey = Math.floor(css.y * H / box.height);
		await codeUntil(page, (c) => c.clickCount === c0.clickCount + 1 && Math.abs(c.pointerX - ex) <= 1 &&
				Math.abs(c.pointerY - ey) <= 1, 3000, `a tap clicks at ${ex},${ey}`);

		const cdp = await context.newCDPSession(page);
		const touch = (type, points) => cdp.send('Input.dispatchTouchEvent', {
			type, touchPoints: points.map(([x, y], id) => ({ x: box.x + x, y: box.y + y, id })) });
		// Long press: the right button.
		sent.length = 0;
		await touch('touchStart', [[200, 60]]);
		await sleep(800);
		await touch('touchEnd', []);
		await until(() => sent.some((m) => m.type === 'pointer' && m.buttons === 2) &&
			    sent.at(-1).type === 'pointer' && sent.at(-1).buttons === 0, 2000, 'a right click from a long press');
		assert.ok(!sent.some((m) => m.type === 'pointer' && m.buttons === 1), 'no left button in a long press');

		// Two fingers moving up: wheel down (the content follows the fingers).
		sent.length = 0;
		await touch('touchStart', [[100, 150]]);
		await touch('touchStart', [[100, 150], [200, 150]]);
		for (let i = 1; i <= 5; i++)
			await touch('touchMove', [[100, 150 - 10 * i], [200, 150 - 10 * i]]);
		await touch('touchEnd', []);
		await until(() => sent.filter((m) => m.type === 'wheel').length >= 3, 2000, 'wheel messages');
		const wheels = sent.filter((m) => m.type === 'wheel');
		assert.ok(wheels.every((m) => m.dy > 0), `scrolling down: ${JSON.stringify(wheels)}`);
		assert.ok(!sent.some((m) => m.type === 'pointer' && m.buttons), 'no button while scrolling');

		// Soft keyboard: the menu's Keyboard button focuses a text field; typing sends keys.
		await page.tap('#menu-button');
		await page.tap('#kbd-button');
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'soft-input');
		sent.length = 0;
		const k0 = await code(page);
		await page.keyboard.type('Hi');
		await until(() => sent.filter((m) => m.type === 'key').length >= 6, 2000, 'key messages');
		assert.deepEqual(sent.filter((m) => m.type === 'key').map((m) => `${m.code}${m.down ? '↓' : '↑'}`),
			['ShiftLeft↓', 'KeyH↓', 'KeyH↑', 'ShiftLeft↑', 'KeyI↓', 'KeyI↑']);
		await codeUntil(page, (c) => c.keyCode === 23 && c.keyCount === k0.keyCount + 3, 3000, "'i' (KEY_I = 23) on the strip");
		await context.close();
	});
});
