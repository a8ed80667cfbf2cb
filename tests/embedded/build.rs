//! Puts the memory layout of the target's architecture where the linker
//! scripts of cortex-m-rt and riscv-rt look for `memory.x`.

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let layout = match arch.as_str() {
        "arm" => "memory-cortex-m.x",
        "riscv32" => "memory-riscv.x",
        // A host build (`cargo check` without a target) links nothing.
        _ => return,
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy(layout, out.join("memory.x")).expect("copy the memory layout");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={layout}");
    println!("cargo:rerun-if-changed=build.rs");
}
