// SPDX-License-Identifier: LGPL-2.1-or-later
// The list of screens (web/static/list.html, docs/web.md "The page") and
// stable screen URLs, against a real hostencd in Debian's headless
// chromium: "/" lists the test pattern and a guest (an HXFR client of
// lib/guest.mjs) with pictures from /thumb whose pixels are the screens'
// colours and follow them; a click opens the player, "◂ All screens" comes
// back; with --token everything goes through the token; a guest that
// leaves and connects again is found again by open players and bookmarks.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
	canvasPixels, colourStats, hook, launchBrowser, openPage, saveArtifact, startDaemon,
	until, waitPainted,
} from './lib/harness.mjs';
import { startGuest } from './lib/guest.mjs';
import { probes } from './lib/pattern.mjs';

const W = 640, H = 360;           // the pattern
const GW = 320, GH = 180;         // the guest
const GREEN = [0, 160, 64];
const RED = [200, 30, 40];
// Per channel: RGB -> BT.601 4:2:0 -> H.264 -> RGB, a box filter, a flat
// area well inside one colour (measured: 2 or less).
const TOL = 24;

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

function logTail(d) {
	return d.log.split('\n').filter((l) => !/DEBUG/.test(l)).slice(-40).join('\n');
}

/** Run body(daemon) with a fresh hostencd, stopped after; it must exit 0
 * (in sanitizer builds: no error, no leak). */
async function withDaemon(opts, body) {
	const d = await startDaemon(opts);
	let result;
	try {
		result = await body(d);
	} catch (e) {
		await d.stop();
		throw new Error(`${e.stack || e.message}\n--- hostencd log tail ---\n${logTail(d)}`, { cause: e });
	}
	await d.stop();
	assert.equal(d.exited?.code, 0, `hostencd did not exit cleanly after SIGTERM:\n${logTail(d)}`);
	return result;
}

function near(rgb, want, tol = TOL) {
	return rgb.every((v, k) => Math.abs(v - want[k]) <= tol);
}

/** The list page's state (window.hostencList). */
function listHook(page) {
	return page.evaluate(() => JSON.parse(JSON.stringify(window.hostencList || null)));
}

/** Wait until the list shows @p names, each with a picture loaded more than @p after times. */
function waitListed(page, names, timeout = 15000, after = 0) {
	return page.waitForFunction(([ns, n]) => {
		const h = window.hostencList;
		return h && ns.every((x) => h.sources.includes(x) && h.thumbs[x]?.loads > n);
	}, [names, after], { timeout, polling: 100 });
}

/**
 * The picture of screen @p name as the page shows it, drawn on a canvas in
 * the page: its size and the mean colour of the 5x5 pixels around the
 * fraction (fx, fy) of it.
 */
function thumbPixel(page, name, fx, fy) {
	return page.evaluate(([n, x0, y0]) => {
		const img = document.querySelector(`li.screen[data-name="${n}"] img`);
		if (!img || !img.complete || !img.naturalWidth) return null;
		const c = document.createElement('canvas');
		c.width = img.naturalWidth;
		c.height = img.naturalHeight;
		const ctx = c.getContext('2d');
		ctx.drawImage(img, 0, 0);
		const x = Math.round(x0 * c.width), y = Math.round(y0 * c.height);
		const d = ctx.getImageData(x - 2, y - 2, 5, 5).data;
		const rgb = [0, 0, 0];
		for (let i = 0; i < d.length; i += 4)
			for (let k = 0; k < 3; k++) rgb[k] += d[i + k] / 25;
		return { w: c.width, h: c.height, rgb: rgb.map(Math.round) };
	}, [name, fx, fy]);
}

/** Mean colour of a 40x40 square in the middle of the player's canvas. */
async function canvasCentre(page) {
	const px = await canvasPixels(page, { x: GW / 2 - 20, y: GH / 2 - 20, w: 40, h: 40 });
	return colourStats(px, { x: px.x, y: px.y, w: px.w, h: px.h }, [0, 0, 0]).mean.map(Math.round);
}

/** Wait until the player shows stream @p name in colour @p rgb. */
async function waitShowing(page, name, rgb, timeout) {
	const end = Date.now() + timeout;
	let last;
	for (;;) {
		const h = await hook(page);
		if (h?.server?.name === name && h.paintedThisConnection > 0) {
			last = await canvasCentre(page);
			if (near(last, rgb)) return;
		}
		if (Date.now() > end)
			throw new Error(`player ${page.url()}: not showing ${name} in ${rgb} after ${timeout} ms ` +
					`(state ${h?.state}, server ${h?.server?.name}, close ${JSON.stringify(h?.lastClose)}, ` +
					`colour ${last})`);
		await sleep(100);
	}
}

function consoleErrors(page) {
	return page.consoleLog.filter((l) => /^(error|pageerror)/.test(l) && !/Failed to load resource/.test(l));
}

test('"/" lists the pattern and a guest with their pictures; a click opens the player, the back link returns', async (t) => {
	await withDaemon({}, async (d) => {
		const g = await startGuest({ port: d.listenPort, name: 'demo', width: GW, height: GH, rgb: GREEN });
		try {
			// "/" is the list; with source= it is the player
			assert.match(await (await fetch(d.url)).text(), /list\.js/);
			assert.match(await (await fetch(`${d.origin}/?source=pattern`)).text(), /player\.js/);

			const page = await openPage(browser);
			await page.goto(d.url);
			await waitListed(page, ['pattern', 'guest/demo']);
			const cards = await page.evaluate(() => [...document.querySelectorAll('li.screen')].map((li) => ({
				name: li.dataset.name,
				machine: li.closest('section').dataset.machine,
				href: li.querySelector('a').getAttribute('href'),
				meta: li.querySelector('.meta').textContent,
			})));
			t.diagnostic(JSON.stringify(cards));
			const guest = cards.find((c) => c.name === 'guest/demo');
			const pattern = cards.find((c) => c.name === 'pattern');
			assert.equal(guest.machine, 'guest');
			assert.match(guest.href, /\?source=guest\/demo$/);
			assert.match(guest.meta, /320×180/);
			assert.match(guest.meta, /view only/);
			assert.match(pattern.meta, /takes keyboard and mouse/);

			// real pictures: the guest's colour; the pattern's documented probe colours
			const gp = await thumbPixel(page, 'guest/demo', 0.5, 0.5);
			t.diagnostic(`guest picture ${gp.w}x${gp.h}: ${gp.rgb}`);
			assert.deepEqual([gp.w, gp.h], [GW, GH]);
			assert.ok(near(gp.rgb, GREEN), `guest picture ${gp.rgb}, want ${GREEN}`);
			for (const p of probes(W, H).slice(0, 3)) {
				const px = await thumbPixel(page, 'pattern', (p.rect.x + p.rect.w / 2) / W,
							    (p.rect.y + p.rect.h / 2) / H);
				t.diagnostic(`pattern picture ${px.w}x${px.h}, probe ${p.name}: ${px.rgb} vs ${p.rgb}`);
				assert.deepEqual([px.w, px.h], [320, 180]);
				assert.ok(near(px.rgb, p.rgb), `pattern probe ${p.name}: ${px.rgb}, want ${p.rgb}`);
			}
			saveArtifact('list.png', await page.screenshot());

			// refreshed while the page is open: the guest's new colour shows
			const loads = (await listHook(page)).thumbs['guest/demo'].loads;
			g.setColour(RED);
			await waitListed(page, ['guest/demo'], 10000, loads);
			const end = Date.now() + 15000;
			let now;
			while (!near((now = await thumbPixel(page, 'guest/demo', 0.5, 0.5)).rgb, RED)) {
				assert.ok(Date.now() < end, `the guest's picture stayed ${now.rgb}, want ${RED}`);
				await sleep(200);
			}

			// a click opens the player of that screen, which decodes it
			await Promise.all([page.waitForURL(/\/\?source=guest\/demo$/), page.click('li.screen[data-name="guest/demo"] a')]);
			await waitPainted(page, 10000);
			await waitShowing(page, 'guest/demo', RED, 10000);

			// and "◂ All screens" goes back to the list
			await Promise.all([page.waitForURL(`${d.origin}/`), page.click('#back')]);
			await waitListed(page, ['pattern', 'guest/demo']);
			assert.deepEqual(consoleErrors(page), []);
		} finally {
			await g.stop();
		}
	});
});

test('with --token the list, its pictures and its links go through the token; without it: access denied', async () => {
	await withDaemon({ extra: ['--token', 's3cret'] }, async (d) => {
		const page = await openPage(browser);
		const asked = [];
		const ask = (url) => {
			const u = new URL(url);
			if (/^\/(sources|thumb|ws\/stream)$/.test(u.pathname)) asked.push(u);
		};
		page.on('request', (r) => ask(r.url()));
		page.on('websocket', (ws) => ask(ws.url()));
		await page.goto(`${d.origin}/?token=s3cret`);
		await waitListed(page, ['pattern']);
		const href = await page.getAttribute('li.screen[data-name="pattern"] a', 'href');
		assert.equal(new URL(href, d.url).searchParams.get('token'), 's3cret');
		await Promise.all([page.waitForURL(/source=pattern/), page.click('li.screen[data-name="pattern"] a')]);
		await waitPainted(page, 10000);
		const back = new URL(await page.getAttribute('#back', 'href'), d.url);
		assert.equal(back.searchParams.get('token'), 's3cret');
		await Promise.all([page.waitForURL(/\/\?token=s3cret$/), page.click('#back')]);
		await waitListed(page, ['pattern']);
		assert.ok(asked.some((u) => u.pathname === '/thumb'));
		assert.ok(asked.some((u) => u.pathname === '/ws/stream'));
		for (const u of asked)
			assert.equal(u.searchParams.get('token'), 's3cret', `${u} without the token`);

		const bad = await openPage(browser);
		await bad.goto(d.url);
		await bad.waitForFunction(() => window.hostencList?.state === 'unauthorized', null, { timeout: 10000 });
		assert.match(await bad.textContent('#message'), /Access denied/);
		assert.equal((await fetch(`${d.origin}/thumb?source=pattern`)).status, 401);
	});
});

test('no screens: the list says so; one screen: still the list', async () => {
	await withDaemon({ extra: ['--no-pattern'] }, async (d) => {
		const page = await openPage(browser);
		await page.goto(d.url);
		await page.waitForFunction(() => window.hostencList?.state === 'empty', null, { timeout: 10000 });
		assert.match(await page.textContent('#message'), /No screens yet/);
		const g = await startGuest({ port: d.listenPort, name: 'only', width: GW, height: GH, rgb: GREEN });
		try {
			await waitListed(page, ['guest/only']);
			assert.equal((await listHook(page)).state, 'listing');
			assert.equal(await page.locator('li.screen').count(), 1);
			assert.equal(new URL(page.url()).search, '', 'still the list, not the player');
		} finally {
			await g.stop();
		}
	});
});

test('a screen that stopped changing before the page opened: its picture, and no "No video" message', async () => {
	await withDaemon({}, async (d) => {
		const g = await startGuest({ port: d.listenPort, name: 'quiet', width: GW, height: GH, rgb: GREEN });
		try {
			await sleep(500);
			g.pause();
			await sleep(1500); // the server now calls the picture still
			const page = await openPage(browser);
			await page.goto(`${d.url}?source=guest/quiet`);
			await waitPainted(page, 10000);
			await sleep(4000); // past the page's 3-second watchdog
			const h = await hook(page);
			assert.equal(h.still, true, 'the server said the picture is still');
			assert.equal(h.state, 'streaming', `state ${h.state}`);
			assert.equal(await page.isVisible('#message'), false, 'no "No video" message');
			const painted = h.painted;
			g.resume();
			await until(async () => (await hook(page)).painted > painted, 5000, 'new frames painted');
			assert.equal((await hook(page)).still, false);
			await page.context().close();
		} finally {
			await g.stop();
		}
	});
});

test('a guest that leaves and connects again (new connection, same name): open players and bookmarks find it again', async (t) => {
	await withDaemon({}, async (d) => {
		let g = await startGuest({ port: d.listenPort, name: 'demo', width: GW, height: GH, rgb: GREEN });
		const list = await openPage(browser);
		await list.goto(d.url);
		await waitListed(list, ['guest/demo']);
		const id = (await (await fetch(`${d.origin}/sources`)).json()).find((s) => s.name === 'guest/demo').id;
		const byName = await openPage(browser);
		await byName.goto(`${d.origin}/?source=guest/demo`);
		const byId = await openPage(browser);
		await byId.goto(`${d.origin}/?source=${id}`);
		await waitShowing(byName, 'guest/demo', GREEN, 10000);
		await waitShowing(byId, 'guest/demo', GREEN, 10000);
		// opened by id, the player goes on by the stable name (the id may
		// go to another stream), and says so in the address bar
		assert.equal(new URL(byId.url()).searchParams.get('source'), 'guest/demo');

		await g.stop();
		// away for longer than the players' retries (every 2 s): they keep
		// looking for it, and never settle on another screen meanwhile
		await sleep(5000);
		for (const p of [byName, byId]) {
			const h = await hook(p);
			t.diagnostic(`${p.url()}: ${h.state}, close ${JSON.stringify(h.lastClose)}, server ${h.server?.name}`);
			assert.notEqual(h.state, 'streaming');
			assert.notEqual(h.server?.name, 'pattern');
			assert.ok([4002, 4004].includes(h.lastClose?.code), `close ${JSON.stringify(h.lastClose)}`);
		}
		await list.waitForFunction(() => !window.hostencList.sources.includes('guest/demo'), null, { timeout: 10000 });
		// a bookmark opened while it is away: not available, retrying
		const bookmark = await openPage(browser);
		await bookmark.goto(`${d.origin}/?source=guest/demo`);
		await bookmark.waitForFunction(() => window.hostenc?.lastClose?.code === 4002, null, { timeout: 10000 });
		assert.notEqual((await hook(bookmark)).server?.name, 'pattern');

		g = await startGuest({ port: d.listenPort, name: 'demo', width: GW, height: GH, rgb: RED });
		try {
			const newId = (await (await fetch(`${d.origin}/sources`)).json()).find((s) => s.name === 'guest/demo')?.id;
			t.diagnostic(`guest/demo was id ${id}, is ${newId} now`);
			await waitShowing(byName, 'guest/demo', RED, 15000);
			await waitShowing(byId, 'guest/demo', RED, 15000);
			await waitShowing(bookmark, 'guest/demo', RED, 25000);
			await waitListed(list, ['guest/demo'], 15000);
		} finally {
			await g.stop();
		}
	});
});
