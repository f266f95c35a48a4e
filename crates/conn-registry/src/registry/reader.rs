//! [`Reader`]: a look-up handle over the registry's snapshot of live connections.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use conn_config::Alias;

use super::Snapshot;

/// A look-up handle that caches the registry's snapshot: [`Reader::get`] checks with one
/// plain load that the snapshot is current and performs no atomic read-modify-write, so
/// readers on different threads never slow each other down, where [`Registry::get`](crate::Registry::get)
/// updates per-thread bookkeeping atomically on each call.
///
/// A reader sees every change that happened before its look-up, as `get` does. It keeps
/// the snapshot it last used, and so the connections in it, until its next look-up or
/// until it is dropped: hold readers where look-ups are frequent (one per worker thread or
/// per long-lived task), not in idle places.
///
/// ```
/// # use conn_config::{ConnectArgs, ConnectionSpec, DotEnv, MapEnv, Resolver};
/// # use conn_registry::{Registry, Transport};
/// # struct Echo;
/// # impl Transport for Echo {
/// #     type Connection = std::sync::Arc<str>;
/// #     type Error = std::io::Error;
/// #     async fn connect(&self, spec: &ConnectionSpec) -> Result<Self::Connection, Self::Error> {
/// #         Ok(spec.target().address().into())
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let registry = Registry::with_resolver(Echo, Resolver::isolated());
/// let mut reader = registry.reader();
/// assert_eq!(reader.get("a"), None);
/// registry.connect("a", ConnectArgs::new().uri("http://a:1")).await?;
/// assert_eq!(reader.get("a").as_deref(), Some("a:1"));
/// # Ok(()) }
/// ```
pub struct Reader<C> {
    pub(super) cache: arc_swap::Cache<Arc<ArcSwap<Snapshot<C>>>, Arc<Snapshot<C>>>,
}

impl<C: Clone> Reader<C> {
    /// The alias's live connection, `None` when it is not connected; as [`Registry::get`](crate::Registry::get).
    pub fn get(&mut self, alias: &str) -> Option<C> {
        self.cache.load().get(Alias::trim(alias)).cloned()
    }

    /// The alias's live connection, borrowed from the reader's snapshot, `None` when it is
    /// not connected. Unlike [`Reader::get`] it does not clone the handle, so it touches no
    /// reference count: readers on different threads looking up the same connection share
    /// no written cache line (cloning one `Arc` from two threads makes them take turns on
    /// its count). The borrow ends before the reader's next look-up.
    ///
    /// ```
    /// # use conn_config::{ConnectArgs, ConnectionSpec, Resolver};
    /// # use conn_registry::{Registry, Transport};
    /// # struct Echo;
    /// # impl Transport for Echo {
    /// #     type Connection = std::sync::Arc<str>;
    /// #     type Error = std::io::Error;
    /// #     async fn connect(&self, spec: &ConnectionSpec) -> Result<Self::Connection, Self::Error> {
    /// #         Ok(spec.target().address().into())
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let registry = Registry::with_resolver(Echo, Resolver::isolated());
    /// registry.connect("a", ConnectArgs::new().uri("http://a:1")).await?;
    /// let mut reader = registry.reader();
    /// let len = reader.get_ref("a").map(|conn| conn.len());
    /// assert_eq!(len, Some(3));
    /// # Ok(()) }
    /// ```
    pub fn get_ref(&mut self, alias: &str) -> Option<&C> {
        self.cache.load().get(Alias::trim(alias))
    }

    /// Whether the alias is connected; as [`Registry::has_connection`](crate::Registry::has_connection).
    pub fn has_connection(&mut self, alias: &str) -> bool {
        self.cache.load().contains_key(Alias::trim(alias))
    }
}

impl<C> fmt::Debug for Reader<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}
