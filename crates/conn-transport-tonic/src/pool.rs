//! Channels shared between connections that would open the same one.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use tonic::transport::Channel;

/// Shares one channel (one TCP or Unix connection, one HTTP/2 connection) between the
/// connections a [`Connector`](crate::Connector) makes for specs with the same *channel
/// identity*: the same target, the same connect timeout and the same TLS material (CA
/// certificates, client certificate and key, checked as read from the files at each
/// connect, not by path) and server name.
///
/// What is not part of the identity stays per connection: credentials and database travel
/// in each connection's own [`MilvusInterceptor`](crate::MilvusInterceptor), and each runs
/// its own `Connect` handshake, so each has its own identifier. Many aliases for one server
/// then cost one socket, one server-side connection and one keepalive stream, not one each.
///
/// A channel stays in the pool while a connection made on it is alive (clones of
/// [`MilvusConnection`](crate::MilvusConnection) included); when the last one is dropped,
/// the next connect opens a new channel. Clones of the pool share its channels.
///
/// One HTTP/2 connection carries many calls at once; a program that wants several TCP
/// connections to one server for throughput connects without a pool.
///
/// ```
/// use conn_transport_tonic::{ChannelPool, Connector};
///
/// let pool = ChannelPool::new();
/// let connector = Connector::new().channel_pool(pool.clone());
/// assert_eq!(pool.len(), 0);
/// # let _ = connector;
/// ```
#[derive(Clone, Default)]
pub struct ChannelPool {
    channels: Arc<Mutex<HashMap<ChannelKey, Weak<PooledChannel>>>>,
}

impl ChannelPool {
    /// An empty pool.
    pub fn new() -> ChannelPool {
        ChannelPool::default()
    }

    /// How many channels are in use (held by at least one live connection).
    pub fn len(&self) -> usize {
        self.lock()
            .values()
            .filter(|c| c.strong_count() > 0)
            .count()
    }

    /// Whether no channel is in use.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ChannelKey, Weak<PooledChannel>>> {
        // The map is consistent after any panic (every change is one insert or retain).
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The live channel for `key`, if any.
    pub(crate) fn get(&self, key: &ChannelKey) -> Option<Arc<PooledChannel>> {
        self.lock().get(key).and_then(Weak::upgrade)
    }

    /// Puts `channel` in the pool for `key` and returns the pool's channel for it: `channel`,
    /// or the one a concurrent connect put there first (so connections converge on one
    /// channel; the other is dropped and closes).
    pub(crate) fn insert(&self, key: ChannelKey, channel: Channel) -> Arc<PooledChannel> {
        let mut channels = self.lock();
        if let Some(existing) = channels.get(&key).and_then(Weak::upgrade) {
            return existing;
        }
        // Forget the channels no connection holds any more.
        channels.retain(|_, c| c.strong_count() > 0);
        let pooled = Arc::new(PooledChannel { channel });
        channels.insert(key, Arc::downgrade(&pooled));
        pooled
    }
}

impl fmt::Debug for ChannelPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The keys hold TLS key material: never shown.
        f.debug_struct("ChannelPool")
            .field("channels", &self.len())
            .finish()
    }
}

/// A channel in a pool, alive while a connection holds it.
pub(crate) struct PooledChannel {
    pub(crate) channel: Channel,
}

/// What makes two specs open the same channel. Its TLS part holds the material as read
/// (DER), compared byte for byte; it has no `Debug`, so it cannot be printed.
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct ChannelKey {
    pub(crate) target: KeyTarget,
    pub(crate) connect_timeout: Duration,
    pub(crate) tls: Option<TlsKey>,
}

#[derive(PartialEq, Eq, Hash)]
pub(crate) enum KeyTarget {
    /// `host:port` as the requests' authority.
    Tcp(String),
    #[cfg_attr(not(unix), allow(dead_code))]
    Unix(PathBuf),
}

/// The TLS side of a channel's identity.
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct TlsKey {
    /// The name the server's certificate is checked against.
    pub(crate) server_name: String,
    /// The CA certificates (DER), file by file; empty for the platform's roots.
    pub(crate) cas: Vec<Vec<Vec<u8>>>,
    /// The client certificate chain (DER) and key (DER), for mutual TLS.
    pub(crate) identity: Option<(Vec<Vec<u8>>, Vec<u8>)>,
}
