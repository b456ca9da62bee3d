// Loaded with `node --require` in front of a command: prints the process's peak resident memory
// when it exits, so a benchmark can report what the command itself needed.
process.on('exit', () => {
  process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
