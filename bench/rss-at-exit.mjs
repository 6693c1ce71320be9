// Preloaded (`node --import`) into a measured process: prints its peak RSS on stderr as it exits.
process.on('exit', () => process.stderr.write(`\nmaxRssKiB=${process.resourceUsage().maxRSS}\n`));
