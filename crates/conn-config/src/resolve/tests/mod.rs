//! Table-driven tests of the resolution rules. Each row prints its input on failure.

/// A table: one tuple per `;`-ended row, each on a line or two.
macro_rules! rows {
    ($($($e:expr),+;)*) => { vec![$(($($e),+)),*] };
}

mod credentials;
mod errors;
mod limits;
mod security;
mod sources;
mod target;

use super::rules::timeout::{TimeoutProblem, timeout_value};
use super::*;
use crate::{Auth, Error, Field, Key, MapEnv, Origin, TlsMode, TlsSpec};
use secrecy::ExposeSecret;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

/// An environment as name/value pairs.
type Vars = &'static [(&'static str, &'static str)];
/// (row name, environment, arguments, expected).
type Row1 = (&'static str, Vars, ConnectArgs, &'static str);
/// (row name, environment, arguments, expected, expected origin).
type Row2 = (&'static str, Vars, ConnectArgs, &'static str, &'static str);

fn resolver(env: &[(&str, &str)]) -> Resolver<MapEnv> {
    Resolver::with_env(MapEnv::from_pairs(env.iter().copied())).dotenv(DotEnv::Disabled)
}

/// What a row expects of a successful resolution.
#[derive(Debug, Default, Clone, Copy)]
struct Expect {
    address: &'static str,
    secure: bool,
    db: &'static str,
    /// The decoded `authorization` header (`user:password` or the token), "" for none.
    auth: &'static str,
    /// `Display` of the target's origin, "" to skip.
    target_origin: &'static str,
}

fn check(row: &str, spec: &ConnectionSpec, e: &Expect) {
    use base64::Engine as _;
    assert_eq!(spec.target().address(), e.address, "address: {row}");
    assert_eq!(spec.is_secure(), e.secure, "secure: {row}");
    assert_eq!(spec.db_name().as_str(), e.db, "db: {row}");
    let auth = spec
        .authorization()
        .map(|h| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(h.expose_secret())
                .expect("base64");
            String::from_utf8(bytes).expect("utf8")
        })
        .unwrap_or_default();
    assert_eq!(auth, e.auth, "auth: {row}");
    if !e.target_origin.is_empty() {
        assert_eq!(
            spec.origin(Field::Target).to_string(),
            e.target_origin,
            "target origin: {row}"
        );
    }
}

fn ok(row: &str, r: &Resolver<MapEnv>, args: &ConnectArgs, e: Expect) {
    match r.resolve(args) {
        Ok(spec) => check(row, &spec, &e),
        Err(errs) => panic!("{row}: unexpected error: {errs}"),
    }
}

fn err(row: &str, r: &Resolver<MapEnv>, args: &ConnectArgs, needles: &[&str]) -> Errors {
    match r.resolve(args) {
        Ok(spec) => panic!("{row}: expected an error, got {spec:?}"),
        Err(errs) => {
            let text = errs.to_string();
            for n in needles {
                assert!(text.contains(n), "{row}: {text:?} does not contain {n:?}");
            }
            errs
        }
    }
}
