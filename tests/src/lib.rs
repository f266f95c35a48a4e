//! Shared helpers for the cross-crate integration tests.

pub mod conformance;
pub mod fixtures;
pub mod lite;
pub mod milvus;
