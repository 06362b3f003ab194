import { enableCompileCache } from 'node:module';
enableCompileCache('/tmp/office/cc2');
const tck = 100;
const { readFileSync } = await import('node:fs');
const cpu = () => { const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const c0 = cpu(); const t0 = performance.now();
for (const m of process.argv.slice(2)) await import(m);
console.log(process.argv.slice(2).join(' ').padEnd(60), 'cpu', cpu() - c0, 'ms wall', Math.round(performance.now() - t0));
