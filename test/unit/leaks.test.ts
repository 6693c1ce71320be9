import { findLeaks } from '../helpers/leaks.js';

describe('findLeaks', () => {
  const secrets = { token: 'hf_abcdef123456', key: 'a/b+c=d secret' };
  it('finds raw, base64 and URL-encoded forms and names where', () => {
    const leaks = findLeaks(
      {
        stdout: 'token hf_abcdef123456 printed',
        summary: `b64 ${Buffer.from('a/b+c=d secret').toString('base64')}`,
        env: `X=${encodeURIComponent('a/b+c=d secret')}`,
        clean: 'nothing here ***'
      },
      secrets
    );
    expect(leaks).toEqual([
      { where: 'stdout', secretName: 'token', form: 'raw' },
      { where: 'summary', secretName: 'key', form: 'base64' },
      { where: 'env', secretName: 'key', form: 'url' }
    ]);
  });
});
