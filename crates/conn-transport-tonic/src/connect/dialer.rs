//! The dialer: everything checked and built before any network I/O ([`prepare`]: target,
//! error context, endpoint, route), the byte stream under HTTP/2 ([`Dialer`]: TCP or a
//! Unix socket, then TLS), and the deadline arithmetic that never panics.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use conn_config::{ConnectionSpec, Target, TlsSpec};
use tokio::time::{Instant, timeout_at};
use tonic::transport::{Channel, Endpoint, Uri};

use super::builder::Connector;
use super::connection::{Info, MilvusConnection};
use crate::error::{Ctx, Error};
use crate::interceptor::MilvusInterceptor;
use crate::pool::{ChannelKey, KeyTarget, PooledChannel};

/// The HTTP/2 keepalive ping interval (pymilvus 3's `grpc.keepalive_time_ms`).
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// How long to wait for a keepalive ping's answer (pymilvus 3's `grpc.keepalive_timeout_ms`).
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// How to reach the target.
pub(super) enum Route {
    /// Plaintext TCP: tonic's own HTTP connector.
    Tcp,
    /// A Unix socket, or TLS: this crate's dialer.
    Dial(Arc<Dialer>),
    /// TLS whose dialer is not built yet: the rustls configuration is built only when a
    /// channel is opened (a pooled channel needs none).
    #[cfg(feature = "_tls")]
    Tls(Box<PendingTls>),
}

/// What building a TLS dialer takes: the spec's TLS settings, its files as read, the name
/// to check unless `server_name` is set, and the target.
#[cfg(feature = "_tls")]
pub(super) struct PendingTls {
    tls: TlsSpec,
    material: crate::tls::TlsMaterial,
    host: String,
    target: DialTarget,
}

/// Opens the byte stream under HTTP/2: TCP or a Unix socket, then TLS when the spec asks.
pub(super) struct Dialer {
    target: DialTarget,
    #[cfg(feature = "_tls")]
    tls: Option<crate::tls::TlsConnector>,
}

pub(super) enum DialTarget {
    /// `http://host:port`, for hyper's TCP connector (name resolution, TCP_NODELAY).
    Tcp(Uri),
    #[cfg(unix)]
    Unix(PathBuf),
}

impl Dialer {
    async fn dial(&self) -> Result<Box<dyn crate::tls::Io>, crate::BoxError> {
        use tower::ServiceExt as _;
        let io: Box<dyn crate::tls::Io> = match &self.target {
            DialTarget::Tcp(uri) => {
                let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
                http.enforce_http(false);
                http.set_nodelay(true);
                let stream = http.oneshot(uri.clone()).await?;
                Box::new(stream.into_inner())
            }
            #[cfg(unix)]
            DialTarget::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
        };
        #[cfg(feature = "_tls")]
        if let Some(tls) = &self.tls {
            return Ok(tls.handshake(io).await?);
        }
        Ok(io)
    }
}

/// The dialer as the connector tonic calls for every (re)connection.
fn dial_service(
    dialer: Arc<Dialer>,
) -> impl tower::Service<
    Uri,
    Response = hyper_util::rt::TokioIo<Box<dyn crate::tls::Io>>,
    Error = crate::BoxError,
    Future = impl Send,
> + Send
+ 'static {
    tower::service_fn(move |_: Uri| {
        let dialer = dialer.clone();
        async move { dialer.dial().await.map(hyper_util::rt::TokioIo::new) }
    })
}

/// Everything checked and built before any network I/O.
/// Everything checked and built before any network I/O.
pub(super) struct Prepared {
    /// The Milvus Lite server of a `.db` target.
    pub(super) lite: crate::lite::Held,
    pub(super) endpoint: Endpoint,
    /// The channel identity, when the connector has a pool.
    pub(super) key: Option<ChannelKey>,
    pub(super) route: Route,
    pub(super) ctx: Ctx,
    interceptor: MilvusInterceptor,
    alias: String,
    pub(super) tls: &'static str,
    db: String,
    auth: &'static str,
    user: Option<String>,
}

fn uri(scheme: &str, authority: &str, address: &str) -> Result<Uri, Error> {
    Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query("/")
        .build()
        .map_err(|e| Error::InvalidAddress {
            address: address.to_owned(),
            source: Box::new(e),
        })
}

/// The longest `grpc-timeout` tonic can send: the header holds at most 8 digits, and its
/// largest unit is the hour, so 99,999,999 hours (about 11,400 years). tonic panics ("duration
/// is unrealistically large") on a longer timeout when it writes the header.
pub(crate) const MAX_GRPC_TIMEOUT: Duration = Duration::from_secs(99_999_999 * 3600);

/// `d` as a `grpc-timeout` tonic accepts: at most [`MAX_GRPC_TIMEOUT`].
pub(crate) fn grpc_timeout(d: Duration) -> Duration {
    d.min(MAX_GRPC_TIMEOUT)
}

/// About 30 years: the deadline of a timeout too large to add to now (tokio's own
/// stand-in for "never").
pub(super) const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The instant `d` from now, never panicking: a `d` too large to add to the clock gives a
/// deadline about 30 years away. (`Instant + Duration` panics on overflow.)
pub(crate) fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(FAR_FUTURE))
        .unwrap_or(now)
}

/// Everything before any network I/O. `material` is the spec's TLS files, read by the
/// caller within its deadline; when `None` for a TLS spec, they are read here, blocking for
/// at most the spec's timeout.
pub(super) fn prepare(
    spec: &ConnectionSpec,
    with_key: bool,
    material: Option<crate::tls::TlsMaterial>,
    lite: crate::lite::Held,
) -> Result<Prepared, Error> {
    let tls_spec = spec.security().tls();
    let (place, key_target, address) = Place::of(spec, &lite)?;
    let ctx = context(spec, &place, address);
    let endpoint = endpoint(&place, &ctx)?;
    let mut key = with_key.then_some(ChannelKey {
        target: key_target,
        connect_timeout: ctx.timeout,
        tls: None,
    });
    let (endpoint, route) = match tls_spec {
        None => (endpoint, plaintext_route(place.dial)),
        Some(tls) => tls_route(tls, material, place, &ctx, endpoint, &mut key)?,
    };
    warn_plaintext_credentials(spec, &ctx);
    Ok(Prepared {
        lite,
        endpoint,
        key,
        route,
        ctx,
        interceptor: MilvusInterceptor::new(spec),
        alias: spec.alias().to_string(),
        tls: tls_spec.map_or("plaintext", |t| t.mode().as_str()),
        db: spec.db_name().to_string(),
        auth: spec.auth().kind().as_str(),
        user: spec.auth().user().map(str::to_owned),
    })
}

/// Where the target is, in the forms the later steps need.
struct Place {
    /// The authority of the requests. gRPC's authority for a Unix socket is "localhost".
    authority: String,
    /// The name TLS checks unless `server_name` is set.
    tls_host: String,
    dial: DialTarget,
}

impl Place {
    /// Step 1: the target's parts, its part of the channel key, and its address (for a
    /// `.db` target the loopback port of its started Milvus Lite server, a plaintext TCP
    /// target; one this crate does not know is refused).
    fn of(
        spec: &ConnectionSpec,
        lite: &crate::lite::Held,
    ) -> Result<(Place, KeyTarget, String), Error> {
        let address = spec.target().address();
        let unsupported = || Error::UnsupportedTarget {
            target: spec.target().address(),
        };
        let tcp = |authority: String, tls_host: String, address: String| {
            let place = Place {
                dial: DialTarget::Tcp(uri("http", &authority, &address)?),
                authority: authority.clone(),
                tls_host,
            };
            Ok((place, KeyTarget::Tcp(authority), address))
        };
        match spec.target() {
            Target::Lite(_) => {
                let Some(port) = lite.port() else {
                    return Err(crate::lite::not_started(spec));
                };
                let authority = format!("127.0.0.1:{port}");
                tcp(authority.clone(), "127.0.0.1".to_owned(), authority)
            }
            Target::Tcp { host, port } => tcp(
                format!("{}:{port}", host.to_uri_host()),
                host.to_string(),
                address,
            ),
            #[cfg(unix)]
            Target::Unix(path) => {
                let place = Place {
                    authority: "localhost".to_owned(),
                    tls_host: "localhost".to_owned(),
                    dial: DialTarget::Unix(path.clone()),
                };
                Ok((place, KeyTarget::Unix(path.clone()), address))
            }
            // A kind of target this crate does not know (or a Unix socket off Unix).
            #[allow(unreachable_patterns)]
            _ => Err(unsupported()),
        }
    }
}

/// Step 2: what the error classifier needs to know about the connection.
fn context(spec: &ConnectionSpec, place: &Place, address: String) -> Ctx {
    let tls_spec = spec.security().tls();
    let plaintext_tcp = match (&place.dial, tls_spec) {
        (DialTarget::Tcp(_), None) => Some((place.authority.clone(), place.tls_host.clone())),
        _ => None,
    };
    Ctx {
        address,
        timeout: spec.timeout(),
        tls: tls_spec.is_some(),
        client_cert: tls_spec.is_some_and(|t| t.client_identity().is_some()),
        plaintext_tcp,
    }
}

/// Step 3: the endpoint: `http://authority` (TLS is the dialer's), TCP_NODELAY, the
/// connect timeout, HTTP/2 keepalive.
fn endpoint(place: &Place, ctx: &Ctx) -> Result<Endpoint, Error> {
    Ok(Endpoint::from(uri("http", &place.authority, &ctx.address)?)
        .connect_timeout(ctx.timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .keep_alive_while_idle(true))
}

/// Step 4 without TLS: tonic's own connector for TCP, this crate's dialer for a Unix socket.
fn plaintext_route(target: DialTarget) -> Route {
    match target {
        DialTarget::Tcp(_) => Route::Tcp,
        #[cfg(unix)]
        unix @ DialTarget::Unix(_) => Route::Dial(Arc::new(Dialer {
            target: unix,
            #[cfg(feature = "_tls")]
            tls: None,
        })),
    }
}

/// Step 4 with TLS: the spec's files (read now if the caller has not), the channel key's
/// TLS part, and a dialer that runs rustls; the endpoint's requests say `https`.
fn tls_route(
    tls: &TlsSpec,
    material: Option<crate::tls::TlsMaterial>,
    place: Place,
    ctx: &Ctx,
    endpoint: Endpoint,
    key: &mut Option<ChannelKey>,
) -> Result<(Endpoint, Route), Error> {
    let address = &ctx.address;
    let material = match material {
        Some(material) => material,
        None => crate::tls::load_within(tls, address, ctx.timeout)?,
    };
    #[cfg(feature = "_tls")]
    {
        if let Some(key) = key {
            key.tls = Some(material.channel_key(tls.server_name().unwrap_or(&place.tls_host)));
        }
        // The connector dials http:// (so tonic adds no TLS of its own); the requests say
        // https.
        let endpoint = endpoint.origin(uri("https", &place.authority, address)?);
        let pending = PendingTls {
            tls: tls.clone(),
            material,
            host: place.tls_host,
            target: place.dial,
        };
        Ok((endpoint, Route::Tls(Box::new(pending))))
    }
    #[cfg(not(feature = "_tls"))]
    {
        let _ = (material, place, endpoint, key);
        Err(Error::TlsUnavailable {
            address: address.clone(),
            reason: "this build has no tls support: enable the tls-ring (or tls-aws-lc) feature"
                .to_owned(),
            source: None,
        })
    }
}

/// Step 5: a warning when credentials would cross the network in plaintext.
fn warn_plaintext_credentials(spec: &ConnectionSpec, ctx: &Ctx) {
    if spec.auth().authorization().is_some()
        && !ctx.tls
        && spec.target().host().is_some_and(|h| !h.is_loopback())
    {
        tracing::warn!(
            address = %ctx.address,
            alias = %spec.alias(),
            "credentials are sent in plaintext to a non-loopback host; use https:// or secure=true"
        );
    }
}

impl Prepared {
    pub(super) fn span(&self, name: &'static str) -> tracing::Span {
        // A span's name must be a literal: one macro, two names.
        macro_rules! span {
            ($name:literal $(, $($extra:tt)+)?) => {
                tracing::info_span!(
                    $name,
                    address = %self.ctx.address,
                    alias = %self.alias,
                    tls = self.tls,
                    db = %self.db,
                    auth = self.auth,
                    $($($extra)+)?
                )
            };
        }
        match name {
            "milvus.connect_lazy" => span!("milvus.connect_lazy"),
            _ => span!("milvus.connect", timeout = ?self.ctx.timeout),
        }
    }

    /// Opens the channel now, within `deadline`; a failure is classified (a plaintext
    /// connection refused by a port that answers TLS says so).
    pub(super) async fn connect_channel(&mut self, deadline: Instant) -> Result<Channel, Error> {
        let dialer = self.dialer()?;
        let connecting = async {
            match dialer {
                None => self.endpoint.connect().await,
                Some(dialer) => {
                    let connector = dial_service(dialer);
                    self.endpoint.connect_with_connector(connector).await
                }
            }
        };
        match timeout_at(deadline, connecting).await {
            Err(_) => Err(self.ctx.timed_out("connect")),
            Ok(Err(e)) => {
                let err = self.ctx.transport(e, "connect");
                Err(self.ctx.plaintext_to_tls(err, deadline).await)
            }
            Ok(Ok(channel)) => Ok(channel),
        }
    }

    /// A channel that connects on its first call.
    pub(super) fn connect_channel_lazy(&mut self) -> Result<Channel, Error> {
        Ok(match self.dialer()? {
            None => self.endpoint.connect_lazy(),
            Some(dialer) => self
                .endpoint
                .connect_with_connector_lazy(dial_service(dialer)),
        })
    }

    /// This crate's dialer for the route (`None`: tonic's own TCP connector). A TLS route's
    /// dialer (its rustls configuration) is built here, on a pool miss only.
    fn dialer(&mut self) -> Result<Option<Arc<Dialer>>, Error> {
        // Without a TLS backend there is no pending TLS route: every arm returns.
        #[cfg_attr(not(feature = "_tls"), allow(unused_variables))]
        let pending = match std::mem::replace(&mut self.route, Route::Tcp) {
            Route::Tcp => return Ok(None),
            Route::Dial(dialer) => {
                self.route = Route::Dial(dialer.clone());
                return Ok(Some(dialer));
            }
            #[cfg(feature = "_tls")]
            Route::Tls(pending) => *pending,
        };
        #[cfg(feature = "_tls")]
        {
            let (address, timeout) = (&self.ctx.address, self.ctx.timeout);
            let PendingTls {
                tls,
                material,
                host,
                target,
            } = pending;
            let connector = crate::tls::TlsConnector::new(&tls, material, &host, address, timeout)?;
            let dialer = Arc::new(Dialer {
                target,
                tls: Some(connector),
            });
            self.route = Route::Dial(dialer.clone());
            Ok(Some(dialer))
        }
    }

    pub(super) fn into_connection(
        self,
        channel: Channel,
        pooled: Option<Arc<PooledChannel>>,
        connector: Connector,
    ) -> MilvusConnection {
        let info = Info {
            ctx: self.ctx,
            alias: self.alias,
            tls: self.tls,
            user: self.user,
            pooled,
            lite: self.lite,
        };
        MilvusConnection::new(channel, self.interceptor.detached(), connector, info)
    }
}
