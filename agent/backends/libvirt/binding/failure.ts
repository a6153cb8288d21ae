/** LibvirtCallFailure is a failed libvirt call with libvirt's error fields (from libvirt.so or from libvirtd's reply). */
export class LibvirtCallFailure extends Error {
  constructor(
    readonly symbol: string,
    readonly libvirtCode: number,
    readonly domain: number,
    message: string,
  ) {
    super(message);
    this.name = 'LibvirtCallFailure';
  }
}
