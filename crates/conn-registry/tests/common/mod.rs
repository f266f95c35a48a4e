//! Test doubles: a transport that counts what it opens and closes, and an environment that
//! a test can change between calls.
#![allow(dead_code, unreachable_pub)] // each test binary uses part of this

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use conn_config::{ConnectArgs, ConnectionSpec, DotEnv, Environment, MapEnv, Resolver};
use conn_registry::{Registry, Transport};
use tokio::sync::Notify;

/// A connection of the [`Counting`] transport: which open it was, and for which spec.
#[derive(Clone, Debug)]
pub struct Conn(Arc<ConnInner>);

#[derive(Debug)]
pub struct ConnInner {
    pub id: u64,
    pub alias: String,
    pub address: String,
    pub spec: ConnectionSpec,
}

impl Conn {
    pub fn id(&self) -> u64 {
        self.0.id
    }
    pub fn alias(&self) -> &str {
        &self.0.alias
    }
    pub fn address(&self) -> &str {
        &self.0.address
    }
    pub fn spec(&self) -> &ConnectionSpec {
        &self.0.spec
    }
    /// How many handles of this connection exist.
    pub fn handles(&self) -> usize {
        Arc::strong_count(&self.0)
    }
}

impl PartialEq for Conn {
    fn eq(&self, other: &Conn) -> bool {
        self.0.id == other.0.id
    }
}

/// Counts opens and closes per alias, and notices two live connections of one alias.
#[derive(Default)]
pub struct Counting {
    next_id: AtomicU64,
    /// Calls of `connect`, whatever their outcome.
    pub calls: AtomicUsize,
    pub opens: AtomicUsize,
    pub closes: AtomicUsize,
    /// Connections open now, by alias.
    open_now: Mutex<HashMap<String, usize>>,
    /// Times a connect found another connection of the same alias still open.
    pub overlaps: AtomicUsize,
    /// Addresses whose connect fails.
    failing: Mutex<HashSet<String>>,
    /// How long connect and close take.
    pub delay: Option<Duration>,
    /// A connect to this address signals `entered` and waits for `release`.
    gate: Mutex<Option<Gate>>,
}

struct Gate {
    address: String,
    entered: Arc<Notify>,
    release: Arc<Notify>,
}

/// The error of [`Counting`]: the address it refused.
#[derive(Debug, thiserror::Error)]
#[error("refused to connect to {0}")]
pub struct Refused(pub String);

impl Counting {
    pub fn slow(delay: Duration) -> Counting {
        Counting {
            delay: Some(delay),
            ..Counting::default()
        }
    }

    pub fn fail(&self, address: &str) {
        self.failing
            .lock()
            .expect("not poisoned")
            .insert(address.to_owned());
    }

    /// Undoes [`Counting::fail`].
    pub fn recover(&self, address: &str) {
        self.failing.lock().expect("not poisoned").remove(address);
    }

    /// Makes the next connects to `address` wait inside the transport: the first
    /// notifier says one has entered, the second lets them go on.
    pub fn hold(&self, address: &str) -> (Arc<Notify>, Arc<Notify>) {
        let entered = Arc::new(Notify::new());
        let release = Arc::new(Notify::new());
        *self.gate.lock().expect("not poisoned") = Some(Gate {
            address: address.to_owned(),
            entered: entered.clone(),
            release: release.clone(),
        });
        (entered, release)
    }

    pub fn open_now(&self, alias: &str) -> usize {
        self.open_now
            .lock()
            .expect("not poisoned")
            .get(alias)
            .copied()
            .unwrap_or(0)
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn opens(&self) -> usize {
        self.opens.load(Ordering::SeqCst)
    }

    pub fn closes(&self) -> usize {
        self.closes.load(Ordering::SeqCst)
    }

    async fn pause(&self) {
        match self.delay {
            Some(d) => tokio::time::sleep(d).await,
            None => tokio::task::yield_now().await,
        }
    }
}

impl Transport for Counting {
    type Connection = Conn;
    type Error = Refused;

    async fn connect(&self, spec: &ConnectionSpec) -> Result<Conn, Refused> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let address = spec.target().address();
        self.pause().await;
        let gate = self
            .gate
            .lock()
            .expect("not poisoned")
            .as_ref()
            .filter(|g| g.address == address)
            .map(|g| (g.entered.clone(), g.release.clone()));
        if let Some((entered, release)) = gate {
            entered.notify_one();
            release.notified().await;
        }
        if self
            .failing
            .lock()
            .expect("not poisoned")
            .contains(&address)
        {
            return Err(Refused(address));
        }
        let alias = spec.alias().to_string();
        {
            let mut open = self.open_now.lock().expect("not poisoned");
            let n = open.entry(alias.clone()).or_default();
            if *n > 0 {
                self.overlaps.fetch_add(1, Ordering::SeqCst);
            }
            *n += 1;
        }
        self.opens.fetch_add(1, Ordering::SeqCst);
        Ok(Conn(Arc::new(ConnInner {
            id: self.next_id.fetch_add(1, Ordering::SeqCst),
            alias,
            address,
            spec: spec.clone(),
        })))
    }

    async fn close(&self, conn: Conn) {
        self.pause().await;
        *self
            .open_now
            .lock()
            .expect("not poisoned")
            .get_mut(conn.alias())
            .expect("closing a connection that was opened") -= 1;
        self.closes.fetch_add(1, Ordering::SeqCst);
    }
}

/// An environment a test can change while a registry reads it.
#[derive(Default)]
pub struct SharedEnv(RwLock<MapEnv>);

impl SharedEnv {
    pub fn new(vars: &[(&str, &str)]) -> Arc<SharedEnv> {
        Arc::new(SharedEnv(RwLock::new(MapEnv::from_pairs(
            vars.iter().copied(),
        ))))
    }

    pub fn set(&self, name: &str, value: &str) {
        let mut env = self.0.write().expect("not poisoned");
        *env = env.clone().set(name, value);
    }
}

impl Environment for SharedEnv {
    fn var(&self, name: &str) -> Option<OsString> {
        self.0.read().expect("not poisoned").var(name)
    }
    fn current_dir(&self) -> Option<PathBuf> {
        None
    }
}

pub type TestRegistry = Registry<Counting, Arc<SharedEnv>>;

/// A registry over a counting transport and a changeable environment, no `.env`.
pub fn registry(vars: &[(&str, &str)]) -> (TestRegistry, Arc<SharedEnv>) {
    registry_with(Counting::default(), vars)
}

pub fn registry_with(transport: Counting, vars: &[(&str, &str)]) -> (TestRegistry, Arc<SharedEnv>) {
    let env = SharedEnv::new(vars);
    let resolver = Resolver::with_env(env.clone()).dotenv(DotEnv::Disabled);
    (Registry::with_resolver(transport, resolver), env)
}

/// Connects `alias`, which must succeed.
pub async fn connect_ok(reg: &TestRegistry, alias: &str, args: ConnectArgs) -> Conn {
    reg.connect(alias, args).await.expect("connects")
}

/// Stores `args` for `alias`, which must be valid.
pub async fn add_ok(reg: &TestRegistry, alias: &str, args: ConnectArgs) {
    reg.add_connection(alias, args).await.expect("valid");
}
