//! The `#[tapestry::test]` attribute; use it through the `tapestry` crate.
