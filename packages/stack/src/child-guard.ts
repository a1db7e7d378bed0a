// Preloaded (`node --import`) into every process that the stack or the benchmark harness spawns. The parent
// keeps an IPC channel open to the child; when the parent disappears without stopping it (a crash,
// `kill -9`), the channel closes and the child sends itself SIGTERM, so its own graceful shutdown still runs
// and no service outlives the stack that started it. The channel is unref'd: it never keeps the child alive.
const channel = process.channel;
if (channel) {
  channel.unref();
  process.once('disconnect', () => {
    process.kill(process.pid, 'SIGTERM');
  });
}
