//! Compile errors of `#[tapestry::test]`: each spanned on the offending token, naming the
//! valid choices. `TRYBUILD=overwrite cargo test --test ui` rewrites the expected `.stderr`.

#[test]
fn compile_errors() {
    trybuild::TestCases::new().compile_fail("ui/*.rs");
}
