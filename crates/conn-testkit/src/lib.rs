//! Invariants of conn-config's resolution, shared by its property tests
//! (`crates/conn-config/tests/properties.rs`) and the fuzz targets (`fuzz/` at the top of
//! the workspace).
//!
//! Each `check_*` function panics, with a message that names the broken invariant, when a
//! value breaks it: that is what proptest and libFuzzer detect. This crate is not
//! published: conn-config's tests use it as a dev-dependency and `fuzz/Cargo.toml` as a
//! path dependency, so the published library carries none of these panicking helpers.
//!
//! # Secrets
//!
//! A check cannot tell a leaked password from a host that happens to be spelled the same,
//! so secrets are searched for only when they cannot appear legitimately: a caller passes
//! the secrets it fed in and the public inputs beside them to [`checkable_secrets`], which
//! keeps the secrets that hold [`MARKER`] (in any case) when no public input holds it, raw
//! or percent-decoded. For those, any appearance of the marker in an output is a leak of
//! at least part of a secret. Property tests build their secrets around the marker; fuzz
//! targets find it through their dictionary.
//!
//! ```
//! use conn_config::ConnectArgs;
//! use conn_testkit::{check_resolution, checkable_secrets, split_uri_password};
//!
//! let uri = "http://root:QzX-s3cret@localhost:19530/db1";
//! let (password, public) = split_uri_password(uri, false);
//! assert_eq!(password, Some("QzX-s3cret"));
//! let secrets = checkable_secrets(&[password.unwrap_or("")], &[public.as_str()]);
//! assert_eq!(secrets, ["QzX-s3cret"]);
//! // Ok: the spec is checked and round-tripped; Err: the errors are checked.
//! check_resolution(&ConnectArgs::new().uri(uri).resolve_isolated(), &secrets);
//! ```

mod dotenv;
mod secrets;
mod spec;

pub use dotenv::{
    Classify, DotEnvLine, DotEnvLineKind, check_dotenv_error_lines, check_dotenv_lines,
    check_dotenv_origin_lines, check_dotenv_parse, dotenv_lines,
};
pub use secrets::{
    MARKER, check_args_redacted, check_no_secret, checkable_secrets, holds_marker,
    split_uri_password, uri_scheme,
};
pub use spec::{check_errors, check_limits, check_resolution, check_round_trip, check_spec};
