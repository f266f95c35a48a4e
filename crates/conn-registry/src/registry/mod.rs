//! [`Registry`]: aliases, their stored arguments and their live connections.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwap;
use conn_config::{Alias, ConnectArgs, ConnectionSpec, Environment, ProcessEnv, Resolver};
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared, WeakShared};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::addr::ConnectionAddr;
use crate::error::Error;
use crate::transport::Transport;

mod ops;
mod reader;

pub use reader::Reader;

/// The registry's result type for transport `T`.
type Result<V, T> = std::result::Result<V, Error<<T as Transport>::Error>>;

/// Named connections, as pymilvus's `connections` object, over any [`Transport`].
///
/// An alias has stored arguments (from [`add_connection`](Registry::add_connection) or from
/// its last successful [`connect`](Registry::connect)) and, while connected, one live
/// connection. Resolution follows `explicit arguments > the alias's stored arguments >
/// environment > .env > defaults`, and runs at every `connect`, so a later change of the
/// environment applies to whatever the stored arguments leave open.
///
/// The registry is `Send + Sync` and meant to be shared (`Arc`, or a `static`).
/// [`get`](Registry::get) reads an immutable snapshot and takes no lock. Concurrent
/// [`connect`](Registry::connect) calls of one alias share one attempt (single flight);
/// the other operations that change an alias are serialized per alias, never across
/// aliases, and no registry-wide lock is held while the transport connects or closes.
/// Dropping the registry drops its handles without calling [`Transport::close`].
///
/// ```
/// use conn_config::{ConnectArgs, ConnectionSpec, DotEnv, MapEnv, Resolver};
/// use conn_registry::{Registry, Transport};
///
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
/// let env = MapEnv::from_pairs([("MILVUS_URI", "http://env-host:19530")]);
/// let registry = Registry::with_resolver(Echo, Resolver::with_env(env).dotenv(DotEnv::Disabled));
///
/// registry.add_connection("analytics", ConnectArgs::new().uri("http://analytics:19530")).await?;
/// let conn = registry.connect("analytics", ConnectArgs::new()).await?;
/// assert_eq!(&*conn, "analytics:19530"); // the stored arguments beat MILVUS_URI
/// assert!(registry.has_connection("analytics"));
/// assert_eq!(registry.get("analytics").as_deref(), Some("analytics:19530"));
///
/// registry.disconnect("analytics").await; // keeps the configuration
/// assert!(!registry.has_connection("analytics"));
/// assert_eq!(registry.list_connections().len(), 1);
/// # Ok(()) }
/// ```
pub struct Registry<T: Transport, E: Environment = ProcessEnv> {
    /// Shared with the connect attempts in flight, which outlive the call that started them.
    transport: Arc<T>,
    resolver: Resolver<E>,
    /// The live connections by alias, replaced as a whole on every change: what
    /// [`Registry::get`] reads.
    live: Arc<ArcSwap<Snapshot<T::Connection>>>,
    /// Stored arguments, live connections and their specs, connects in flight; never held
    /// across an await. Shared with the attempts in flight, which record their outcome.
    state: Arc<Mutex<State<T>>>,
    /// One async lock per alias that an operation is using, serializing the operations
    /// on that alias; removed when the last user lets go.
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// The live connections by alias. foldhash rather than SipHash: the keys are the
/// application's own alias names, and the look-up is on every call path.
type Snapshot<C> = HashMap<Box<str>, C, foldhash::fast::RandomState>;

struct State<T: Transport> {
    entries: HashMap<String, Entry<T::Connection>>,
    /// The connect attempt in flight of each alias that has one.
    connecting: HashMap<String, InFlight<T>>,
    next_seq: u64,
    next_attempt: u64,
}

/// What a connect attempt ends with: the connection, or the transport's error, shared by
/// every caller waiting for the attempt (hence the `Arc`).
type Outcome<T> = std::result::Result<<T as Transport>::Connection, Arc<<T as Transport>::Error>>;

/// A connect attempt: the transport's `connect`, then recording its outcome in the state.
/// Every caller waiting for it holds a clone and polls it, so it goes on as long as one of
/// them is waiting, whichever started it.
type Attempt<T> = Shared<BoxFuture<'static, Outcome<T>>>;

/// An alias's connect attempt in flight.
struct InFlight<T: Transport> {
    /// Tells this attempt from a later one of the same alias.
    id: u64,
    /// The spec it connects with; a caller joins it only with an identical spec.
    spec: Arc<ConnectionSpec>,
    /// Weak, so that when every waiting caller has gone the attempt is dropped (cancelled,
    /// as a dropped connect future always was) and the next caller starts a new one.
    attempt: WeakShared<BoxFuture<'static, Outcome<T>>>,
}

impl<T: Transport> InFlight<T> {
    /// The attempt, if a caller is still waiting for it.
    fn upgrade(&self) -> Option<Attempt<T>> {
        self.attempt.upgrade()
    }
}

/// A configured alias.
struct Entry<C> {
    alias: Alias,
    /// Insertion order, for `list_connections`.
    seq: u64,
    stored: ConnectArgs,
    live: Option<Live<C>>,
}

#[derive(Clone)]
struct Live<C> {
    spec: Arc<ConnectionSpec>,
    conn: C,
}

fn lock<S>(m: &Mutex<S>) -> MutexGuard<'_, S> {
    // The guarded sections do not panic; should one ever, its state is still consistent
    // (each section makes one change), so a poisoned lock is taken over.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T: Transport> Registry<T, ProcessEnv> {
    /// A registry over `transport` that resolves against the process environment and a
    /// `.env` file searched from the current directory (read at each resolution, never
    /// here).
    pub fn new(transport: T) -> Self {
        Self::with_resolver(transport, Resolver::new())
    }
}

impl<T: Transport, E: Environment> Registry<T, E> {
    /// A registry over `transport` that resolves with `resolver` (for example one over a
    /// [`MapEnv`](conn_config::MapEnv), so nothing reads the process environment).
    pub fn with_resolver(transport: T, resolver: Resolver<E>) -> Self {
        Registry {
            transport: Arc::new(transport),
            resolver,
            live: Arc::new(ArcSwap::from_pointee(Snapshot::default())),
            state: Arc::new(Mutex::new(State {
                entries: HashMap::new(),
                connecting: HashMap::new(),
                next_seq: 0,
                next_attempt: 0,
            })),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The resolver.
    pub fn resolver(&self) -> &Resolver<E> {
        &self.resolver
    }

    /// The default alias: `MILVUS_CONN_ALIAS` (from the environment or `.env`), else
    /// `default`. Read now, as each resolution does.
    ///
    /// # Errors
    ///
    /// [`Error::DefaultAlias`] when `MILVUS_CONN_ALIAS` is invalid (a control character, not
    /// Unicode) or the `.env` file cannot be read or parsed.
    pub fn default_alias(&self) -> Result<Alias, T> {
        self.resolver
            .default_alias()
            .map_err(|source| Error::DefaultAlias { source })
    }

    /// Whether the alias is connected (not merely configured), as in pymilvus.
    pub fn has_connection(&self, alias: &str) -> bool {
        self.live.load().contains_key(Alias::trim(alias))
    }

    /// Every configured alias in the order it was first added or connected, with its
    /// connection when it is connected (pymilvus's `list_connections`).
    pub fn list_connections(&self) -> Vec<(Alias, Option<T::Connection>)> {
        let state = lock(&self.state);
        let mut entries: Vec<&Entry<T::Connection>> = state.entries.values().collect();
        entries.sort_by_key(|e| e.seq);
        entries
            .into_iter()
            .map(|e| (e.alias.clone(), e.live.as_ref().map(|l| l.conn.clone())))
            .collect()
    }

    /// A summary of the alias's configuration without secrets (pymilvus's
    /// `get_connection_addr`): of its live connection's spec when connected, else of its
    /// stored arguments resolved now. `None` for an unknown alias (pymilvus: `{}`).
    ///
    /// # Errors
    ///
    /// [`Error::Resolve`] when the alias is not connected and its stored arguments no longer
    /// resolve (the environment changed).
    pub fn get_connection_addr(&self, alias: &str) -> Result<Option<ConnectionAddr>, T> {
        let key = Alias::trim(alias);
        let (stored, live) = {
            let state = lock(&self.state);
            match state.entries.get(key) {
                Some(e) => (e.stored.clone(), e.live.as_ref().map(|l| l.spec.clone())),
                None => return Ok(None),
            }
        };
        if let Some(spec) = live {
            return Ok(Some(ConnectionAddr::from_spec(&spec, true)));
        }
        let spec = self.resolve(key, ConnectArgs::new(), Some(&stored))?;
        Ok(Some(ConnectionAddr::from_spec(&spec, false)))
    }

    /// The alias's live connection, `None` when it is not connected.
    ///
    /// This is the look-up on every call path: it reads an immutable snapshot without
    /// taking a lock (its measured cost is in `docs/registry.md`) and clones the connection.
    pub fn get(&self, alias: &str) -> Option<T::Connection> {
        self.live.load().get(Alias::trim(alias)).cloned()
    }

    /// A look-up handle for one thread or task, cheaper than [`Registry::get`] on a hot
    /// path: see [`Reader`].
    pub fn reader(&self) -> Reader<T::Connection> {
        Reader {
            cache: arc_swap::Cache::new(self.live.clone()),
        }
    }

    /// The alias's live connection, or an error naming it (pymilvus's `_fetch_handler`).
    ///
    /// # Errors
    ///
    /// [`Error::NotConnected`] when the alias is not connected.
    pub fn fetch(&self, alias: &str) -> Result<T::Connection, T> {
        self.get(alias).ok_or_else(|| Error::NotConnected {
            alias: Alias::trim(alias).to_owned(),
        })
    }

    /// The alias an operation is about: `alias` if given, else the arguments' alias, else
    /// the default alias.
    fn alias_for(&self, alias: &str, args: &ConnectArgs) -> Result<Alias, T> {
        let given = Alias::trim(alias);
        let in_args = args.alias_name().map(Alias::trim).filter(|a| !a.is_empty());
        let name = match (given, in_args) {
            ("", Some(a)) => a,
            ("", None) => return self.default_alias(),
            (g, Some(a)) if g != a => {
                return Err(Error::AliasMismatch {
                    alias: g.to_owned(),
                    in_args: a.to_owned(),
                });
            }
            (g, _) => g,
        };
        Alias::new(name).ok_or_else(|| Error::InvalidAlias {
            alias: name.to_owned(),
        })
    }

    /// Waits for the operation lock of one alias.
    async fn lock_alias(&self, key: &str) -> AliasLock<'_> {
        let mutex = lock(&self.locks)
            .entry(key.to_owned())
            .or_insert_with(|| Arc::new(AsyncMutex::new(())))
            .clone();
        let guard = mutex.clone().lock_owned().await;
        AliasLock {
            locks: &self.locks,
            key: key.to_owned(),
            mutex,
            guard: Some(guard),
        }
    }

    /// Waits until the alias has no connect in flight (its outcome recorded). Called with
    /// the alias's operation lock held, so no other attempt starts meanwhile.
    async fn settle(&self, key: &str) {
        let attempt = {
            let mut state = lock(&self.state);
            let attempt = state.connecting.get(key).map(InFlight::upgrade);
            if let Some(None) = attempt {
                // Every caller of it went away: it was dropped, and recorded nothing.
                state.connecting.remove(key);
            }
            attempt.flatten()
        };
        if let Some(attempt) = attempt {
            tracing::debug!(alias = key, "waiting for the connect in flight");
            // Its callers get its outcome; here only its end matters.
            let _outcome = attempt.await;
        }
    }
}

/// Replaces the snapshot [`Registry::get`] reads; called with the state locked, so
/// snapshots follow the state in order.
fn publish<T: Transport>(live: &ArcSwap<Snapshot<T::Connection>>, state: &State<T>) {
    let snapshot = state
        .entries
        .iter()
        .filter_map(|(k, e)| Some((Box::from(k.as_str()), e.live.as_ref()?.conn.clone())))
        .collect();
    live.store(Arc::new(snapshot));
}

fn new_entry<C>(alias: Alias, next_seq: &mut u64, stored: ConnectArgs) -> Entry<C> {
    let seq = *next_seq;
    *next_seq += 1;
    Entry {
        alias,
        seq,
        stored,
        live: None,
    }
}

/// An alias's operation lock; on release, its mutex is dropped from the map when nobody
/// else holds or waits for it.
struct AliasLock<'a> {
    locks: &'a Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
    key: String,
    mutex: Arc<AsyncMutex<()>>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Drop for AliasLock<'_> {
    fn drop(&mut self) {
        let mut locks = lock(self.locks);
        drop(self.guard.take());
        // The map's reference and ours: nobody else has cloned it (which needs the map
        // locked, as it is now).
        if Arc::strong_count(&self.mutex) == 2 {
            locks.remove(&self.key);
        }
    }
}

impl<T: Transport, E: Environment> fmt::Debug for Registry<T, E> {
    /// The aliases in order, each with whether it is connected; no configuration values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        let mut entries: Vec<&Entry<T::Connection>> = state.entries.values().collect();
        entries.sort_by_key(|e| e.seq);
        let aliases: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| {
                let status = if e.live.is_some() {
                    "connected"
                } else {
                    "configured"
                };
                (e.alias.as_str(), status)
            })
            .collect();
        f.debug_struct("Registry")
            .field("aliases", &aliases)
            .finish_non_exhaustive()
    }
}
