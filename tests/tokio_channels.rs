//! Placeholder: filled by the tokio-shaped primitives work.
