// File modes for a VM's own files. Under qemu:///system libvirt's dynamic_ownership chowns each
// disk and the seed ISO to the QEMU user (libvirt-qemu on Debian) while the domain runs, so owner
// read/write is all QEMU needs; the folder only has to be enterable, never listable, by others.

/** VM_DIR_MODE is a VM's folder (and <images>/vms/): owner full, others may enter but not list. */
export const VM_DIR_MODE = 0o711;

/** VM_FILE_MODE is every VM disk and seed ISO: owner only (libvirt hands it to QEMU at start). */
export const VM_FILE_MODE = 0o600;
