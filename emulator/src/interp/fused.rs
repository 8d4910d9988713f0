//! The interpreter's own form of a block: its IR ops as *steps*, where the
//! common register-transfer runs of a lifted instruction (read a register,
//! take a constant, combine, wrap the result to a word, write a register
//! back or use it as an address) are one step each.
//!
//! Why: the interpreter is bound by its dispatch (one indirect jump per
//! op, badly predicted), and a lifted instruction is four to six ops, most
//! of them `Get`, `Const`, `Bin` and `Set`. A joined step does exactly what
//! its ops do, in their order: it writes every temporary they write (later
//! ops may read them) and reads registers before it writes one; only its
//! last op may be a load or store, which faults as that op would. No step
//! spans an instruction marker, a label or an exit, so instruction
//! boundaries, fuel and faults stay where the ops put them, and resuming at
//! a marker or branching to a label lands on a step. Every other op is a
//! step of its own, run by the reference handler in `exec_block_from`.
//!
//! Built once per prepared block by [`Steps::new`]; read only by
//! `interp::exec_block_from`.

use crate::ir::{BinOp, Block, Endian, Exit, Label, Op, Slot, Temp, UnOp, Width};

/// One step of a block. The common ops have a variant of their own, so
/// that one jump on the step's tag dispatches them; the rare ones go
/// through [`Step::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    Insn {
        pc: u64,
    },
    Const {
        dst: Temp,
        value: u64,
    },
    Get {
        dst: Temp,
        slot: Slot,
    },
    Set {
        slot: Slot,
        src: Temp,
    },
    Bin {
        op: BinOp,
        dst: Temp,
        a: Temp,
        b: Temp,
    },
    Un {
        op: UnOp,
        dst: Temp,
        src: Temp,
    },
    Load {
        dst: Temp,
        addr: Temp,
        width: Width,
        signed: bool,
        endian: Endian,
    },
    Store {
        addr: Temp,
        src: Temp,
        width: Width,
        endian: Endian,
    },
    BranchIf {
        cond: Temp,
        target: Label,
    },
    Label,
    ExitIf {
        cond: Temp,
        exit: Exit,
    },
    /// Any other op, run as it is.
    Other(Op),
    /// `Const dst = value; Set slot = dst`.
    ConstSet {
        dst: Temp,
        value: u64,
        slot: Slot,
    },
    /// `Get dst = from; Set to = dst`.
    GetSet {
        dst: Temp,
        from: Slot,
        to: Slot,
    },
    /// `Get a = from; Const k = value; Bin dst = op a, k`, and with `set`,
    /// `Set set = dst`. Its fields are not a [`RegImm`]: so nested, the
    /// step ran riscv64 `bench` about a fifth slower under the interpreter.
    GetConstBin {
        op: BinOp,
        a: Temp,
        from: Slot,
        k: Temp,
        value: u64,
        dst: Temp,
        set: Option<Slot>,
    },
    /// `Get a = sa; Get b = sb; Bin dst = op a, b`, and with `set`,
    /// `Set set = dst` (`a` and `b` differ).
    GetGetBin {
        op: BinOp,
        a: Temp,
        sa: Slot,
        b: Temp,
        sb: Slot,
        dst: Temp,
        set: Option<Slot>,
    },
    /// `Bin dst = op a, b; Set slot = dst`.
    BinSet {
        op: BinOp,
        a: Temp,
        b: Temp,
        dst: Temp,
        slot: Slot,
    },
    /// `Const k = value; Bin dst = op a, k` (`a` is not `k`).
    ConstBin {
        op: BinOp,
        a: Temp,
        k: Temp,
        value: u64,
        dst: Temp,
    },
    /// `Get a = from; Un dst = op a`.
    GetUn {
        op: UnOp,
        a: Temp,
        from: Slot,
        dst: Temp,
    },
    /// `Un dst = op a; Set slot = dst`.
    UnSet {
        op: UnOp,
        a: Temp,
        dst: Temp,
        slot: Slot,
    },
    /// `Get a = from; Const k = value; Bin d = op a, k; Load dst = [d]`:
    /// a register plus an offset, loaded from.
    AddrLoad {
        at: RegImm,
        dst: Temp,
        width: Width,
        signed: bool,
        endian: Endian,
    },
    /// `Get a = from; Const k = value; Bin d = op a, k; Get v = src;
    /// Store [d] = v` (`v` is none of the other three).
    AddrStore {
        at: RegImm,
        v: Temp,
        src: Slot,
        width: Width,
        endian: Endian,
    },
    /// [`Step::GetConstBin`] with `Un z = un d` between the `Bin` and the
    /// `Set` (of `z`): a 32-bit guest's address or sum wrapped to its
    /// word (`Zext32`), or a 64-bit guest's word operation (`Sext32`).
    /// Its fields are not nested either, which keeps every step in 40
    /// bytes.
    GetConstBinUn {
        op: BinOp,
        un: UnOp,
        a: Temp,
        from: Slot,
        k: Temp,
        value: u64,
        d: Temp,
        z: Temp,
        set: Option<Slot>,
    },
    /// [`Step::GetGetBin`] with `Un z = un d` after the `Bin`.
    GetGetBinUn {
        op: BinOp,
        un: UnOp,
        a: Temp,
        sa: Slot,
        b: Temp,
        sb: Slot,
        d: Temp,
        z: Temp,
        set: Option<Slot>,
    },
    /// [`Step::AddrLoad`] from `z` (`Un z = un d` after the `Bin`).
    AddrUnLoad {
        op: BinOp,
        un: UnOp,
        a: Temp,
        from: Slot,
        k: Temp,
        value: u64,
        d: Temp,
        z: Temp,
        dst: Temp,
        width: Width,
        signed: bool,
        endian: Endian,
    },
    /// [`Step::AddrStore`] to `z` (`Un z = un d` after the `Bin`; `v` is
    /// none of the other four).
    AddrUnStore {
        op: BinOp,
        un: UnOp,
        a: Temp,
        from: Slot,
        k: Temp,
        value: u64,
        d: Temp,
        z: Temp,
        v: Temp,
        src: Slot,
        width: Width,
        endian: Endian,
    },
}

/// `Get a = from; Const k = value; Bin d = op a, k` (`a` is not `k`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RegImm {
    pub op: BinOp,
    pub a: Temp,
    pub from: Slot,
    pub k: Temp,
    pub value: u64,
    pub d: Temp,
}

/// A block's steps, with where its markers and labels start.
#[derive(Debug)]
pub(super) struct Steps {
    pub steps: Box<[Step]>,
    /// `(op index, step index)` of each instruction marker, in order.
    markers: Box<[(u32, u32)]>,
    /// Step index of each label.
    pub label: Box<[u32]>,
}

impl Steps {
    pub fn new(block: &Block) -> Steps {
        Steps::build(block, fuse)
    }

    /// One step per op, nothing joined: the reference the joined steps are
    /// tested against.
    #[cfg(test)]
    pub fn unfused(block: &Block) -> Steps {
        Steps::build(block, |ops| (plain(ops[0]), 1))
    }

    /// The steps `next` makes of `block`'s ops: from the ops at a step's
    /// start, the step and how many ops it covers.
    ///
    /// The steps are gathered in a buffer the thread keeps and then copied
    /// into one allocation of their exact size: a vector sized for the ops
    /// and shrunk afterwards cost an allocation and a reallocation per
    /// block, and blocks get their steps the first time they run, which
    /// for cold code is nearly every block lifted.
    fn build(block: &Block, next: impl Fn(&[Op]) -> (Step, usize)) -> Steps {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<Step>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let ops = &block.ops;
        let mut markers = Vec::with_capacity(block.insn_count as usize);
        let mut label = vec![0u32; block.num_labels as usize];
        let steps = SCRATCH.with_borrow_mut(|steps| {
            steps.clear();
            let mut i = 0;
            while i < ops.len() {
                let (step, len) = next(&ops[i..]);
                match &ops[i] {
                    Op::Insn { .. } => markers.push((i as u32, steps.len() as u32)),
                    &Op::Label(l) => label[l.0 as usize] = steps.len() as u32,
                    _ => {}
                }
                steps.push(step);
                i += len;
            }
            Box::<[Step]>::from(steps.as_slice())
        });
        Steps { steps, markers: markers.into(), label: label.into() }
    }

    /// The step of the instruction marker at op index `op`; `None` when
    /// no marker is there.
    pub fn marker_step(&self, op: usize) -> Option<usize> {
        let at = self.markers.binary_search_by_key(&(op as u32), |m| m.0).ok()?;
        Some(self.markers[at].1 as usize)
    }
}

/// The step starting at `ops[0]` and how many ops it covers.
///
/// Dispatched on the first op's kind, then the second's: every block
/// lifted gets its steps built once, and for cold code (run a few times,
/// nearly every block of a process's start) building them cost as much as
/// running them. Matching each joined shape's whole slice pattern in turn
/// tested the first op's kind once per shape. It and the shapes that
/// start with a register plus a constant stay out of line: inlined into
/// the loop that builds a block's steps, their code made that loop spill,
/// and armel's start took a tenth more host instructions.
#[inline(never)]
fn fuse(ops: &[Op]) -> (Step, usize) {
    // A trailing `Set` of the combined value, taken when it follows.
    let set_of = |at: usize, dst: Temp| match ops.get(at) {
        Some(&Op::Set { slot, src }) if src == dst => Some(slot),
        _ => None,
    };
    match ops[0] {
        Op::Get { dst: a, slot: from } => match ops.get(1) {
            // A register plus a constant, and what uses the result.
            Some(&Op::Const { dst: k, value }) => {
                if let Some(&Op::Bin { op, dst: d, a: x, b: y }) = ops.get(2)
                    && x == a
                    && y == k
                    && a != k
                {
                    if let Some(&Op::Un { op: un, dst: z, src }) = ops.get(3)
                        && src == d
                    {
                        let at = RegImm { op, a, from, k, value, d };
                        return reg_imm_un(at, un, z, &ops[4..], set_of(4, z));
                    }
                    return reg_imm(RegImm { op, a, from, k, value, d }, &ops[3..], set_of(3, d));
                }
            }
            Some(&Op::Get { dst: b, slot: sb }) => {
                if let Some(&Op::Bin { op, dst, a: x, b: y }) = ops.get(2)
                    && x == a
                    && y == b
                    && a != b
                {
                    if let Some(&Op::Un { op: un, dst: z, src }) = ops.get(3)
                        && src == dst
                    {
                        let set = set_of(4, z);
                        let step = Step::GetGetBinUn { op, un, a, sa: from, b, sb, d: dst, z, set };
                        return (step, 4 + set.is_some() as usize);
                    }
                    let set = set_of(3, dst);
                    return (
                        Step::GetGetBin { op, a, sa: from, b, sb, dst, set },
                        3 + set.is_some() as usize,
                    );
                }
            }
            Some(&Op::Set { slot: to, src }) if src == a => {
                return (Step::GetSet { dst: a, from, to }, 2);
            }
            Some(&Op::Un { op, dst, src }) if src == a => {
                return (Step::GetUn { op, a, from, dst }, 2);
            }
            _ => {}
        },
        Op::Const { dst: k, value } => match ops.get(1) {
            Some(&Op::Set { slot, src }) if src == k => {
                return (Step::ConstSet { dst: k, value, slot }, 2);
            }
            Some(&Op::Bin { op, dst, a, b }) if b == k && a != k => {
                return (Step::ConstBin { op, a, k, value, dst }, 2);
            }
            _ => {}
        },
        Op::Bin { op, dst, a, b } => {
            if let Some(slot) = set_of(1, dst) {
                return (Step::BinSet { op, a, b, dst, slot }, 2);
            }
        }
        Op::Un { op, dst, src: a } => {
            if let Some(slot) = set_of(1, dst) {
                return (Step::UnSet { op, a, dst, slot }, 2);
            }
        }
        _ => {}
    }
    (plain(ops[0]), 1)
}

/// The step of a register plus a constant (`at`, its ops first) and what
/// uses the result in `rest`: a load or a store through it, or else the
/// value itself, with `set`, the `Set` of it that follows.
#[inline(never)]
fn reg_imm(at: RegImm, rest: &[Op], set: Option<Slot>) -> (Step, usize) {
    let d = at.d;
    match *rest {
        [Op::Load { dst, addr, width, signed, endian }, ..] if addr == d => {
            (Step::AddrLoad { at, dst, width, signed, endian }, 4)
        }
        [Op::Get { dst: v, slot: src }, Op::Store { addr, src: s, width, endian }, ..]
            if addr == d && s == v && ![at.a, at.k, d].contains(&v) =>
        {
            (Step::AddrStore { at, v, src, width, endian }, 5)
        }
        _ => {
            let RegImm { op, a, from, k, value, d: dst } = at;
            (Step::GetConstBin { op, a, from, k, value, dst, set }, 3 + set.is_some() as usize)
        }
    }
}

/// As [`reg_imm`], with `Un z = un d` after the `Bin` and `rest` after
/// that; `set` is the `Set` of `z` that follows.
#[inline(never)]
fn reg_imm_un(at: RegImm, un: UnOp, z: Temp, rest: &[Op], set: Option<Slot>) -> (Step, usize) {
    let RegImm { op, a, from, k, value, d } = at;
    match *rest {
        [Op::Load { dst, addr, width, signed, endian }, ..] if addr == z => {
            let step =
                Step::AddrUnLoad { op, un, a, from, k, value, d, z, dst, width, signed, endian };
            (step, 5)
        }
        [Op::Get { dst: v, slot: src }, Op::Store { addr, src: s, width, endian }, ..]
            if addr == z && s == v && ![a, k, d, z].contains(&v) =>
        {
            let step = Step::AddrUnStore { op, un, a, from, k, value, d, z, v, src, width, endian };
            (step, 6)
        }
        _ => (
            Step::GetConstBinUn { op, un, a, from, k, value, d, z, set },
            4 + set.is_some() as usize,
        ),
    }
}

/// The step of one op.
fn plain(op: Op) -> Step {
    match op {
        Op::Insn { pc, .. } => Step::Insn { pc },
        Op::Const { dst, value } => Step::Const { dst, value },
        Op::Get { dst, slot } => Step::Get { dst, slot },
        Op::Set { slot, src } => Step::Set { slot, src },
        Op::Bin { op, dst, a, b } => Step::Bin { op, dst, a, b },
        Op::Un { op, dst, src } => Step::Un { op, dst, src },
        Op::Load { dst, addr, width, signed, endian } => {
            Step::Load { dst, addr, width, signed, endian }
        }
        Op::Store { addr, src, width, endian } => Step::Store { addr, src, width, endian },
        Op::BranchIf { cond, target } => Step::BranchIf { cond, target },
        Op::Label(_) => Step::Label,
        Op::ExitIf { cond, exit } => Step::ExitIf { cond, exit },
        Op::Select { .. }
        | Op::Counter { .. }
        | Op::Hook { .. }
        | Op::Fp { .. }
        | Op::Vec { .. } => Step::Other(op),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(ops: Vec<Op>, num_labels: u32) -> Block {
        Block {
            pc: 0x1000,
            byte_len: 4,
            insn_count: 1,
            ops,
            exit: Exit::Jump(0x1004),
            num_temps: 8,
            num_labels,
        }
    }

    #[test]
    fn register_transfers_fuse_and_markers_and_labels_start_steps() {
        let (t0, t1, t2) = (Temp(0), Temp(1), Temp(2));
        let ops = vec![
            Op::Insn { pc: 0x1000, len: 4 },
            Op::Get { dst: t0, slot: Slot(3) },
            Op::Const { dst: t1, value: 8 },
            Op::Bin { op: BinOp::Add, dst: t2, a: t0, b: t1 },
            Op::Set { slot: Slot(3), src: t2 },
            Op::Label(Label(0)),
            Op::Const { dst: t0, value: 1 },
            Op::Set { slot: Slot(4), src: t0 },
            Op::Get { dst: t0, slot: Slot(4) },
            Op::Get { dst: t1, slot: Slot(5) },
            Op::Bin { op: BinOp::Xor, dst: t2, a: t0, b: t1 },
        ];
        let s = Steps::new(&block(ops, 1));
        assert_eq!(s.steps.len(), 5);
        assert_eq!(s.steps[0], Step::Insn { pc: 0x1000 });
        assert!(matches!(s.steps[1], Step::GetConstBin { set: Some(Slot(3)), value: 8, .. }));
        assert_eq!(s.steps[2], Step::Label);
        assert!(matches!(s.steps[3], Step::ConstSet { slot: Slot(4), value: 1, .. }));
        assert!(matches!(s.steps[4], Step::GetGetBin { op: BinOp::Xor, set: None, .. }));
        assert_eq!(s.marker_step(0), Some(0));
        assert_eq!(s.marker_step(1), None);
        assert_eq!(&s.label[..], &[2]);
    }

    #[test]
    fn runs_that_do_not_match_exactly_stay_ops() {
        let (t0, t1, t2) = (Temp(0), Temp(1), Temp(2));
        // The constant is the first operand, and the same temporary is
        // read twice: neither matches a fused shape.
        let ops = vec![
            Op::Get { dst: t0, slot: Slot(3) },
            Op::Const { dst: t1, value: 8 },
            Op::Bin { op: BinOp::Sub, dst: t2, a: t1, b: t0 },
            Op::Get { dst: t0, slot: Slot(3) },
            Op::Get { dst: t0, slot: Slot(4) },
            Op::Bin { op: BinOp::Add, dst: t2, a: t0, b: t0 },
        ];
        let s = Steps::new(&block(ops.clone(), 0));
        let one_each: Vec<Step> = ops.iter().map(|&op| plain(op)).collect();
        assert_eq!(&s.steps[..], &one_each[..]);
    }

    #[test]
    fn a_step_takes_no_more_than_forty_bytes() {
        // Blocks keep their steps for as long as they are cached: a step
        // of 48 bytes would be a fifth more memory, all of it fresh.
        assert!(std::mem::size_of::<Step>() <= 40, "{}", std::mem::size_of::<Step>());
    }

    #[test]
    fn every_joined_shape_is_found_where_it_starts() {
        let (a, b, c, d) = (Temp(0), Temp(1), Temp(2), Temp(3));
        let (r1, r2) = (Slot(1), Slot(2));
        let add = BinOp::Add;
        let (w, le) = (Width::W32, Endian::Little);
        let get = |dst, slot| Op::Get { dst, slot };
        let k = |dst| Op::Const { dst, value: 4 };
        let bin = |dst, a, b| Op::Bin { op: add, dst, a, b };
        let set = |slot, src| Op::Set { slot, src };
        let un = |dst, src| Op::Un { op: UnOp::Not, dst, src };
        let load = Op::Load { dst: d, addr: c, width: w, signed: false, endian: le };
        let store = Op::Store { addr: c, src: d, width: w, endian: le };
        let e = Temp(4);
        let zx = |dst, src| Op::Un { op: UnOp::Zext32, dst, src };
        let ld = |addr| Op::Load { dst: d, addr, width: w, signed: true, endian: le };
        let st = |addr| Op::Store { addr, src: d, width: w, endian: le };
        // (ops, the step's kind, ops it covers); an `Insn` marker follows
        // each run so that nothing after it could join.
        let cases: &[(&[Op], &str, usize)] = &[
            (&[get(a, r1), k(b), bin(c, a, b), load], "AddrLoad", 4),
            (&[get(a, r1), k(b), bin(c, a, b), get(d, r2), store], "AddrStore", 5),
            (&[get(a, r1), k(b), bin(c, a, b), set(r2, c)], "GetConstBin", 4),
            (&[get(a, r1), k(b), bin(c, a, b)], "GetConstBin", 3),
            (&[get(a, r1), get(b, r2), bin(c, a, b), set(r1, c)], "GetGetBin", 4),
            (&[get(a, r1), get(b, r2), bin(c, a, b)], "GetGetBin", 3),
            (&[get(a, r1), set(r2, a)], "GetSet", 2),
            (&[get(a, r1), un(b, a)], "GetUn", 2),
            (&[k(a), set(r1, a)], "ConstSet", 2),
            (&[k(b), bin(c, a, b)], "ConstBin", 2),
            (&[bin(c, a, b), set(r1, c)], "BinSet", 2),
            (&[un(b, a), set(r1, b)], "UnSet", 2),
            (&[get(a, r1), k(b), bin(c, a, b), zx(e, c), ld(e)], "AddrUnLoad", 5),
            (&[get(a, r1), k(b), bin(c, a, b), zx(e, c), get(d, r2), st(e)], "AddrUnStore", 6),
            (&[get(a, r1), k(b), bin(c, a, b), zx(e, c), set(r2, e)], "GetConstBinUn", 5),
            (&[get(a, r1), k(b), bin(c, a, b), zx(e, c)], "GetConstBinUn", 4),
            (&[get(a, r1), get(b, r2), bin(c, a, b), zx(e, c), set(r1, e)], "GetGetBinUn", 5),
            (&[get(a, r1), get(b, r2), bin(c, a, b), zx(e, c)], "GetGetBinUn", 4),
            // Near misses: operands in the other order, a value that is
            // not the one combined, a store of the address itself.
            (&[get(a, r1), k(b), bin(c, b, a)], "Get", 1),
            (&[get(a, r1), get(b, r2), bin(c, b, a)], "Get", 1),
            (&[k(b), bin(c, b, a)], "Const", 1),
            (&[bin(c, a, b), set(r1, a)], "Bin", 1),
            (&[un(b, a), set(r1, a)], "Un", 1),
            (&[get(a, r1), k(b), bin(c, a, b), get(c, r2), store], "GetConstBin", 3),
            (&[get(a, r1), k(b), bin(c, a, b), zx(e, a)], "GetConstBin", 3),
            (&[get(a, r1), k(b), bin(c, a, b), zx(e, c), set(r2, c)], "GetConstBinUn", 4),
            (&[get(a, r1), k(b), bin(c, a, b), zx(e, c), ld(c)], "GetConstBinUn", 4),
            (&[get(a, r1), k(b), bin(c, a, b), zx(e, c), get(c, r2), st(e)], "GetConstBinUn", 4),
            (&[get(a, r1), get(b, r2), bin(c, a, b), zx(e, b)], "GetGetBin", 3),
        ];
        for &(ops, kind, len) in cases {
            let mut all = ops.to_vec();
            all.push(Op::Insn { pc: 0x1004, len: 4 });
            let (step, covered) = fuse(&all);
            let name = format!("{step:?}");
            assert!(
                name.starts_with(kind) && name[kind.len()..].starts_with([' ', '(', '{']),
                "{ops:?} gave {name}"
            );
            assert_eq!(covered, len, "{ops:?}");
        }
    }
}
