// SPDX-License-Identifier: LGPL-2.1-or-later
// Loaded with `node --require` before the test runner starts: exits 77,
// meson's "skipped", when chromium or playwright-core (the browser tests'
// own check) or nginx or openssl is missing. scripts/setup installs all.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

require('../browser/preflight.cjs');

/** The first executable `name` in $PATH or the sbin directories. */
function which(name) {
	const dirs = (process.env.PATH || '').split(path.delimiter)
		.concat(['/usr/local/sbin', '/usr/sbin', '/sbin']);
	for (const d of dirs) {
		const p = path.join(d, name);
		try {
			fs.accessSync(p, fs.constants.X_OK);
			return p;
		} catch {
			// not here
		}
	}
	return null;
}

const why = [];
const nginx = process.env.NGINX || which('nginx');
if (!nginx || !fs.existsSync(nginx))
	why.push('nginx not found (Debian package nginx; run scripts/setup as root, or set $NGINX)');
if (!which('openssl'))
	why.push('openssl not found (Debian package openssl; run scripts/setup as root)');
if (why.length) {
	console.log(`SKIP proxy test: ${why.join('; ')}`);
	process.exit(77);
}
process.env.NGINX = nginx;
