//! Host ABI glue: the signatures of compiled regions and of the slow-path
//! helpers, the `preserve_all` thunks that call those helpers, and the
//! trampoline through which the engine enters compiled code.
//!
//! Talks to: `jit` (which compiles the thunks and trampoline once per
//! engine), `runtime` (the `JitCtx` layout the thunks use).

use cranelift_codegen::ir::{AbiParam, InstBuilder, MemFlagsData, Signature, types};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;

use super::I64;
use crate::jit::runtime;

/// The signature of compiled regions: `(cpu) -> exit code`, in the `tail`
/// convention so that regions chain with tail calls. `cpu` is the
/// `CpuState` of a `runtime::Frame`: the code finds its `JitCtx` at a fixed
/// offset from it and holds no host address.
pub fn region_signature() -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::new(I64));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// `(ctx, addr, size) -> value`: the slow-path load helper.
pub fn load_signature(cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    sig.params.extend([AbiParam::new(I64), AbiParam::new(I64), AbiParam::new(types::I32)]);
    sig.returns.push(AbiParam::new(I64));
    sig
}

/// `(ctx, addr, size, value) -> status`: the slow-path store helper.
pub fn store_signature(cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    sig.params.extend([
        AbiParam::new(I64),
        AbiParam::new(I64),
        AbiParam::new(types::I32),
        AbiParam::new(I64),
    ]);
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// The signature of the slow-path thunks: `(ctx)` and no result, in the
/// `preserve_all` convention, so a call binds one argument register only.
pub fn thunk_signature() -> Signature {
    let mut sig = Signature::new(CallConv::PreserveAll);
    sig.params.push(AbiParam::new(I64));
    sig
}

/// A thunk in the `preserve_all` convention that calls the `extern "C"`
/// helper whose address the `JitCtx` holds at offset `helper_at`, of
/// signature `helper_sig`, with the `JitCtx` it is passed and the
/// arguments compiled code left in
/// `JitCtx::slow_args`, and stores its result in
/// `JitCtx::slow_result`. Compiled code calls helpers through such thunks,
/// so a rarely taken slow path clobbers no register and constrains none:
/// the values live across it need not sit in callee-saved registers, on the
/// stack, or in argument registers. The result goes through memory because
/// Cranelift's `preserve_all` restores the return register too.
pub fn lower_thunk(b: &mut FunctionBuilder, helper_at: i32, helper_sig: Signature) {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let ctx = b.block_params(entry)[0];
    let mut args = vec![ctx];
    for (i, p) in helper_sig.params[1..].iter().enumerate() {
        let off = runtime::offsets::SLOW_ARGS + 8 * i as i32;
        // Little-endian host: a narrower argument is the low part.
        args.push(b.ins().load(p.value_type, MemFlagsData::trusted(), ctx, off));
    }
    let wide = helper_sig.returns[0].value_type == I64;
    let sig = b.import_signature(helper_sig);
    let f = b.ins().load(I64, MemFlagsData::trusted(), ctx, helper_at);
    let call = b.ins().call_indirect(sig, f, &args);
    let r = b.inst_results(call)[0];
    let r = if wide { r } else { b.ins().uextend(I64, r) };
    b.ins().store(MemFlagsData::trusted(), r, ctx, runtime::offsets::SLOW_RESULT);
    b.ins().return_(&[]);
    b.seal_all_blocks();
}

/// The trampoline through which the engine enters compiled code:
/// `extern "C" fn(cpu, region) -> exit code`, calling `region` (a
/// `tail`-convention function, which Rust cannot call directly). With
/// direct accesses (`chained_fuel`) it also copies the fuel to
/// `JitCtx::chain_fuel`, where regions expect it on entry and leave it for
/// the region they chain to.
pub fn lower_trampoline(b: &mut FunctionBuilder, chained_fuel: bool) {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    if chained_fuel {
        let ctx = runtime::offsets::CTX_FROM_CPU;
        let flags = MemFlagsData::trusted();
        let fuel = b.ins().load(I64, flags, params[0], ctx + runtime::offsets::FUEL);
        b.ins().store(flags, fuel, params[0], ctx + runtime::offsets::CHAIN_FUEL);
    }
    let sig = b.import_signature(region_signature());
    let call = b.ins().call_indirect(sig, params[1], &[params[0]]);
    let code = b.inst_results(call)[0];
    b.ins().return_(&[code]);
    b.seal_all_blocks();
}

/// The trampoline's signature, in the host convention `host_cc`.
pub fn trampoline_signature(host_cc: CallConv) -> Signature {
    let mut sig = Signature::new(host_cc);
    sig.params.extend([AbiParam::new(I64), AbiParam::new(I64)]);
    sig.returns.push(AbiParam::new(types::I32));
    sig
}
