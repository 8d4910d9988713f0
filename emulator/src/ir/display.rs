//! Text form of the IR, used by `--dump-ir` and by tests.

use std::fmt;

use super::float::{FpCond, FpFormat, FpOp, IntNan, MinMax, RoundingMode};
use super::{Block, Exit, Op, Width};

impl fmt::Display for Width {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.bits())
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Jump(pc) => write!(f, "jump {pc:#x}"),
            Exit::JumpIndirect(t) => write!(f, "jump t{}", t.0),
            Exit::Syscall { next_pc } => write!(f, "syscall -> {next_pc:#x}"),
            Exit::Trap { kind, pc } => write!(f, "trap {kind:?} at {pc:#x}"),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Insn { pc, len } => write!(f, "-- {pc:#x} ({len} bytes)"),
            Op::Const { dst, value } => write!(f, "  t{} = {value:#x}", dst.0),
            Op::Get { dst, slot } => write!(f, "  t{} = s{}", dst.0, slot.0),
            Op::Set { slot, src } => write!(f, "  s{} = t{}", slot.0, src.0),
            Op::Bin { op, dst, a, b } => write!(f, "  t{} = {op:?} t{}, t{}", dst.0, a.0, b.0),
            Op::Un { op, dst, src } => write!(f, "  t{} = {op:?} t{}", dst.0, src.0),
            Op::Select { dst, cond, if_true, if_false } => {
                write!(f, "  t{} = t{} ? t{} : t{}", dst.0, cond.0, if_true.0, if_false.0)
            }
            Op::Load { dst, addr, width, signed, endian } => write!(
                f,
                "  t{} = load.{}{width}.{} [t{}]",
                dst.0,
                if signed { "s" } else { "u" },
                if endian == super::Endian::Big { "be" } else { "le" },
                addr.0
            ),
            Op::Store { addr, src, width, endian } => write!(
                f,
                "  store.{width}.{} [t{}] = t{}",
                if endian == super::Endian::Big { "be" } else { "le" },
                addr.0,
                src.0
            ),
            Op::Counter { dst, counter } => write!(f, "  t{} = counter {counter:?}", dst.0),
            Op::BranchIf { cond, target } => write!(f, "  if t{} goto L{}", cond.0, target.0),
            Op::Label(l) => write!(f, "L{}:", l.0),
            Op::ExitIf { cond, exit } => write!(f, "  if t{} exit {exit}", cond.0),
            Op::Fp { insn, dst, a, b, c, rm, flags } => {
                write!(f, "  t{} = {}.{}", dst.0, insn.op, insn.fmt)?;
                let args = [a, b, c];
                for (i, t) in args[..insn.op.arity()].iter().enumerate() {
                    write!(f, "{} t{}", if i == 0 { "" } else { "," }, t.0)?;
                }
                if insn.op.rounds() {
                    write!(f, " rm=t{}", rm.0)?;
                }
                write!(f, " flags|=s{}", flags.0)
            }
            Op::Vec { insn, dst, a, b, c } => write!(
                f,
                "  t{} = vec.{:?}.e{} t{}, t{}, t{}",
                dst.0,
                insn.op,
                8u32 << insn.esize,
                a.0,
                b.0,
                c.0
            ),
            Op::Hook { id, pc, mem: None } => write!(f, "  hook {id} insn {pc:#x}"),
            Op::Hook { id, pc, mem: Some(m) } => write!(
                f,
                "  hook {id} {} {pc:#x} [t{}] t{} w{}",
                if m.store { "store" } else { "load" },
                m.addr.0,
                m.value.0,
                m.width
            ),
        }
    }
}

impl fmt::Display for FpFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FpFormat::F32 => "f32",
            FpFormat::F64 => "f64",
        })
    }
}

impl fmt::Display for RoundingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RoundingMode::NearestEven => "rne",
            RoundingMode::TowardZero => "rtz",
            RoundingMode::Down => "rdn",
            RoundingMode::Up => "rup",
            RoundingMode::NearestAway => "rmm",
            RoundingMode::Odd => "rod",
        })
    }
}

impl fmt::Display for FpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mm = |k: MinMax| match k {
            MinMax::Number => "num",
            MinMax::NumberQuietOnly => "qnum",
            MinMax::Propagate => "nan",
        };
        match *self {
            FpOp::Add => f.write_str("fadd"),
            FpOp::Sub => f.write_str("fsub"),
            FpOp::Mul => f.write_str("fmul"),
            FpOp::MulX => f.write_str("fmulx"),
            FpOp::Div => f.write_str("fdiv"),
            FpOp::Sqrt => f.write_str("fsqrt"),
            FpOp::MulAdd => f.write_str("fmuladd"),
            FpOp::AddMul => f.write_str("faddmul"),
            FpOp::RoundInt { exact } => f.write_str(if exact { "frint.exact" } else { "frint" }),
            FpOp::Min(k) => write!(f, "fmin.{}", mm(k)),
            FpOp::Max(k) => write!(f, "fmax.{}", mm(k)),
            FpOp::Cmp { cond, signaling } => {
                let c = match cond {
                    FpCond::Eq => "eq",
                    FpCond::Lt => "lt",
                    FpCond::Le => "le",
                    FpCond::Unordered => "uo",
                };
                write!(f, "fcmp.{c}{}", if signaling { ".sig" } else { "" })
            }
            FpOp::Class => f.write_str("fclass"),
            FpOp::ToInt { width, signed, nan } => {
                let n = match nan {
                    IntNan::Max => "max",
                    IntNan::Min => "min",
                    IntNan::Zero => "zero",
                };
                write!(f, "fcvt.{}{width}.nan={n}", if signed { "s" } else { "u" })
            }
            FpOp::FromInt { width, signed } => {
                write!(f, "fcvt.from.{}{width}", if signed { "s" } else { "u" })
            }
            FpOp::Convert { to } => write!(f, "fcvt.{to}"),
            FpOp::RecipEst => f.write_str("frecpe"),
            FpOp::RsqrtEst => f.write_str("frsqrte"),
            FpOp::RecipStep => f.write_str("frecps"),
            FpOp::RsqrtStep => f.write_str("frsqrts"),
            FpOp::RecpX => f.write_str("frecpx"),
            FpOp::ToHalf { ahp } => f.write_str(if ahp { "fcvt.ahp" } else { "fcvt.f16" }),
            FpOp::FromHalf { ahp } => {
                f.write_str(if ahp { "fcvt.from.ahp" } else { "fcvt.from.f16" })
            }
        }
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "block {:#x}: {} insns, {} temps", self.pc, self.insn_count, self.num_temps)?;
        for op in &self.ops {
            writeln!(f, "{op}")?;
        }
        writeln!(f, "  exit {}", self.exit)
    }
}
