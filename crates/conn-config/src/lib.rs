//! Resolve what a user typed — arguments, `MILVUS_URI`, a `.env` file, defaults — into one
//! validated, typed [`ConnectionSpec`] for a Milvus connection.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod dotenv;
mod env;
mod error;
mod origin;
mod resolve;
mod spec;
pub(crate) mod uri;
mod vars;

pub use args::{ConnectArgs, PortArg, TimeoutArg};
pub use env::{Environment, MapEnv, ProcessEnv};
pub use error::{Error, Errors, Hint};
pub use origin::{Field, Origin};
pub use resolve::{DotEnv, Resolver};
pub use spec::{
    Alias, Auth, ClientIdentity, ConnectionSpec, DbName, Host, Port, Security, Target, TlsMode,
    TlsSpec,
};
