// SPDX-License-Identifier: LGPL-2.1-or-later
// hostencd behind nginx, exactly as docs/web.md "Behind a reverse proxy
// (nginx)" says: both blocks of that section (the nginx server block and
// hostencd's command line) are read from the document, given this test's
// certificate, name and ports, and run. Real nginx (TLS), real hostencd
// (test pattern), real chromium through playwright-core.
//
// The page is opened as https://hostenc.localhost:PORT/ (chromium resolves
// every *.localhost name to loopback): a name hostencd accepts only because
// the recipe's --allow-host names it, so the Host check is exercised.
//
// Run with meson (suite "proxy") or:
//   HOSTENCD=build/daemon/hostencd node --require ./preflight.cjs --test test-proxy.mjs
// $HOSTENC_WEB_DOC: another copy of docs/web.md to take the recipe from.
import { spawn, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
	SOURCE_ROOT, canvasPixels, freePort, hook, launchBrowser, startDaemon, until, waitPainted,
} from '../browser/lib/harness.mjs';
import { readCode, stripRect } from '../browser/lib/pattern.mjs';

const W = 640, H = 360;
const NAME = 'hostenc.localhost';
const TOKEN = 'proxy-test-token';
const DOC = process.env.HOSTENC_WEB_DOC || path.join(SOURCE_ROOT, 'docs', 'web.md');
const SECTION = '### Behind a reverse proxy (nginx)';

/** The section's fenced blocks: [{lang, text}]. */
function recipeBlocks(doc) {
	const start = doc.indexOf(`${SECTION}\n`);
	assert.ok(start >= 0, `${DOC}: no section "${SECTION}"`);
	const rest = doc.slice(start + SECTION.length);
	const end = rest.search(/^#{2,3} /m);
	const section = end < 0 ? rest : rest.slice(0, end);
	return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], text: m[2] }));
}

/** Replace `from` (a string or regexp) in text, insisting that it is there. */
function must(text, from, to, what) {
	const found = typeof from === 'string' ? text.includes(from) : from.test(text);
	assert.ok(found, `the recipe in ${DOC} changed (no ${what}: ${from}): update tests/proxy`);
	return typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to);
}

/** The recipe with this test's name, ports and files: {server, args}. */
function recipe(ports, cert, key) {
	const blocks = recipeBlocks(fs.readFileSync(DOC, 'utf8'));
	const conf = blocks.find((b) => b.lang === 'nginx');
	const cmd = blocks.find((b) => b.lang === 'sh' && /^hostencd /.test(b.text));
	assert.ok(conf, `no nginx block in "${SECTION}"`);
	assert.ok(cmd, `no hostencd command line in "${SECTION}"`);

	let server = conf.text;
	server = must(server, /^(\s*)listen 443 ssl;/m, `$1listen 127.0.0.1:${ports.proxy} ssl;`, 'listen 443 ssl');
	server = must(server, '/etc/ssl/hostenc/fullchain.pem', cert, 'certificate');
	server = must(server, '/etc/ssl/hostenc/privkey.pem', key, 'key');
	server = server.split('hostenc.example.org').join(NAME);
	server = must(server, 'http://127.0.0.1:8080', `http://127.0.0.1:${ports.hostencd}`, 'proxy_pass');

	// The name and the origin need not be there: what they do is tested.
	let line = cmd.text.replace(/\\\n/g, ' ');
	// The origin has the port when nginx is not on 443.
	line = line.split('https://hostenc.example.org').join(`https://${NAME}:${ports.proxy}`);
	line = line.split('hostenc.example.org').join(NAME);
	line = must(line, 'TOKEN', TOKEN, 'token');
	const args = line.trim().split(/\s+/).slice(1);
	// startDaemon gives --http itself (this test's port): the recipe's must be loopback.
	const http = args.indexOf('--http');
	assert.ok(http >= 0 && args[http + 1] === '127.0.0.1:8080', `hostencd's --http in the recipe: ${line}`);
	args.splice(http, 2);
	return { server, args };
}

/** nginx.conf around the recipe's server block: everything in dir, no root needed. */
function nginxConf(dir, server) {
	const user = process.getuid() === 0 ? 'user root root;\n' : '';
	return `${user}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
events { worker_connections 64; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
${server}
}
`;
}

/** One request to nginx (TLS, its certificate not checked): {status, headers, body}. */
function request(port, p, { host = `${NAME}:${port}`, headers = {}, upgrade = false } = {}) {
	const ws = upgrade ? {
		Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
		'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
	} : {};
	return new Promise((resolve, reject) => {
		const req = https.request({
			host: '127.0.0.1', port, path: p, servername: NAME, rejectUnauthorized: false,
			agent: false, headers: { Host: host, ...ws, ...headers },
		});
		req.setTimeout(10000, () => req.destroy(new Error(`no answer to ${p} in 10 s`)));
		req.on('upgrade', (res, socket) => { socket.destroy(); resolve({ status: 101, headers: res.headers, body: '' }); });
		req.on('response', (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (c) => { body += c; });
			res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
		});
		req.on('error', reject);
		req.end();
	});
}

let dir, nginx, nginxLog = '', daemon, browser, context, origin;

/** e with the tails of nginx's and hostencd's logs. */
function withLogs(e) {
	const tail = (s) => s.split('\n').filter((l) => !/GLib-GIO-DEBUG|libsoup-DEBUG/.test(l)).slice(-30).join('\n');
	let errorLog = '';
	try { errorLog = fs.readFileSync(path.join(dir, 'error.log'), 'utf8'); } catch { /* none yet */ }
	return new Error(`${e.stack || e.message}\n--- nginx ---\n${tail(nginxLog + errorLog)}\n` +
			 `--- hostencd ${daemon?.args.join(' ')} ---\n${tail(daemon?.log || '')}`, { cause: e });
}

/** Run body(); on failure add the logs. */
async function logged(body) {
	try {
		return await body();
	} catch (e) {
		throw withLogs(e);
	}
}

before(async () => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostenc-proxy-'));
	const cert = path.join(dir, 'cert.pem'), key = path.join(dir, 'key.pem');
	const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
		'-out', cert, '-days', '2', '-subj', `/CN=${NAME}`, '-addext', `subjectAltName=DNS:${NAME}`],
	{ encoding: 'utf8' });
	assert.equal(ssl.status, 0, `openssl: ${ssl.stderr}`);

	const ports = { proxy: await freePort(), hostencd: await freePort() };
	const { server, args } = recipe(ports, cert, key);
	fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(dir, server));
	origin = `https://${NAME}:${ports.proxy}`;

	daemon = await startDaemon({ httpPort: ports.hostencd, size: `${W}x${H}`, extra: args });
	nginx = spawn(process.env.NGINX || 'nginx',
		['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')],
		{ stdio: ['ignore', 'pipe', 'pipe'] });
	nginx.stdout.on('data', (b) => { nginxLog += b; });
	nginx.stderr.on('data', (b) => { nginxLog += b; });
	nginx.exited = null;
	nginx.once('exit', (code, signal) => { nginx.exited = { code, signal }; });
	await logged(() => until(async () => {
		if (nginx.exited)
			throw new Error(`nginx exited (${JSON.stringify(nginx.exited)})`);
		return (await request(ports.proxy, '/')).status > 0; // any answer: the tests judge it
	}, 15000, 'nginx to answer', 100));

	browser = await launchBrowser();
	// The certificate is this test's own: chromium takes it without asking.
	context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
});

after(async () => {
	await browser?.close();
	if (nginx && !nginx.exited) {
		const done = new Promise((r) => nginx.once('exit', r));
		nginx.kill('SIGQUIT'); // graceful: workers finish, then the master exits
		const t = setTimeout(() => nginx.kill('SIGKILL'), 5000);
		await done;
		clearTimeout(t);
	}
	await daemon?.stop();
	const unclean = daemon && daemon.exited?.code !== 0 ?
		withLogs(new Error(`hostencd did not exit cleanly after SIGTERM: ${JSON.stringify(daemon.exited)}`)) : null;
	if (dir)
		fs.rmSync(dir, { recursive: true, force: true });
	if (unclean)
		throw unclean;
});

/** The code strip from the page's canvas (the test pattern's frame, key and click counters). */
async function code(page) {
	return readCode(await canvasPixels(page, stripRect(W, H)), W, H);
}

let page; // the page with the token, shared by the tests below in order

test('through nginx the page decodes video: frames paint and the frame counter advances', () => logged(async () => {
	page = await context.newPage();
	const r = await page.goto(`${origin}/?token=${TOKEN}&source=0`);
	assert.equal(r.status(), 200, `the page through nginx: ${await r.text()}`);
	assert.equal(await page.evaluate(() => window.isSecureContext), true, 'https: a secure context');
	// Generous: a sanitizer build on a busy 2-core machine starts slowly.
	await waitPainted(page, 20000, 5);
	const h = await hook(page);
	assert.equal(h.state, 'streaming');
	assert.equal(h.server.width, W);
	assert.equal(h.server.height, H);
	assert.match(h.server.codec, /^avc1\.[0-9a-f]{6}$/);
	assert.ok(h.decoded >= h.painted, `decoded ${h.decoded}, painted ${h.painted}`);
	const a = await code(page);
	await until(async () => (await code(page)).frame > a.frame + 10, 10000,
		    `the pattern's frame counter past ${a.frame + 10} on the canvas`, 100);
}));

test('keyboard and pointer reach hostencd through nginx (the pattern draws them)', () => logged(async () => {
	const c0 = await code(page);
	assert.equal(c0.keyCount, 0);
	assert.equal(c0.clickCount, 0);
	await page.click('#screen', { position: { x: 100, y: 60 } });
	await page.keyboard.press('a');
	// KEY_A = 30: the page sends KeyboardEvent.code, hostencd translates it.
	await until(async () => {
		const c = await code(page);
		return c.keyCode === 30 && c.keyCount >= 1 && c.clickCount >= 1;
	}, 10000, "key 'a' and a click on the pattern's code strip", 100);
}));

test('/stats and /metrics answer through nginx with the token, and count this page', () => logged(async () => {
	const { port } = new URL(origin);
	const { viewer: number } = await hook(page);
	const r = await request(port, `/stats?token=${TOKEN}`);
	assert.equal(r.status, 200, r.body);
	assert.match(r.headers['content-type'] || '', /json/);
	const stats = JSON.parse(r.body);
	const viewer = (stats.viewers || []).find((v) => v.viewer === number);
	assert.ok(viewer, `this page's viewer (${number}) in /stats: ${JSON.stringify(stats.viewers)}`);
	assert.ok(viewer.sent > 0, `access units sent through the proxy: ${viewer.sent}`);
	assert.ok(viewer.input_events >= 3, `input events through the proxy (click, key): ${viewer.input_events}`);
	const bearer = await request(port, '/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } });
	assert.equal(bearer.status, 200, 'the Authorization header passes through nginx');
	assert.match(bearer.body, /^hostenc_build_info\{/m);
	assert.equal((await request(port, '/stats')).status, 401, '/stats without the token');
}));

test('without the token the page is refused through nginx, and says why', () => logged(async () => {
	const bad = await context.newPage();
	await bad.goto(`${origin}/?source=0`);
	await until(() => bad.evaluate(() => window.hostenc?.state === 'unauthorized'), 15000, 'state unauthorized');
	assert.equal(await bad.textContent('#message-text'), 'Access denied: this page needs the right token');
	assert.equal((await hook(bad)).painted, 0);
	await bad.close();
	const { port } = new URL(origin);
	assert.equal((await request(port, '/ws/stream?source=0', { upgrade: true, headers: { Origin: origin } })).status,
		     401, 'an upgrade without the token');
	assert.equal((await request(port, `/ws/stream?source=0&token=${TOKEN}`,
				    { upgrade: true, headers: { Origin: origin } })).status, 101, 'with it');
}));

test('through nginx another site\'s Origin gets 403 and an unknown Host 421', () => logged(async () => {
	const { port } = new URL(origin);
	const ws = `/ws/stream?source=0&token=${TOKEN}`;
	assert.equal((await request(port, ws, { upgrade: true, headers: { Origin: 'https://evil.example' } })).status,
		     403, 'a page of another site');
	// A rebinding page names its own site in Host; nginx forwards it as it is.
	for (const p of ['/', `/stats?token=${TOKEN}`])
		assert.equal((await request(port, p, { host: 'evil.example' })).status, 421, `${p} for evil.example`);
	assert.equal((await request(port, ws, { host: 'evil.example', upgrade: true,
						headers: { Origin: 'https://evil.example' } })).status,
		     421, 'an upgrade for evil.example');
}));

test('the stream goes on through nginx, and the token is not in nginx\'s access log', () => logged(async () => {
	const n = (await hook(page)).painted;
	await sleep(2000);
	await waitPainted(page, 10000, n + 20);
	const h = await hook(page);
	assert.equal(h.state, 'streaming');
	assert.equal(h.connects, 1, 'one WebSocket all along');
	const log = path.join(dir, 'access.log');
	assert.ok(!(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').includes(TOKEN),
		  "the token in nginx's access log");
	await page.close();
}));
