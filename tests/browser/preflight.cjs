// SPDX-License-Identifier: LGPL-2.1-or-later
// Loaded with `node --require` before the test runner starts (it runs in the
// runner's own process): exits 77, meson's "skipped", when what the browser
// tests need is missing. scripts/setup installs both, so in CI they run.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const why = [];
if (!fs.existsSync(chromium))
	why.push(`${chromium} not found (Debian package chromium; run scripts/setup as root)`);
try {
	require.resolve('playwright-core', { paths: [__dirname] });
} catch {
	why.push(`${path.join(__dirname, 'node_modules')}/playwright-core missing ` +
		 '(run scripts/setup as root, or npm ci in tests/browser)');
}
if (why.length) {
	console.log(`SKIP browser tests: ${why.join('; ')}`);
	process.exit(77);
}
