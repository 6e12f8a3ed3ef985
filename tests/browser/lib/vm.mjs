// SPDX-License-Identifier: GPL-2.0-or-later
// A real VM for the browser tests: hostenc-vm's demo guest (Debian's kernel
// and busybox under TCG), its serial console as a command channel, and the
// VM directory hostencd watches.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { SOURCE_ROOT, until } from './harness.mjs';

export function hostencVmPath() {
	if (process.env.HOSTENC_VM)
		return process.env.HOSTENC_VM;
	for (const b of ['build', 'build-asan']) {
		const p = path.join(SOURCE_ROOT, b, 'vm', 'hostenc-vm');
		if (fs.existsSync(p))
			return p;
	}
	return null;
}

/** Why a real VM cannot run here, or null. */
export function vmUnavailable() {
	const qemu = ['/usr/bin/qemu-system-x86_64', '/usr/local/bin/qemu-system-x86_64'];
	if (!qemu.some((p) => fs.existsSync(p)))
		return 'qemu-system-x86_64 is not installed (scripts/setup installs qemu-system-x86)';
	if (!fs.readdirSync('/boot').some((f) => f.startsWith('vmlinuz-')))
		return 'no /boot/vmlinuz-* for the demo guest (scripts/setup installs linux-image-amd64)';
	if (!hostencVmPath())
		return 'hostenc-vm is not built';
	return null;
}

export function makeVmDir() {
	return fs.mkdtempSync(path.join(os.tmpdir(), 'hostenc-vmtest-'));
}

/** Start hostenc-vm's demo guest NAME in VM directory vmDir (under dir/vms). */
export async function startVm(vmDir, name = 'vm1') {
	const env = { ...process.env };
	env.HOSTENC_CACHE_DIR ||= path.join(SOURCE_ROOT, 'build', 'vm-cache');
	const proc = spawn(hostencVmPath(), ['--vm-dir', vmDir, '--name', name, '--accel', 'tcg'],
			   { stdio: ['ignore', 'pipe', 'pipe'], env });
	const vm = {
		proc, name, log: '', exited: null,
		dir: path.join(vmDir, name),
		async stop(signal = 'SIGINT') {
			if (this.exited)
				return this.exited;
			const done = new Promise((r) => proc.once('exit', () => r()));
			proc.kill(signal);
			const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
			await done;
			clearTimeout(t);
			return this.exited;
		},
	};
	proc.stdout.on('data', (b) => { vm.log += b; });
	proc.stderr.on('data', (b) => { vm.log += b; });
	proc.once('exit', (code, signal) => { vm.exited = { code, signal }; });
	try {
		await until(() => {
			if (vm.exited)
				throw new Error(`hostenc-vm exited early: ${JSON.stringify(vm.exited)}`);
			return fs.existsSync(path.join(vm.dir, 'vm.json'));
		}, 60000, 'the VM to be up (vm.json)', 200);
		vm.serial = await openSerial(path.join(vm.dir, 'serial.sock'));
		await vm.serial.ready(120000);
	} catch (e) {
		/* A VM left running would keep the test process alive until
		 * meson's timeout: stop it, and say what the guest printed. */
		const serial = vm.serial ? vm.serial.tail(4000) : '(not connected)';
		vm.serial?.close();
		await vm.stop('SIGKILL');
		throw new Error(`${e.message}\n--- hostenc-vm said:\n${vm.log.slice(-4000)}` +
				`\n--- the guest's serial console said (last 4000 bytes):\n${serial}`);
	}
	return vm;
}

/**
 * The guest's serial console as a command channel: run(cmd) resolves with
 * what the command printed. Under TCG on this kind of host the guest may
 * sleep until its next interrupt, so an empty line is sent every 250 ms
 * while waiting (the guest shell ignores it).
 */
async function openSerial(sockPath) {
	const sock = await new Promise((resolve, reject) => {
		const s = net.connect(sockPath, () => resolve(s));
		s.once('error', reject);
	});
	let buf = '', all = '', n = 0;
	sock.on('data', (d) => {
		const t = d.toString('latin1');
		buf += t;
		all = (all + t).slice(-16384);
	});
	return {
		/** The last n bytes the console printed, for error messages. */
		tail(bytes) { return all.slice(-bytes); },
		/* Until the guest's shell runs, what is sent is lost: ask again
		 * and again until it answers (the quotes keep the echo, if any,
		 * from looking like the answer). */
		async ready(timeoutMs) {
			buf = '';
			const ask = setInterval(() => sock.write('echo "@@""READY"\n'), 500);
			try {
				await until(() => /@@READY/.test(buf), timeoutMs, 'the guest\'s serial shell', 100);
			} finally {
				clearInterval(ask);
			}
			await sleep(300);
		},
		async run(cmd, timeoutMs = 30000) {
			const marker = `__hostenc_${process.pid}_${n++}__`;
			buf = '';
			sock.write(`${cmd}; echo "${marker.slice(0, 4)}""${marker.slice(4)}"\n`);
			const kick = setInterval(() => sock.write('\n'), 250);
			try {
				await until(() => new RegExp(`(^|\\n)${marker}`).test(buf), timeoutMs,
					    `guest command '${cmd}'`, 50);
			} finally {
				clearInterval(kick);
			}
			const out = buf.slice(0, buf.search(new RegExp(`(^|\\n)${marker}`)));
			// drop the echoed command line, if the console echoes
			return out.split(/\r?\n/).filter((l) => !l.includes(marker) && l.trim() !== '').join('\n');
		},
		close() { sock.destroy(); },
	};
}
