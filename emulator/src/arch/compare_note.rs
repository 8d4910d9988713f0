//! A compare remembered from one instruction of a block to the next, in
//! the block's note (`BlockBuilder::note`): the lifters of guests whose
//! branches test flags or condition fields set by an earlier compare
//! (`arm_cond` for Arm, the powerpc64 lifter for CR fields) evaluate such
//! a branch as one comparison of the compare's operands, which compiled
//! code fuses with the host branch.
//!
//! Sound because a block's temps keep their values to its end, and
//! because the lifter forgets the compare wherever it writes what the
//! compare set by other means (and does not remember a compare that may
//! be skipped). Only the lifter reads the note; engines never do.

use crate::ir::{BlockBuilder, Temp};

/// The operands `a` and `b` of the compare whose result is current, and
/// a frontend-defined tag of up to 8 bits (width, signedness, field).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct CompareNote {
    pub a: Temp,
    pub b: Temp,
    pub tag: u8,
}

const VALID: u64 = 1 << 63;
/// Bits of each temp number: a block holds a few thousand temps at most;
/// a larger number just forgoes the shortcut.
const TEMP_BITS: u32 = 27;
const TEMP_MASK: u64 = (1 << TEMP_BITS) - 1;

impl CompareNote {
    pub fn remember(self, bb: &mut BlockBuilder) {
        let fits = |t: Temp| u64::from(t.0) <= TEMP_MASK;
        let note = if fits(self.a) && fits(self.b) {
            VALID
                | u64::from(self.tag) << (2 * TEMP_BITS)
                | u64::from(self.a.0) << TEMP_BITS
                | u64::from(self.b.0)
        } else {
            0
        };
        bb.set_note(note);
    }

    /// What the compare set was written some other way.
    pub fn forget(bb: &mut BlockBuilder) {
        bb.set_note(0);
    }

    pub fn recall(bb: &BlockBuilder) -> Option<CompareNote> {
        let note = bb.note();
        (note & VALID != 0).then_some(CompareNote {
            a: Temp(((note >> TEMP_BITS) & TEMP_MASK) as u32),
            b: Temp((note & TEMP_MASK) as u32),
            tag: (note >> (2 * TEMP_BITS)) as u8,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_round_trips_and_forgets() {
        let mut bb = BlockBuilder::new(0x1000);
        assert_eq!(CompareNote::recall(&bb), None);
        for tag in [0, 1, 0x5a, 0xff] {
            let n = CompareNote { a: Temp(5), b: Temp(TEMP_MASK as u32), tag };
            n.remember(&mut bb);
            assert_eq!(CompareNote::recall(&bb), Some(n));
        }
        CompareNote::forget(&mut bb);
        assert_eq!(CompareNote::recall(&bb), None);
        CompareNote { a: Temp(1 << TEMP_BITS), b: Temp(0), tag: 0 }.remember(&mut bb);
        assert_eq!(CompareNote::recall(&bb), None);
    }
}
