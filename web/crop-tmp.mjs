import { chromium } from 'playwright-core';
import fs from 'node:fs';
const [,, file, y, h, out, w] = process.argv;
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const p = await b.newPage({ viewport: { width: Number(w || 1280), height: Number(h) } });
const data = fs.readFileSync(file).toString('base64');
await p.setContent(`<body style="margin:0"><img src="data:image/png;base64,${data}" style="display:block;margin-top:-${y}px"></body>`);
await p.screenshot({ path: out });
await b.close();
