//! Links GCC's unwinder into berth rather than loading it from libgcc_s.so as berth starts.
//!
//! On `*-linux-gnu`, std takes the unwinder (`_Unwind_*`) from the shared libgcc_s, whose
//! constructor probes the CPU with `cpuid` (slow under a hypervisor), and loading it is one
//! more library for the dynamic loader: 0.11 ms of every start (issue 17, bench/startup.md).
//! libgcc_eh.a is the same unwinder as a static archive, the one std itself links when
//! linked statically, and it comes in the same gcc package as libgcc_s.so's link-time file.
//! Named here, it comes before std's `-lgcc_s` on the link line and answers the `_Unwind_*`
//! symbols, so the linker (`--as-needed`) leaves libgcc_s out.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    // With crt-static, std links libgcc_eh already.
    let crt_static = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|feature| feature == "crt-static");
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" && !crt_static
    {
        println!("cargo::rustc-link-lib=static=gcc_eh");
    }
}
