//! Sets `cfg(loom)` for this crate alone, as `RUSTFLAGS="--cfg loom"` would for a loom user.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(loom)");
    println!("cargo::rustc-cfg=loom");
}
