//! The operations that change an alias: `add_connection`, `connect` (with its
//! single-flight attempt), `disconnect`, `remove_connection`.

use super::*;

impl<T: Transport, E: Environment> Registry<T, E> {
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
        let spec = self.resolve(key, ConnectArgs::new(), Some(&stored))?;
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
            let spec = self.resolve(key, args, stored.as_ref())?;
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
        self.close(alias, false).await;
    }

    /// Disconnects the alias and forgets its configuration (pymilvus's
    /// `remove_connection`). An unknown alias is left alone. A connect of the alias in
    /// flight is waited for first, as in [`disconnect`](Registry::disconnect).
    pub async fn remove_connection(&self, alias: &str) {
        self.close(alias, true).await;
    }

    /// Closes the alias's connection, if any, after the connect in flight; with `forget`,
    /// forgets its configuration too.
    async fn close(&self, alias: &str, forget: bool) {
        let key = Alias::trim(alias);
        if key.is_empty() {
            return;
        }
        let _op = self.lock_alias(key).await;
        self.settle(key).await;
        let live = {
            let mut state = lock(&self.state);
            let live = if forget {
                state.entries.remove(key).and_then(|e| e.live)
            } else {
                state.entries.get_mut(key).and_then(|e| e.live.take())
            };
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

    /// Resolves `args` for the alias `key` over its stored arguments.
    pub(super) fn resolve(
        &self,
        key: &str,
        args: ConnectArgs,
        stored: Option<&ConnectArgs>,
    ) -> Result<ConnectionSpec, T> {
        self.resolver
            .resolve_with_stored(&args.alias(key), stored)
            .map_err(|source| Error::Resolve {
                alias: key.to_owned(),
                source,
            })
    }
}
