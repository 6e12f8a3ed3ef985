// SPDX-License-Identifier: LGPL-2.1-or-later
// Roles and control (docs/web.md, "Roles and control") in Debian's headless
// chromium against a real hostencd started with --token ctl --view-token
// see: a view-only page says so, offers no keys, and nothing typed there
// (nor sent by hand on its own WebSocket) reaches the machine; a control
// page takes control, the other control page is told and its keys stop
// reaching the machine until control is released. What reaches the machine
// is read from the test pattern's code strip: the number of key presses and
// the last key's code.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { canvasPixels, hook, launchBrowser, openPage, saveArtifact, startDaemon, until,
	waitPainted } from './lib/harness.mjs';
import { readCode, stripRect } from './lib/pattern.mjs';

const W = 640, H = 360;
const KEY_W = 17, KEY_E = 18, KEY_X = 45;
const QUIET_MS = 1500; // how long "nothing arrives" is watched

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
	const d = await startDaemon({ extra: ['--token', 'ctl', '--view-token', 'see'] });
	try {
		return await body(d);
	} catch (e) {
		throw new Error(`${e.stack}\n--- hostencd log tail ---\n${d.log.split('\n')
			.filter((l) => !/GLib-GIO-DEBUG|libsoup-DEBUG/.test(l)).slice(-30).join('\n')}`);
	} finally {
		await d.stop();
	}
}

async function open(d, token) {
	const page = await openPage(browser);
	await page.goto(`${d.url}?source=0&token=${token}`);
	await waitPainted(page, 10000);
	await page.waitForFunction(() => window.hostenc.role !== null, null, { timeout: 5000 });
	return page;
}

const roleText = (page) => page.evaluate(() => {
	const el = document.getElementById('role');
	return el.hidden ? null : el.textContent;
});

/** Click the middle of the picture (focuses it, as a user would before typing). */
async function clickPicture(page) {
	const box = await page.locator('#screen').boundingBox();
	await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

test('a view-only page says "View only", offers no keys, and nothing it types reaches the machine', async () => {
	await withDaemon(async (d) => {
		const view = await open(d, 'see');
		assert.equal(await roleText(view), 'View only');
		assert.equal((await hook(view)).role, 'view');
		for (const sel of ['#keys', '#kbd-button', '#control-button'])
			assert.equal(await view.isVisible(sel), false, `${sel} hidden on a view-only page`);
		saveArtifact('roles-view-only.png', await view.screenshot());

		const c0 = await code(view);
		await clickPicture(view);
		await view.keyboard.type('abc');
		await view.keyboard.press('Control+Alt+Delete');
		// The page keeps its input back; the server refuses what comes anyway:
		// the same page's own WebSocket with the view token, sending keys by hand.
		const refused = await view.evaluate(() => new Promise((resolve, reject) => {
			const u = new URL('ws/stream', location.href);
			u.protocol = 'ws:';
			u.search = '?source=0&token=see';
			const s = new WebSocket(u);
			const t = setTimeout(() => reject(new Error('no input-refused message')), 5000);
			s.onopen = () => {
				s.send(JSON.stringify({ type: 'init', codecs: ['avc1.42e01f'], width: 640, height: 360 }));
				for (const k of ['KeyQ', 'KeyZ']) {
					s.send(JSON.stringify({ type: 'key', code: k, down: true }));
					s.send(JSON.stringify({ type: 'key', code: k, down: false }));
				}
				s.send(JSON.stringify({ type: 'pointer', x: 100, y: 100, buttons: 1 }));
			};
			s.onmessage = (ev) => {
				if (typeof ev.data !== 'string') return;
				const m = JSON.parse(ev.data);
				if (m.type !== 'input-refused') return;
				clearTimeout(t);
				s.close();
				resolve(m);
			};
		}));
		assert.deepEqual(refused, { type: 'input-refused', reason: 'view-only' });
		await sleep(QUIET_MS);
		const c1 = await code(view);
		assert.equal(c1.keyCount, c0.keyCount, `no key press reached the machine: ${JSON.stringify([c0, c1])}`);
		assert.equal(c1.clickCount, c0.clickCount, 'no click reached the machine');
		assert.ok((await hook(view)).inputHeldBack > 0, 'the page held its input back');

		// A control page's key does reach it: exactly one press more.
		const ctl = await open(d, 'ctl');
		assert.equal(await roleText(ctl), null, 'shared control: no badge');
		assert.equal(await ctl.textContent('#control-button'), 'Take control');
		await clickPicture(ctl);
		await ctl.keyboard.press('x');
		await codeUntil(view, (c) => c.keyCode === KEY_X, 5000, 'the control page\'s x on the machine');
		assert.equal((await code(view)).keyCount, (c0.keyCount + 1) & 0xff);
		await view.context().close();
		await ctl.context().close();
	});
});

test('a control page takes control: the other is told "Viewer N took control" and its keys stop until control is released', async () => {
	await withDaemon(async (d) => {
		const a = await open(d, 'ctl');
		const b = await open(d, 'ctl');
		const aViewer = (await hook(a)).viewer;
		assert.equal((await hook(a)).role, 'control');

		await a.click('#control-button');
		await until(async () => (await roleText(a)) === 'You have control', 5000, 'a: "You have control"');
		assert.equal(await a.textContent('#control-button'), 'Release control');
		// The sentence stays 4 s, then says "has control"; the hook keeps it.
		await until(async () => new RegExp(`^Viewer ${aViewer} (took|has) control$`).test(await roleText(b)),
			    5000, `b: "Viewer ${aViewer} took control"`);
		assert.equal((await hook(b)).controlNote, `Viewer ${aViewer} took control`);
		assert.deepEqual((await hook(b)).control, { holder: aViewer, you: false });
		assert.equal(await b.textContent('#control-button'), 'Take control');
		saveArtifact('roles-taken.png', await b.screenshot());

		const c0 = await code(a);
		await clickPicture(b);
		await b.keyboard.press('q');
		await sleep(QUIET_MS);
		assert.equal((await code(a)).keyCount, c0.keyCount, 'b\'s key did not reach the machine');
		assert.ok((await hook(b)).inputHeldBack > 0);
		await clickPicture(a);
		await a.keyboard.press('w');
		await codeUntil(a, (c) => c.keyCode === KEY_W, 5000, 'a\'s w on the machine');
		assert.equal((await code(a)).keyCount, (c0.keyCount + 1) & 0xff);

		// Released: shared again, b types.
		await a.click('#control-button');
		await until(async () => (await roleText(a)) === null && (await roleText(b)) === null, 5000,
			    'both badges gone after the release');
		await clickPicture(b);
		await b.keyboard.press('e');
		await codeUntil(a, (c) => c.keyCode === KEY_E, 5000, 'b\'s e on the machine after the release');
		assert.equal((await code(a)).keyCount, (c0.keyCount + 2) & 0xff);

		// b takes it: a is told in turn.
		const bViewer = (await hook(b)).viewer;
		await b.click('#control-button');
		await until(async () => (await hook(a)).controlNote === `Viewer ${bViewer} took control`, 5000,
			    'a told that b took control');
		assert.match(await roleText(a), new RegExp(`^Viewer ${bViewer} (took|has) control$`));
		await a.context().close();
		await b.context().close();
	});
});
