// Preloaded (`node --import`) into a blob server started by a process test: while the file named by
// FAIL_SYNC_MARKER exists and holds `fdatasync` or `fsync`, that call fails with EIO, as on a disk that has
// gone bad. The store's file layer binds these functions when it loads, after this has replaced them.
import fs from 'node:fs';

const marker = process.env.FAIL_SYNC_MARKER;
type SyncCall = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;

function armedFor(call: string): boolean {
  try {
    return marker !== undefined && fs.readFileSync(marker, 'utf8').trim() === call;
  } catch {
    return false;
  }
}

function failing(call: 'fdatasync' | 'fsync', original: SyncCall): SyncCall {
  return (fd, callback) => {
    if (!armedFor(call)) {
      original(fd, callback);
      return;
    }
    const error: NodeJS.ErrnoException = new Error(`EIO: i/o error, ${call} (injected)`);
    error.code = 'EIO';
    error.syscall = call;
    process.nextTick(callback, error);
  };
}

fs.fdatasync = failing('fdatasync', fs.fdatasync) as typeof fs.fdatasync;
fs.fsync = failing('fsync', fs.fsync) as typeof fs.fsync;
