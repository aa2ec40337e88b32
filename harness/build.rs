//! Tells the crate at what optimisation level it is built, so that an unoptimised build can say
//! once, visibly, that explorations run several times slower and how to fix it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let level = std::env::var("OPT_LEVEL").unwrap_or_default();
    println!("cargo:rustc-env=TAPESTRY_OPT_LEVEL={level}");
}
