//! Linux error numbers per arch: the [`Errno`] values live in the leaf
//! `types` module; the numbers a guest sees come from the arch's Linux ABI
//! (`linux::arch`), so the mapping lives here in the kernel.

use crate::arch::Arch;
pub use crate::types::Errno;

impl Errno {
    /// The number the guest sees on `arch`.
    pub fn for_arch(self, arch: Arch) -> u64 {
        super::arch::linux_abi(arch)
            .errno_overrides
            .iter()
            .find(|(e, _)| *e == self)
            .map_or(self.generic(), |&(_, n)| n)
    }
}

impl From<crate::mem::MemFault> for Errno {
    fn from(_: crate::mem::MemFault) -> Self {
        Errno::EFAULT
    }
}
