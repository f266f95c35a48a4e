//! Credentials: [`Auth`], [`AuthKind`].

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// How the client authenticates.
///
/// Non-exhaustive: match with a `_` arm, or use [`Auth::kind`], [`Auth::user`] and
/// [`Auth::authorization`].
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// No `authorization` header.
    None,
    /// A user name and password, sent as `base64(user:password)`.
    UserPassword {
        /// The user name.
        user: String,
        /// The password.
        password: SecretString,
    },
    /// A token (an API key, or `user:password` written as one string), sent as `base64(token)`.
    Token(SecretString),
}

impl Auth {
    /// The value of the `authorization` header: the padded standard base64 of the token or
    /// of `user:password`, with no prefix. `None` when there are no credentials.
    ///
    /// This and [`Auth::same_secret`] are the only places the crate exposes a secret.
    ///
    /// ```
    /// use conn_config::Auth;
    /// use secrecy::{ExposeSecret, SecretString};
    /// let auth = Auth::UserPassword { user: "root".into(), password: SecretString::from("Milvus") };
    /// assert_eq!(auth.authorization().unwrap().expose_secret(), "cm9vdDpNaWx2dXM=");
    /// ```
    pub fn authorization(&self) -> Option<SecretString> {
        use base64::Engine as _;
        let engine = &base64::engine::general_purpose::STANDARD;
        match self {
            Auth::None => None,
            Auth::Token(t) => Some(engine.encode(t.expose_secret()).into()),
            Auth::UserPassword { user, password } => {
                let mut plain =
                    String::with_capacity(user.len() + 1 + password.expose_secret().len());
                plain.push_str(user);
                plain.push(':');
                plain.push_str(password.expose_secret());
                let encoded = engine.encode(plain.as_bytes());
                zeroize_string(plain);
                Some(encoded.into())
            }
        }
    }

    /// The user name, for user/password authentication.
    pub fn user(&self) -> Option<&str> {
        match self {
            Auth::UserPassword { user, .. } => Some(user),
            _ => None,
        }
    }

    /// The kind of credentials: [`AuthKind::None`], [`AuthKind::UserPassword`] or
    /// [`AuthKind::Token`].
    pub fn kind(&self) -> AuthKind {
        match self {
            Auth::None => AuthKind::None,
            Auth::UserPassword { .. } => AuthKind::UserPassword,
            Auth::Token(_) => AuthKind::Token,
        }
    }

    /// Whether two credentials are the same, secrets included, without revealing either.
    pub fn same_secret(&self, other: &Auth) -> bool {
        match (self, other) {
            (Auth::None, Auth::None) => true,
            (Auth::Token(a), Auth::Token(b)) => {
                constant_time_eq(a.expose_secret().as_bytes(), b.expose_secret().as_bytes())
            }
            (
                Auth::UserPassword {
                    user: ua,
                    password: pa,
                },
                Auth::UserPassword {
                    user: ub,
                    password: pb,
                },
            ) => {
                ua == ub
                    && constant_time_eq(
                        pa.expose_secret().as_bytes(),
                        pb.expose_secret().as_bytes(),
                    )
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::UserPassword { user, .. } => f
                .debug_struct("UserPassword")
                .field("user", user)
                .field("password", &"<redacted>")
                .finish(),
            Auth::Token(_) => f.debug_tuple("Token").field(&"<redacted>").finish(),
        }
    }
}

/// The kind of an [`Auth`], without its secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AuthKind {
    /// [`Auth::None`].
    None,
    /// [`Auth::UserPassword`].
    UserPassword,
    /// [`Auth::Token`].
    Token,
}

impl AuthKind {
    /// `"none"`, `"user_password"` or `"token"` (the CLI's `auth.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::None => "none",
            AuthKind::UserPassword => "user_password",
            AuthKind::Token => "token",
        }
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Overwrites a string that held a secret before it is dropped.
fn zeroize_string(s: String) {
    let mut bytes = s.into_bytes();
    for b in bytes.iter_mut() {
        // A volatile write would be stronger; this keeps the crate free of unsafe code.
        *b = 0;
    }
    std::hint::black_box(&bytes);
}

display_by_as_str!(AuthKind);
