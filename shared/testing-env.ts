/**
 * STRICT_TESTS is set by CI (VMPOOL_TEST_STRICT=1): tests that would skip when a real part is
 * missing here (libvirtd, systemd-analyze, tmpfs mounts, lscpu) run anyway and fail loudly instead.
 */
export const STRICT_TESTS = process.env.VMPOOL_TEST_STRICT === '1';
