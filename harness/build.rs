//! Tells the crate whether it is built without optimisation, so that an unoptimised build can
//! say once, visibly, that explorations run several times slower and how to fix it. (A cfg,
//! not an environment variable: cargo also sets a build script's variables when it runs the
//! package's tests, where a `TAPESTRY_*` one would look like a misspelt knob.)

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(tapestry_unoptimised)");
    if std::env::var("OPT_LEVEL").as_deref() == Ok("0") {
        println!("cargo::rustc-cfg=tapestry_unoptimised");
    }
}
