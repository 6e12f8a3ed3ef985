// SPDX-License-Identifier: GPL-2.0-or-later
// A real VM in the page: hostenc-vm's demo guest (Debian's kernel and
// busybox, TCG) attached to a real hostencd, watched and driven from
// Debian's headless chromium. The guest's serial console is the test's
// hand inside the VM: it draws known colours into the framebuffer, reads
// what was typed, the pointer events the guest's kernel got, and the
// display mode.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, spawnSync } from 'node:child_process';

import {
	canvasPixels, colourStats, hook, launchBrowser, openPage, saveArtifact, startDaemon, until,
	waitPainted,
} from './lib/harness.mjs';
import { makeVmDir, startVm, vmUnavailable } from './lib/vm.mjs';

const skip = vmUnavailable() || false; // node:test skips on null too
let browser, daemon, vm, vmDir;

before(async () => {
	if (skip)
		return;
	vmDir = makeVmDir();
	daemon = await startDaemon({ vmDir });
	browser = await launchBrowser();
	vm = await startVm(vmDir);
	await until(async () => {
		const s = await (await fetch(`${daemon.origin}/sources`)).json();
		return s.some((x) => x.name === 'vm1/0');
	}, 30000, 'hostencd to offer vm1/0');
});

after(async () => {
	await vm?.stop();
	await browser?.close();
	await daemon?.stop();
	if (vmDir)
		fs.rmSync(vmDir, { recursive: true, force: true });
});

/** Canvas pixel of guest pixel (gx, gy), in page CSS pixels (object-fit: contain). */
async function cssPoint(page, gx, gy) {
	const box = await page.locator('#screen').boundingBox();
	const { w, h } = await page.evaluate(() => {
		const c = document.getElementById('screen');
		return { w: c.width, h: c.height };
	});
	const scale = Math.min(box.width / w, box.height / h);
	return {
		x: box.x + (box.width - w * scale) / 2 + (gx + 0.5) * scale,
		y: box.y + (box.height - h * scale) / 2 + (gy + 0.5) * scale,
	};
}

async function waitColour(page, rect, rgb, what) {
	let last;
	await until(async () => {
		const px = await canvasPixels(page, rect);
		last = colourStats(px, rect, rgb, 3);
		return last.meanErr <= 10 && last.worst <= 48;
	}, 15000, `${what}: ${JSON.stringify(rect)} in ${rgb} (last: mean ${last?.mean?.map((v) => v.toFixed(0))})`, 200);
}

test('the guest\'s screen reaches the page: colours drawn in the guest, sampled on the canvas', { skip }, async () => {
	const page = await openPage(browser, { viewport: { width: 1400, height: 900 } });
	await page.goto(`${daemon.url}?source=vm1/0&resize=0`);
	await waitPainted(page, 30000);
	const h = await hook(page);
	assert.equal(h.server.name, 'vm1/0');
	assert.equal(h.server.input, true);
	assert.equal(h.server.pointer, 'absolute', 'the demo VM has a USB tablet');
	assert.match(await vm.serial.run('hostenc-fbdemo info'), /^fb0 1280x800 /m);
	await vm.serial.run('hostenc-fbdemo fill 700 420 160 120 ff0000; hostenc-fbdemo fill 900 420 160 120 00c0ff');
	await waitColour(page, { x: 700, y: 420, w: 160, h: 120 }, [255, 0, 0], 'red block');
	await waitColour(page, { x: 900, y: 420, w: 160, h: 120 }, [0, 192, 255], 'blue block');
	saveArtifact('vm-screen.png', await page.screenshot());
	await page.context().close();
});

test('text typed in the page appears in the guest; a click lands on the same guest pixel', { skip }, async () => {
	const page = await openPage(browser, { viewport: { width: 1400, height: 900 } });
	await page.goto(`${daemon.url}?source=vm1/0&resize=0`);
	await waitPainted(page, 30000);
	await vm.serial.run('rm -f /tmp/ev; (hostenc-fbdemo events 12 30 > /tmp/ev 2>&1 &)');
	await until(async () => /listening/.test(await vm.serial.run('cat /tmp/ev')), 20000, 'the event reader');

	const target = { x: 321, y: 611 };
	const p = await cssPoint(page, target.x, target.y);
	await page.mouse.click(p.x, p.y);
	const lines = await until(async () => {
		const out = await vm.serial.run('cat /tmp/ev');
		return /^1 272 0$/m.test(out) ? out : null; // BTN_LEFT released
	}, 20000, 'the click in the guest\'s evdev events', 300);
	const abs = (code) => {
		const m = [...lines.matchAll(new RegExp(`^3 ${code} (\\d+)$`, 'gm'))];
		return m.length ? Number(m[m.length - 1][1]) : null;
	};
	const ax = abs(0), ay = abs(1);
	assert.ok(ax !== null && ay !== null, `absolute X and Y events in:\n${lines}`);
	assert.match(lines, /^1 272 1$/m, 'BTN_LEFT pressed');
	// QEMU's tablet scales console pixels to 0..0x7fff.
	const gx = ax * 1280 / 0x7fff, gy = ay * 800 / 0x7fff;
	assert.ok(Math.abs(gx - target.x) <= 2 && Math.abs(gy - target.y) <= 2,
		  `click at guest ${gx.toFixed(1)},${gy.toFixed(1)}, expected ${target.x},${target.y}`);

	// The click focused the canvas; now type a line.
	await page.keyboard.type('hello42');
	await page.keyboard.press('Enter');
	await until(async () => /hello42/.test(await vm.serial.run('cat /tmp/typed 2>/dev/null')),
		    20000, '"hello42" in the guest\'s /tmp/typed', 300);
	await page.context().close();
});

test('the page\'s size becomes the guest\'s mode and the stream\'s size, odd sizes exact; the Resize VM toggle stops and restarts it', { skip }, async () => {
	const page = await openPage(browser, { viewport: { width: 1001, height: 700 } });
	await page.goto(`${daemon.url}?source=vm1/0`);
	await waitPainted(page, 30000);
	const asked = await until(async () => (await hook(page)).askedSize, 5000, 'the page to ask for a size');
	await until(async () => {
		const m = await vm.serial.run('head -1 /sys/class/drm/card0-Virtual-1/modes');
		return m.trim() === `${asked.width}x${asked.height}`;
	}, 30000, `the guest's preferred mode to become ${asked.width}x${asked.height}`, 500);
	await until(async () => {
		const s = (await hook(page)).server;
		return s && s.width === asked.width && s.height === asked.height;
	}, 30000, `the stream to become ${asked.width}x${asked.height}`, 200);
	const c = await page.evaluate(() => ({ w: document.getElementById('screen').width,
					     h: document.getElementById('screen').height }));
	assert.deepEqual(c, { w: asked.width, h: asked.height }, 'the canvas shows exactly the guest\'s size');
	// The last column and row are the guest's own pixels.
	const W = asked.width, H = asked.height;
	await vm.serial.run(`hostenc-fbdemo fill ${W - 40} ${H - 30} 40 30 ff00ff`);
	await waitColour(page, { x: W - 40, y: H - 30, w: 40, h: 30 }, [255, 0, 255], 'the bottom-right corner');
	saveArtifact('vm-resized.png', await page.screenshot());

	// "Resize VM" off: the window changes, the machine keeps its mode;
	// on again: it follows.
	assert.equal(await page.isVisible('#resize-button'), true, 'the toggle is offered for this VM');
	await page.click('#resize-button');
	assert.equal(await page.getAttribute('#resize-button', 'aria-pressed'), 'false');
	await page.setViewportSize({ width: 901, height: 640 });
	await sleep(1500); // past the 400 ms debounce
	assert.deepEqual((await hook(page)).askedSize, asked, 'no size asked while the toggle is off');
	assert.equal((await vm.serial.run('head -1 /sys/class/drm/card0-Virtual-1/modes')).trim(),
		     `${asked.width}x${asked.height}`, 'the guest kept its mode');
	await page.click('#resize-button');
	const again = await until(async () => {
		const a = (await hook(page)).askedSize;
		return a && (a.width !== asked.width || a.height !== asked.height) ? a : null;
	}, 5000, 'the page to ask for the new size once the toggle is on');
	await until(async () => {
		const m = await vm.serial.run('head -1 /sys/class/drm/card0-Virtual-1/modes');
		return m.trim() === `${again.width}x${again.height}`;
	}, 30000, `the guest's preferred mode to become ${again.width}x${again.height}`, 500);
	await page.context().close();
});

test('QEMU killed: other streams go on, the page says the machine stopped, and recovers when it is back', { skip }, async () => {
	const page = await openPage(browser, { viewport: { width: 1400, height: 900 } });
	await page.goto(`${daemon.url}?source=vm1/0&resize=0`);
	await waitPainted(page, 30000);
	const pattern = await openPage(browser);
	await pattern.goto(`${daemon.url}?source=pattern`);
	await waitPainted(pattern, 10000);

	const { pid } = JSON.parse(fs.readFileSync(path.join(vm.dir, 'vm.json'), 'utf8'));
	process.kill(pid, 'SIGKILL');
	await until(() => page.evaluate(() => window.hostenc.state === 'stopped'), 15000, 'state stopped');
	assert.match(await page.textContent('#message'), /machine stopped/i);
	const sources = await (await fetch(`${daemon.origin}/sources`)).json();
	assert.ok(!sources.some((s) => s.name === 'vm1/0'), 'the VM\'s stream is gone');
	assert.ok(sources.some((s) => s.name === 'pattern'), 'the pattern is still offered');
	const before = (await hook(pattern)).painted;
	await sleep(1000);
	assert.ok((await hook(pattern)).painted > before, 'the pattern page kept painting');
	await vm.stop();

	vm = await startVm(vmDir);
	const painted = (await hook(page)).painted;
	await until(async () => (await hook(page)).painted > painted && (await hook(page)).state === 'streaming',
		    90000, 'the page to paint the VM again by itself');
	assert.equal(await page.isVisible('#message'), false);
	await page.context().close();
	await pattern.context().close();
});

test('a VM on a D-Bus bus (--vm-bus NAME=ADDRESS) is shown too', { skip }, async () => {
	const dir = makeVmDir();
	const busPath = path.join(dir, 'bus');
	const bus = spawnSync('dbus-daemon', ['--session', '--print-address=1', '--print-pid=1', '--fork',
					     `--address=unix:path=${busPath}`], { encoding: 'utf8' });
	assert.equal(bus.status, 0, `dbus-daemon: ${bus.stderr}`);
	const [address, busPid] = bus.stdout.split('\n').map((l) => l.trim());
	const qemu = spawn('qemu-system-x86_64', ['-nodefaults', '-accel', 'tcg', '-m', '64', '-vga', 'std',
						  '-display', 'dbus', '-name', 'busvm'],
			   { stdio: 'ignore', env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address } });
	let d;
	try {
		d = await startDaemon({ vmDir: path.join(dir, 'vms'), extra: ['--vm-bus', `bvm=${address}`] });
		await until(async () => (await (await fetch(`${d.origin}/sources`)).json())
			.some((x) => x.name === 'bvm/0'), 30000, 'bvm/0 offered');
		const page = await openPage(browser);
		await page.goto(`${d.url}?source=bvm/0`);
		await waitPainted(page, 30000);
		const h = await hook(page);
		assert.equal(h.server.name, 'bvm/0');
		// std VGA with a PS/2 mouse and no tablet: relative motion, so a
		// click on the canvas asks for pointer lock.
		assert.equal(h.server.pointer, 'relative');
		await page.click('#screen');
		assert.ok((await hook(page)).pointerLockRequested >= 1, 'pointer lock requested');
		await page.context().close();
	} finally {
		qemu.kill('SIGKILL');
		await d?.stop();
		try { process.kill(Number(busPid)); } catch { /* already gone */ }
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
