// The client's upload on its way upstream, and what happens when upstream answers before it has all arrived.
//
// undici reads a PassThrough that the client's request is piped into, never the request itself: when upstream
// answers a PUT before the whole body reached it (a refusal from the headers: 413, 507, 400, …), undici destroys
// the body stream it was given, and destroying the client's request would reset the client's connection before
// it could read the answer. So an early answer is read whole (it is a small problem+json: http-proxy's
// readEarlyAnswer), then the pipe is cut: not one more byte of the refused upload goes upstream. The rest of
// the client's body is read and thrown away by the kit's lingering close (the answer carries `Connection: close`),
// so the client reads the answer instead of a reset.
import { PassThrough, type Readable } from 'node:stream';

export class Upload {
  /** what undici sends upstream */
  readonly toUpstream = new PassThrough();
  private broke = false;

  constructor(private readonly from: Readable) {
    from.pipe(this.toUpstream);
    // pipe() does not pass errors on: a client that breaks off must end the upstream request too.
    from.once('error', (error) => {
      this.broke = true;
      this.toUpstream.destroy(error);
    });
  }

  /** Whether the client's body broke off (the client left or was cut off), as opposed to upstream refusing it. */
  get clientBroke(): boolean {
    return this.broke || (this.from as Readable & { aborted?: boolean }).aborted === true;
  }

  /** Stops sending upstream; the client's request is left for the lingering close to drain. */
  stop(): void {
    this.from.unpipe(this.toUpstream);
    this.toUpstream.destroy();
  }
}
