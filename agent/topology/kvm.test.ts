import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capabilitiesKvmArchs, detectKvm } from './kvm.js';

const caps = (...guests: [arch: string, domains: string[]][]) =>
  `<capabilities><host><cpu><arch>x86_64</arch></cpu></host>${guests
    .map(
      ([arch, domains]) =>
        `<guest><os_type>hvm</os_type><arch name='${arch}'><wordsize>64</wordsize>${domains
          .map((d) => `<domain type='${d}'/>`)
          .join('')}</arch></guest>`,
    )
    .join('')}</capabilities>`;

// A plain file stands in for /dev/kvm: what matters is that it opens read-write.
const dir = mkdtempSync(join(tmpdir(), 'vmpool-topology-kvm-'));
const fakeKvm = join(dir, 'kvm');
writeFileSync(fakeKvm, '');
const missingKvm = join(dir, 'missing-kvm');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('capabilitiesKvmArchs', () => {
  it.each([
    ['one x86_64 guest with kvm', caps(['x86_64', ['qemu', 'kvm']]), ['x86_64']],
    [
      'kvm only on i686 and x86_64',
      caps(['i686', ['qemu', 'kvm']], ['x86_64', ['qemu', 'kvm']]),
      ['i686', 'x86_64'],
    ],
    ['kvm only on aarch64', caps(['x86_64', ['qemu']], ['aarch64', ['kvm']]), ['aarch64']],
    ['qemu (TCG) only', caps(['x86_64', ['qemu']]), []],
    ['no guests at all', '<capabilities><host/></capabilities>', []],
    ['the test driver', caps(['i686', ['test']], ['x86_64', ['test']]), []],
  ])('lists kvm arches for %s', (_label, xml, arches) => {
    expect(capabilitiesKvmArchs(xml)).toEqual(arches);
  });
});

describe('detectKvm', () => {
  it.each([
    ['kvm domain and openable device', caps(['x86_64', ['qemu', 'kvm']]), fakeKvm, true, undefined],
    [
      'no kvm domain in capabilities',
      caps(['x86_64', ['qemu']]),
      fakeKvm,
      false,
      /no guest with <domain type='kvm'>/,
    ],
    [
      'device missing',
      caps(['x86_64', ['kvm']]),
      missingKvm,
      false,
      /cannot open .*missing-kvm read-write: ENOENT/,
    ],
    ['capabilities unavailable', null, fakeKvm, false, /capabilities are unavailable/],
    ['capabilities not XML', '<capabilities><guest>', fakeKvm, false, /not valid XML/],
    ['neither', caps(['x86_64', ['qemu']]), missingKvm, false, /domain type='kvm'>; cannot open/],
  ])('with %s gives kvm=%s', (_label, xml, devKvmPath, kvm, reason) => {
    const status = detectKvm({ capabilitiesXml: xml, devKvmPath });
    expect(status.kvm).toBe(kvm);
    if (reason === undefined) expect(status.reason).toBeUndefined();
    else expect(status.reason).toMatch(reason);
  });

  it('fails the device check when the path exists but cannot be opened read-write (a directory)', () => {
    const status = detectKvm({ capabilitiesXml: caps(['x86_64', ['kvm']]), devKvmPath: dir });
    expect(status).toEqual({ kvm: false, reason: expect.stringMatching(/read-write: EISDIR/) });
  });
});
