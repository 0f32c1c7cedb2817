//! DbSupervisor actor: owns the database lifecycle as a state machine
//! (see [`DbState`]) and hands the current pool to request handlers.
//!
//! Nothing in this mailbox waits on the network: connecting, migrating and
//! pinging run in spawned tasks that report back with a message carrying the
//! *generation* they were started for. `Reconfigure` bumps the generation, so
//! a late result from an abandoned attempt is recognised and discarded (its
//! pool closed) instead of overwriting the new configuration.
//!
//! Leaving `Ready`, or changing database, resets the [`MembersCache`] (whose
//! coherence itself needs no task here: see `db/coherence.rs`). The liveness
//! ping goes through the request pool, so an idle daemon holds one session.

use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use sea_orm::sqlx::{self, postgres::PgPool};
use sea_orm::{DatabaseConnection, SqlxPostgresConnector};
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use super::directory::Directory;
use super::readiness::{ReadinessMsg, Snapshot};
use super::{ActorUnavailable, CallError, credential_store, reply};
use crate::config::{SecretValue, Settings};
use crate::db::connect::{
    ConnectionSource, POOL_IDLE_TIMEOUT, close_surplus, connect_pool, session_error,
};
use crate::db::members_cache::MembersCache;
use crate::db::migrate::run_migrations;
use crate::domain::credentials::{ConnectionSummary, DbCredentials};
use crate::domain::db_state::DbState;

/// Timings and fallbacks, taken from [`Settings`].
#[derive(Debug, Clone)]
pub struct DbSettings {
    /// Failed attempts before the state is reported as `failed`.
    pub startup_attempts: u32,
    /// First retry delay.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_cap: Duration,
    /// Deadline for one connect (and for one ping).
    pub connect_timeout: Duration,
    /// Liveness ping period while ready.
    pub ping_interval: Duration,
    /// Deadline for one migration run (including the advisory-lock wait).
    pub migration_timeout: Duration,
    /// Most pool connections under a burst.
    pub pool_max: u32,
    /// Development fallback when nothing is saved.
    pub database_url: Option<SecretValue>,
}

impl DbSettings {
    /// Extracts the database settings.
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            startup_attempts: s.db_startup_retry_attempts.max(1),
            backoff_base: Duration::from_millis(s.db_retry_backoff_base_ms),
            backoff_cap: Duration::from_millis(s.db_retry_backoff_cap_ms),
            connect_timeout: s.connect_timeout(),
            ping_interval: Duration::from_millis(s.db_ping_interval_ms),
            migration_timeout: Duration::from_secs(s.db_migration_timeout_secs),
            pool_max: s.db_pool_max.max(1),
            database_url: s.database_url.clone(),
        }
    }

    fn backoff(&self) -> ExponentialBackoff {
        ExponentialBuilder::default()
            .with_min_delay(self.backoff_base)
            .with_max_delay(self.backoff_cap)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build()
    }
}

/// Why there is no pool to hand out; displays as the `/health` reason.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}")]
pub struct DbUnavailable {
    /// Why, worded to follow "Database not ready: " ([`DbState::not_ready_reason`]).
    pub reason: String,
}

/// Messages to the DbSupervisor.
#[derive(Debug)]
pub enum DbSupervisorMsg {
    /// Sent to itself after start: load the saved credentials and begin.
    Init,
    /// After a successful save-connection: drop the old pool and start over
    /// with these credentials. Legal in every state; always wins.
    Reconfigure(Box<DbCredentials>),
    /// From handlers: the pool when ready, else why not.
    GetPool(RpcReplyPort<Result<DatabaseConnection, DbUnavailable>>),
    /// From handlers that saw a connection error: check the connection now.
    ConnectionSuspect,
    /// From the supervisor after Readiness restarted: publish the state again.
    Republish,
    /// Internal: time for the next connect attempt of `generation`.
    Attempt {
        /// Configuration generation the attempt belongs to.
        generation: u64,
    },
    /// Internal: a connect attempt finished.
    Connected {
        /// Generation it was started for.
        generation: u64,
        /// The pool, or the sanitised reason.
        result: Result<PgPool, String>,
    },
    /// Internal: the migrations finished.
    Migrated {
        /// Generation it was started for.
        generation: u64,
        /// Success, or the sanitised reason.
        result: Result<(), String>,
    },
    /// Internal: the ping timer fired.
    PingTick,
    /// Internal: a ping finished.
    PingResult {
        /// Generation it was started for.
        generation: u64,
        /// Success, or the sanitised reason.
        result: Result<(), String>,
    },
    /// Test builds only: panic, to prove the supervisor restarts this actor.
    #[cfg(debug_assertions)]
    Panic,
}

/// Start-up input.
#[derive(Debug)]
pub struct DbSupervisorArgs {
    /// Timings and fallback URL.
    pub settings: DbSettings,
    /// To reach the CredentialStore and Readiness.
    pub directory: Directory,
    /// The member-list cache, reset whenever the database changes or is lost.
    pub members_cache: MembersCache,
}

/// The DbSupervisor actor.
#[derive(Debug)]
pub struct DbSupervisor;

/// Mutable state; see the module docs for the generation rule.
pub struct DbSupervisorState {
    settings: DbSettings,
    directory: Directory,
    /// Bumped on every (re)configuration; results of older tasks are stale.
    generation: u64,
    /// Where to connect; `None` while unconfigured or unreadable.
    source: Option<ConnectionSource>,
    /// Shown by the status endpoint; never the password.
    summary: Option<ConnectionSummary>,
    state: DbState,
    /// Present only in `Ready`.
    pool: Option<(PgPool, DatabaseConnection)>,
    /// Attempts since the last success or (re)configuration.
    attempt: u32,
    /// Whether this generation has been ready: losing it then is "lost", not "startup failed".
    was_ready: bool,
    backoff: ExponentialBackoff,
    retry_timer: Option<JoinHandle<Result<(), ractor::MessagingErr<DbSupervisorMsg>>>>,
    ping_timer: Option<JoinHandle<()>>,
    ping_in_flight: bool,
    /// When a handler last asked for the pool: "idle" is measured from here.
    last_request: Instant,
    members_cache: MembersCache,
}

impl std::fmt::Debug for DbSupervisorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSupervisorState")
            .field("generation", &self.generation)
            .field("state", &self.state)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Actor for DbSupervisor {
    type Msg = DbSupervisorMsg;
    type State = DbSupervisorState;
    type Arguments = DbSupervisorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: DbSupervisorArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.cast(DbSupervisorMsg::Init)?;
        // After a restart: the previous incarnation's database may not be
        // the one this one connects to.
        args.members_cache.reset();
        let backoff = args.settings.backoff();
        Ok(DbSupervisorState {
            settings: args.settings,
            directory: args.directory,
            generation: 0,
            source: None,
            summary: None,
            state: DbState::Connecting {
                attempt: 0,
                last_error: None,
            },
            pool: None,
            attempt: 0,
            was_ready: false,
            backoff,
            retry_timer: None,
            ping_timer: None,
            ping_in_flight: false,
            last_request: Instant::now(),
            members_cache: args.members_cache,
        })
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        state.stop_timers();
        if let Some((pool, _)) = state.pool.take() {
            pool.close().await;
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        st: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            DbSupervisorMsg::Init => st.init(&myself).await,
            DbSupervisorMsg::Reconfigure(creds) => {
                tracing::info!(host = %creds.host, port = creds.port, database = %creds.database, "reconfiguring database connection");
                st.summary = Some(creds.summary());
                st.restart_with(&myself, Some(ConnectionSource::Saved(creds)));
            }
            DbSupervisorMsg::GetPool(port) => {
                st.last_request = Instant::now();
                reply(port, st.pool());
            }
            DbSupervisorMsg::ConnectionSuspect => {
                if st.pool.is_some() {
                    st.ping(&myself);
                }
            }
            DbSupervisorMsg::Republish => st.publish(),
            DbSupervisorMsg::Attempt { generation } if generation == st.generation => {
                st.attempt(&myself);
            }
            DbSupervisorMsg::Connected { generation, result } => {
                if generation != st.generation {
                    close_stale(result.ok());
                } else {
                    match result {
                        Ok(pool) => st.migrate(&myself, pool),
                        Err(reason) => st.failed_attempt(&myself, reason),
                    }
                }
            }
            DbSupervisorMsg::Migrated { generation, result } if generation == st.generation => {
                match result {
                    Ok(()) => st.ready(&myself),
                    Err(reason) => {
                        st.drop_pool();
                        st.failed_attempt(&myself, reason);
                    }
                }
            }
            DbSupervisorMsg::PingTick => st.ping(&myself),
            DbSupervisorMsg::PingResult { generation, result } if generation == st.generation => {
                st.ping_in_flight = false;
                if let Err(reason) = result {
                    st.lost(&myself, reason);
                }
            }
            // Stale timer or task results for an older generation.
            DbSupervisorMsg::Attempt { .. }
            | DbSupervisorMsg::Migrated { .. }
            | DbSupervisorMsg::PingResult { .. } => {}
            #[cfg(debug_assertions)]
            DbSupervisorMsg::Panic => panic!("test hook: db supervisor asked to panic"),
        }
        Ok(())
    }
}

/// How long to wait for the CredentialStore at start-up before trying again.
/// This actor's one name: logs, supervision, "unavailable" messages.
pub const NAME: &str = "db_supervisor";

// How handlers and peers find the current instance (see `directory.rs`).
super::directory::directory_slot!(db_supervisor, set_db_supervisor, DbSupervisorMsg, NAME);

const STORE_RETRY: Duration = Duration::from_millis(200);

impl DbSupervisorState {
    /// Loads the saved credentials (else the URL fallback) and starts connecting.
    async fn init(&mut self, myself: &ActorRef<DbSupervisorMsg>) {
        let loaded = match self.directory.credential_store() {
            Ok(store) => credential_store::load(&store, self.settings.connect_timeout).await,
            Err(e) => Err(CallError::Unavailable(e)),
        };
        match loaded {
            Ok(Some(creds)) => {
                self.summary = Some(creds.summary());
                self.restart_with(myself, Some(ConnectionSource::Saved(Box::new(creds))));
            }
            Ok(None) => {
                let url = self
                    .settings
                    .database_url
                    .clone()
                    .map(ConnectionSource::Url);
                if url.is_some() {
                    tracing::info!("no saved credentials; using TASKFLOW_DATABASE_URL");
                }
                self.restart_with(myself, url);
            }
            Err(CallError::Failed(e)) => {
                tracing::warn!(reason = %e, "stored connection settings cannot be read");
                self.source = None;
                self.set_state(DbState::Unreadable {
                    reason: e.to_string(),
                });
            }
            Err(CallError::Unavailable(e)) => {
                tracing::debug!(error = %e, "credential store not answering yet; retrying");
                // Detached timer; it is harmless if the actor is gone when it fires.
                drop(myself.send_after(STORE_RETRY, || DbSupervisorMsg::Init));
            }
        }
    }

    /// Forgets everything about the previous configuration and starts over.
    fn restart_with(
        &mut self,
        myself: &ActorRef<DbSupervisorMsg>,
        source: Option<ConnectionSource>,
    ) {
        self.generation += 1;
        self.stop_timers();
        self.drop_pool();
        self.ping_in_flight = false;
        self.attempt = 0;
        self.was_ready = false;
        self.backoff = self.settings.backoff();
        self.source = source;
        if self.source.is_none() {
            self.summary = None;
            self.set_state(DbState::Unconfigured);
            return;
        }
        // The old configuration's failure or loss is history: `attempt` derives
        // the next state from the current one, so start from a clean slate.
        self.state = DbState::Connecting {
            attempt: 0,
            last_error: None,
        };
        let generation = self.generation;
        if myself
            .cast(DbSupervisorMsg::Attempt { generation })
            .is_err()
        {
            tracing::debug!("db supervisor stopping; no attempt scheduled");
        }
    }

    fn attempt(&mut self, myself: &ActorRef<DbSupervisorMsg>) {
        let Some(source) = self.source.clone() else {
            return;
        };
        self.attempt += 1;
        let next = match &self.state {
            DbState::Failed { reason, .. } => DbState::Failed {
                attempt: self.attempt,
                reason: reason.clone(),
            },
            DbState::Reconnecting { reason, .. } => DbState::Reconnecting {
                attempt: self.attempt,
                reason: reason.clone(),
            },
            DbState::Connecting { last_error, .. } => DbState::Connecting {
                attempt: self.attempt,
                last_error: last_error.clone(),
            },
            _ => DbState::Connecting {
                attempt: self.attempt,
                last_error: None,
            },
        };
        self.set_state(next);
        let generation = self.generation;
        let timeout = self.settings.connect_timeout;
        let pool_max = self.settings.pool_max;
        let me = myself.clone();
        tokio::spawn(async move {
            let result = connect_pool(&source, timeout, pool_max).await;
            if let Err(ractor::MessagingErr::SendErr(DbSupervisorMsg::Connected {
                result: Ok(pool),
                ..
            })) = me.cast(DbSupervisorMsg::Connected { generation, result })
            {
                // The actor is gone; don't leave the connections open.
                pool.close().await;
            }
        });
    }

    fn migrate(&mut self, myself: &ActorRef<DbSupervisorMsg>, pool: PgPool) {
        if self.source.is_none() {
            close_stale(Some(pool));
            return;
        }
        self.set_state(DbState::Migrating);
        let generation = self.generation;
        let deadline = self.settings.migration_timeout;
        let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone());
        self.pool = Some((pool.clone(), conn));
        let me = myself.clone();
        tokio::spawn(async move {
            // Bounded: a migration lock held by a session that never ends (a
            // daemon whose network died silently) must not leave us in
            // Migrating forever. A failed attempt closes the pool, and with
            // it the waiting transaction.
            let result = tokio::time::timeout(deadline, run_migrations(&pool))
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "migrations did not finish within {} s (is another taskflowd migrating this database?)",
                        deadline.as_secs()
                    ))
                });
            let _ = me.cast(DbSupervisorMsg::Migrated { generation, result });
        });
    }

    fn ready(&mut self, myself: &ActorRef<DbSupervisorMsg>) {
        tracing::info!(attempt = self.attempt, "database ready");
        self.attempt = 0;
        self.was_ready = true;
        self.backoff = self.settings.backoff();
        self.set_state(DbState::Ready {
            since: OffsetDateTime::now_utc(),
        });
        if let Some(timer) = self.ping_timer.take() {
            timer.abort();
        }
        self.ping_timer =
            Some(myself.send_interval(self.settings.ping_interval, || DbSupervisorMsg::PingTick));
    }

    fn failed_attempt(&mut self, myself: &ActorRef<DbSupervisorMsg>, reason: String) {
        tracing::debug!(attempt = self.attempt, reason = %reason, "database attempt failed");
        let exhausted = self.attempt >= self.settings.startup_attempts;
        let next = if self.was_ready {
            DbState::Reconnecting {
                attempt: self.attempt,
                reason,
            }
        } else if exhausted {
            DbState::Failed {
                attempt: self.attempt,
                reason,
            }
        } else {
            DbState::Connecting {
                attempt: self.attempt,
                last_error: Some(reason),
            }
        };
        if matches!(next, DbState::Failed { .. }) && !matches!(self.state, DbState::Failed { .. }) {
            tracing::warn!(
                attempt = self.attempt,
                reason = next.last_error().unwrap_or(""),
                "database startup failed; retrying in the background"
            );
        }
        self.set_state(next);
        // Never give up: past the startup attempts, keep retrying at the cap.
        let cap = self.settings.backoff_cap;
        let delay = if exhausted && !self.was_ready {
            cap
        } else {
            self.backoff.next().unwrap_or(cap).min(cap)
        };
        let generation = self.generation;
        self.retry_timer =
            Some(myself.send_after(delay, move || DbSupervisorMsg::Attempt { generation }));
    }

    fn ping(&mut self, myself: &ActorRef<DbSupervisorMsg>) {
        let Some((pool, _)) = &self.pool else {
            return;
        };
        if self.ping_in_flight || !matches!(self.state, DbState::Ready { .. }) {
            return;
        }
        self.ping_in_flight = true;
        let pool = pool.clone();
        let generation = self.generation;
        let timeout = self.settings.connect_timeout;
        let idle = self.last_request.elapsed() >= POOL_IDLE_TIMEOUT;
        let me = myself.clone();
        tokio::spawn(async move {
            let result = match tokio::time::timeout(timeout, ping_pool(&pool)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(session_error(&e)),
                Err(_) => Err(format!("no answer within {} s", timeout.as_secs().max(1))),
            };
            if result.is_ok() && idle {
                // The pool's idle queue is FIFO, so the pings alone would
                // keep every connection fresh: trim to the one they use.
                close_surplus(&pool, 1).await;
            }
            let _ = me.cast(DbSupervisorMsg::PingResult { generation, result });
        });
    }

    /// Ready → Reconnecting: drop the pool and reconnect with backoff.
    fn lost(&mut self, myself: &ActorRef<DbSupervisorMsg>, reason: String) {
        tracing::warn!(reason = %reason, "database connection lost; reconnecting");
        if let Some(timer) = self.ping_timer.take() {
            timer.abort();
        }
        self.members_cache.reset();
        self.drop_pool();
        self.attempt = 0;
        self.backoff = self.settings.backoff();
        self.set_state(DbState::Reconnecting { attempt: 0, reason });
        let generation = self.generation;
        let _ = myself.cast(DbSupervisorMsg::Attempt { generation });
    }

    fn pool(&self) -> Result<DatabaseConnection, DbUnavailable> {
        match (&self.pool, &self.state) {
            (Some((_, conn)), DbState::Ready { .. }) => Ok(conn.clone()),
            _ => Err(DbUnavailable {
                reason: self
                    .state
                    .not_ready_reason()
                    .unwrap_or_else(|| "the database is not ready".to_owned()),
            }),
        }
    }

    fn drop_pool(&mut self) {
        if let Some((pool, _)) = self.pool.take() {
            tokio::spawn(async move { pool.close().await });
        }
    }

    fn stop_timers(&mut self) {
        if let Some(t) = self.retry_timer.take() {
            t.abort();
        }
        if let Some(t) = self.ping_timer.take() {
            t.abort();
        }
        self.members_cache.reset();
    }

    fn set_state(&mut self, next: DbState) {
        self.state = next;
        self.publish();
    }

    fn publish(&self) {
        let snapshot = Snapshot {
            state: self.state.clone(),
            connection: self.summary.clone(),
        };
        match self.directory.readiness() {
            Ok(r) => {
                let _ = r.cast(ReadinessMsg::Publish(Box::new(snapshot)));
            }
            Err(e) => tracing::debug!(error = %e, "state not published"),
        }
    }
}

/// The liveness check, on an idle pool connection (simple protocol: no
/// prepared statement, safe behind any pooler). It never opens a second
/// session: when every open connection is busy serving requests, those
/// requests are the proof of life (and report a failure themselves), so the
/// check is skipped; only an empty pool makes it connect.
async fn ping_pool(pool: &PgPool) -> Result<(), sqlx::Error> {
    match pool.try_acquire() {
        Some(mut conn) => sqlx::raw_sql("SELECT 1")
            .execute(&mut *conn)
            .await
            .map(drop),
        None if pool.size() > 0 => Ok(()),
        None => sqlx::raw_sql("SELECT 1").execute(pool).await.map(drop),
    }
}

fn close_stale(pool: Option<PgPool>) {
    if let Some(pool) = pool {
        tokio::spawn(async move { pool.close().await });
    }
}

/// The pool for a request handler, or why there is none.
pub async fn get_pool(
    actor: &ActorRef<DbSupervisorMsg>,
    timeout: Duration,
) -> Result<DatabaseConnection, CallError<DbUnavailable>> {
    super::call_fallible(actor, NAME, DbSupervisorMsg::GetPool, timeout).await
}

/// Tells the DbSupervisor to reconnect with freshly saved credentials.
pub fn reconfigure(
    actor: &ActorRef<DbSupervisorMsg>,
    creds: DbCredentials,
) -> Result<(), ActorUnavailable> {
    actor
        .cast(DbSupervisorMsg::Reconfigure(Box::new(creds)))
        .map_err(|_| ActorUnavailable { actor: NAME })
}

/// Reports a connection error seen while serving a request.
pub fn connection_suspect(actor: &ActorRef<DbSupervisorMsg>) {
    let _ = actor.cast(DbSupervisorMsg::ConnectionSuspect);
}
