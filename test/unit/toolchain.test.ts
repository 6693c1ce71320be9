describe('toolchain', () => {
  it('runs tests on Node 24, which @kubernetes/client-node 2 needs', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });
});
