//! riscv64 decoder (to be filled).
