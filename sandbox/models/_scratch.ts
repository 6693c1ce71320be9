import { packArenaInstaller } from '../arena/pack.js';
console.time('pack');
const r = await packArenaInstaller({ version: '0.15.2', arch: 'amd64', outDir: '/tmp/serving/pack' });
console.timeEnd('pack');
console.log(r);
