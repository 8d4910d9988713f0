//! The kuser helper page Linux maps at 0xffff0000 in every ARM process
//! (`Documentation/arm/kernel_user_helpers.rst`): glibc for ARMv5 calls
//! these for atomics and the TLS pointer. The code is Linux's own ARMv7
//! helper sequences, as A32 words; the atomic ones use `ldrex`/`strex`,
//! so they are atomic with respect to Bohr's scheduler like any other
//! guest code.
//!
//! The kernel maps [`PAGE`] read-only and executable (see
//! `Frontend::fixed_pages`).

use crate::arch::FixedPage;

/// Where the page lives.
pub const BASE: u64 = 0xffff_0000;
/// Page size of the helper page.
const SIZE: usize = 0x1000;

/// Number of helpers: `__kuser_helper_version` at 0xffff0ffc.
pub const HELPER_VERSION: u32 = 5;

/// `(offset in page, words)` of each helper.
const HELPERS: [(usize, &[u32]); 5] = [
    // __kuser_cmpxchg64 (r0 = &old, r1 = &new, r2 = ptr; C set and r0 =
    // 0 on success).
    (
        0xf60,
        &[
            0xe92d_00f0, // push    {r4, r5, r6, r7}
            0xe1c0_40d0, // ldrd    r4, r5, [r0]
            0xe1c1_60d0, // ldrd    r6, r7, [r1]
            0xf57f_f05b, // dmb     ish
            0xe1b2_0f9f, // ldrexd  r0, r1, [r2]
            0xe030_3004, // eors    r3, r0, r4
            0x0031_3005, // eorseq  r3, r1, r5
            0x01a2_3f96, // strexdeq r3, r6, r7, [r2]
            0x0333_0001, // teqeq   r3, #1
            0x0aff_fff9, // beq     0xf70
            0xf57f_f05b, // dmb     ish
            0xe273_0000, // rsbs    r0, r3, #0
            0xe8bd_00f0, // pop     {r4, r5, r6, r7}
            0xe12f_ff1e, // bx      lr
        ],
    ),
    // __kuser_memory_barrier
    (0xfa0, &[0xf57f_f05b, 0xe12f_ff1e]), // dmb ish; bx lr
    // __kuser_cmpxchg (r0 = old, r1 = new, r2 = ptr).
    (
        0xfc0,
        &[
            0xf57f_f05b, // dmb     ish
            0xe192_3f9f, // ldrex   r3, [r2]
            0xe053_3000, // subs    r3, r3, r0
            0x0182_3f91, // strexeq r3, r1, [r2]
            0x0333_0001, // teqeq   r3, #1
            0x0aff_fffa, // beq     0xfc4
            0xe273_0000, // rsbs    r0, r3, #0
            0xeaff_ffef, // b       0xfa0 (the barrier returns)
        ],
    ),
    // __kuser_get_tls
    (0xfe0, &[0xee1d_0f70, 0xe12f_ff1e]), // mrc p15, 0, r0, c13, c0, 3; bx lr
    // __kuser_helper_version
    (0xffc, &[HELPER_VERSION]),
];

const fn page() -> [u8; SIZE] {
    let mut out = [0u8; SIZE];
    let mut h = 0;
    while h < HELPERS.len() {
        let (off, words) = HELPERS[h];
        let mut i = 0;
        while i < words.len() {
            let b = words[i].to_le_bytes();
            let at = off + 4 * i;
            out[at] = b[0];
            out[at + 1] = b[1];
            out[at + 2] = b[2];
            out[at + 3] = b[3];
            i += 1;
        }
        h += 1;
    }
    out
}

static BYTES: [u8; SIZE] = page();

/// The helper page.
pub static PAGE: FixedPage = FixedPage { addr: BASE, bytes: &BYTES, name: "[vectors]" };
