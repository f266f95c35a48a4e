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

    /// Stores `args` as the configuration of `alias` (pymilvus's
    /// `add_connection(**{alias: args})`), replacing what was stored, after checking that
    /// they resolve (as stored arguments, over the environment as it is now).
    ///
    /// The arguments themselves are stored, not their resolution, so what they leave open
    /// follows the environment at each later `connect`. An empty `alias` means the alias
    /// the arguments name, else the [default alias](Registry::default_alias). A connect of
    /// the alias in flight is waited for first, so it is compared as a live connection.
    ///
    /// # Errors
    ///
    /// - [`Error::Resolve`]: the arguments do not resolve (nothing is stored);
    /// - [`Error::ConfigMismatch`]: the alias is connected and the arguments resolve to a
    ///   different spec (disconnect first);
    /// - [`Error::InvalidAlias`], [`Error::AliasMismatch`], [`Error::DefaultAlias`]: see
    ///   [`Registry::connect`].
    pub async fn add_connection(&self, alias: &str, args: ConnectArgs) -> Result<(), T> {
        let alias = self.alias_for(alias, &args)?;
        let key = alias.as_str();
        let _op = self.lock_alias(key).await;
        self.settle(key).await;
        let stored = args.alias(key);
        let spec = self
            .resolver
            .resolve_with_stored(&ConnectArgs::new().alias(key), Some(&stored))
            .map_err(|source| Error::Resolve {
                alias: key.to_owned(),
                source,
            })?;
        let mut state = lock(&self.state);
        let State {
            entries, next_seq, ..
        } = &mut *state;
        match entries.get_mut(key) {
            Some(entry) => {
                if let Some(live) = &entry.live {
                    let fields = live.spec.differences(&spec);
                    if !fields.is_empty() {
                        return Err(Error::ConfigMismatch {
                            alias: key.to_owned(),
                            fields,
                        });
                    }
                }
                entry.stored = stored;
            }
            None => {
                entries.insert(key.to_owned(), new_entry(alias.clone(), next_seq, stored));
            }
        }
        tracing::debug!(alias = key, "configuration stored");
        Ok(())
    }

    /// Connects `alias` (pymilvus's `connect(alias, **args)`) and returns its connection.
    ///
    /// The spec is resolved from `args` over the alias's stored arguments over the
    /// environment, `.env` and the defaults. If the alias is already connected, an identical
    /// spec returns the same connection (no new one is opened) and a different one is an
    /// error. After a successful connect the alias's stored arguments are what the spec got
    /// from arguments (explicit or stored), so a later `connect(alias, ConnectArgs::new())`
    /// connects the same way; a failed connect leaves the stored arguments as they were.
    ///
    /// An empty `alias` means the alias the arguments name, else the
    /// [default alias](Registry::default_alias).
    ///
    /// # Concurrent calls: one attempt, shared
    ///
    /// Concurrent calls for one alias open at most one connection, and each caller waits
    /// at most its own timeout. A call that finds a connect of the alias in flight with an
    /// identical spec does not start another: it waits for that attempt and gets its
    /// outcome, the same connection or the same transport error ([`Error::Connect`] holds
    /// it in an `Arc`, shared by every caller of the attempt). The transport bounds the
    /// attempt by the spec's timeout, and the timeout is part of the spec, so a caller who
    /// joins late waits less than its own timeout. A call whose spec differs, in the
    /// timeout or anything else, does not wait: it gets [`Error::ConnectInProgress`],
    /// naming the differing fields. A failure is not kept: the next call after it starts a
    /// new attempt.
    ///
    /// The attempt goes on as long as one caller waits for it: dropping the call that
    /// started it does not cancel it for the others. When every caller has gone, the
    /// attempt is dropped and nothing is stored. No task is spawned, so the registry needs
    /// no particular runtime (the transport may).
    ///
    /// [`add_connection`](Registry::add_connection), [`disconnect`](Registry::disconnect)
    /// and [`remove_connection`](Registry::remove_connection) wait for a connect of the
    /// alias in flight, then act on its outcome, as if they had been called after it; a
    /// `connect` called while one of them runs waits for it.
    ///
    /// # Errors
    ///
    /// - [`Error::Resolve`]: the configuration does not resolve (every problem listed);
    /// - [`Error::ConfigMismatch`]: connected with a different spec (the differing fields are
    ///   named, secrets compared but never shown);
    /// - [`Error::ConnectInProgress`]: being connected with a different spec;
    /// - [`Error::Connect`]: the transport failed (this call's attempt, or the one it
    ///   joined);
    /// - [`Error::InvalidAlias`]: the alias holds a control character;
    /// - [`Error::AliasMismatch`]: `alias` and the arguments' alias differ;
    /// - [`Error::DefaultAlias`]: no alias is given and `MILVUS_CONN_ALIAS` or `.env` is bad.
    pub async fn connect(&self, alias: &str, args: ConnectArgs) -> Result<T::Connection, T> {
        let alias = self.alias_for(alias, &args)?;
        let key = alias.as_str();
        let attempt = {
            // Held while deciding, not while the attempt runs.
            let _op = self.lock_alias(key).await;
            let stored = lock(&self.state).entries.get(key).map(|e| e.stored.clone());
            let spec = self
                .resolver
                .resolve_with_stored(&args.alias(key), stored.as_ref())
                .map_err(|source| Error::Resolve {
                    alias: key.to_owned(),
                    source,
                })?;
            let mut state = lock(&self.state);
            if let Some(live) = state.entries.get(key).and_then(|e| e.live.as_ref()) {
                let fields = live.spec.differences(&spec);
                if fields.is_empty() {
                    return Ok(live.conn.clone());
                }
                return Err(Error::ConfigMismatch {
                    alias: key.to_owned(),
                    fields,
                });
            }
            let joined = match state.connecting.get(key) {
                Some(flight) => match flight.upgrade() {
                    Some(attempt) => {
                        let fields = flight.spec.differences(&spec);
                        if !fields.is_empty() {
                            return Err(Error::ConnectInProgress {
                                alias: key.to_owned(),
                                fields,
                            });
                        }
                        tracing::debug!(alias = key, "joining the connect in flight");
                        Some(attempt)
                    }
                    None => None,
                },
                None => None,
            };
            match joined {
                Some(attempt) => attempt,
                None => self.start(&mut state, alias.clone(), spec),
            }
        };
        attempt.await.map_err(|source| Error::Connect {
            alias: key.to_owned(),
            source,
        })
    }

    /// Starts a connect attempt of `alias` with `spec`, records it as in flight, and returns
    /// it for the caller to wait for. The attempt records its own outcome: on success the
    /// alias is connected (its stored arguments pinned to the spec) before any caller sees
    /// the connection; either way it is no longer in flight.
    fn start(&self, state: &mut State<T>, alias: Alias, spec: ConnectionSpec) -> Attempt<T> {
        let id = state.next_attempt;
        state.next_attempt += 1;
        let spec = Arc::new(spec);
        let in_flight_spec = spec.clone();
        let transport = self.transport.clone();
        let shared_state = self.state.clone();
        let live = self.live.clone();
        let key = alias.as_str().to_owned();
        let attempt = async move {
            tracing::debug!(alias = alias.as_str(), target = %spec.target(), "connecting");
            let result = transport.connect(&spec).await;
            let mut guard = lock(&shared_state);
            let state = &mut *guard;
            if state
                .connecting
                .get(alias.as_str())
                .is_some_and(|f| f.id == id)
            {
                state.connecting.remove(alias.as_str());
            }
            match result {
                Ok(conn) => {
                    // The alias is not connected: an attempt starts only then, and while it
                    // is in flight the others wait for it.
                    let stored = spec.to_stored_args();
                    let State {
                        entries, next_seq, ..
                    } = &mut *state;
                    let entry = entries
                        .entry(alias.as_str().to_owned())
                        .or_insert_with(|| new_entry(alias.clone(), next_seq, stored.clone()));
                    entry.stored = stored;
                    entry.live = Some(Live {
                        spec,
                        conn: conn.clone(),
                    });
                    publish(&live, state);
                    Ok(conn)
                }
                Err(error) => {
                    tracing::debug!(alias = alias.as_str(), %error, "connect failed");
                    Err(Arc::new(error))
                }
            }
        }
        .boxed()
        .shared();
        if let Some(weak) = attempt.downgrade() {
            state.connecting.insert(
                key,
                InFlight {
                    id,
                    spec: in_flight_spec,
                    attempt: weak,
                },
            );
        }
        attempt
    }

    /// Closes the alias's connection and keeps its configuration (pymilvus's
    /// `disconnect`). An alias that is not connected, or not known, is left alone.
    ///
    /// A connect of the alias in flight is waited for first, and what it opened is closed:
    /// after `disconnect` the alias is not connected. Its callers still get the connection
    /// (with tonic, their clones keep working until dropped), as if `disconnect` had been
    /// called right after it.
    pub async fn disconnect(&self, alias: &str) {
        let key = Alias::trim(alias);
        if key.is_empty() {
            return;
        }
        let _op = self.lock_alias(key).await;
        self.settle(key).await;
        let live = {
            let mut state = lock(&self.state);
            let live = state.entries.get_mut(key).and_then(|e| e.live.take());
            if live.is_some() {
                publish(&self.live, &state);
            }
            live
        };
        if let Some(live) = live {
            tracing::debug!(alias = key, "disconnecting");
            self.transport.close(live.conn).await;
        }
    }

    /// Disconnects the alias and forgets its configuration (pymilvus's
    /// `remove_connection`). An unknown alias is left alone. A connect of the alias in
    /// flight is waited for first, as in [`disconnect`](Registry::disconnect).
    pub async fn remove_connection(&self, alias: &str) {
        let key = Alias::trim(alias);
        if key.is_empty() {
            return;
        }
        let _op = self.lock_alias(key).await;
        self.settle(key).await;
        let live = {
            let mut state = lock(&self.state);
            let live = state.entries.remove(key).and_then(|e| e.live);
            if live.is_some() {
                publish(&self.live, &state);
            }
            live
        };
        if let Some(live) = live {
            tracing::debug!(alias = key, "disconnecting");
            self.transport.close(live.conn).await;
        }
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
        let spec = self
            .resolver
            .resolve_with_stored(&ConnectArgs::new().alias(key), Some(&stored))
            .map_err(|source| Error::Resolve {
                alias: key.to_owned(),
                source,
            })?;
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

/// A look-up handle that caches the registry's snapshot: [`Reader::get`] checks with one
/// plain load that the snapshot is current and performs no atomic read-modify-write, so
/// readers on different threads never slow each other down, where [`Registry::get`]
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
    cache: arc_swap::Cache<Arc<ArcSwap<Snapshot<C>>>, Arc<Snapshot<C>>>,
}

impl<C: Clone> Reader<C> {
    /// The alias's live connection, `None` when it is not connected; as [`Registry::get`].
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

    /// Whether the alias is connected; as [`Registry::has_connection`].
    pub fn has_connection(&mut self, alias: &str) -> bool {
        self.cache.load().contains_key(Alias::trim(alias))
    }
}

impl<C> fmt::Debug for Reader<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
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
