//! DbSupervisor actor: carries out the database lifecycle that
//! [`crate::domain::db_lifecycle`] decides, and hands the current pool to
//! request handlers.
//!
//! The lifecycle is a pure transition function; this actor only turns its
//! [`Effect`]s into work: a spawned task for every load, connect, migration
//! and ping (so nothing in this mailbox waits on disk or network), a timer
//! for every wake-up, a message to Readiness for every state change. Each
//! task and timer reports back with the [`Ticket`] it was started with; the
//! lifecycle recognises a stale one (from an abandoned configuration, a lost
//! connection or a superseded ping) and ignores it, closing any pool it
//! carries. The pool exists only inside the lifecycle's `Migrating` and
//! `Ready` phases.
//!
//! Leaving `Ready`, or changing database, resets the list [`Caches`] (whose
//! coherence itself needs no task here: see `db/list_cache.rs`). The liveness
//! ping goes through the request pool, so an idle daemon holds one session.

use std::time::{Duration, Instant};

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use sea_orm::sqlx::{self, postgres::PgPool};
use sea_orm::{DatabaseConnection, SqlxPostgresConnector};
use time::OffsetDateTime;

use super::directory::Directory;
use super::readiness::{ReadinessMsg, Snapshot};
use super::{ActorUnavailable, CallError, credential_store, reply};
use crate::config::Settings;
use crate::config::policy::{POOL_IDLE_TIMEOUT, STORE_RETRY};
use crate::db::caches::Caches;
use crate::db::connect::{ConnectionSource, close_surplus, connect_pool};
use crate::db::connect_errors::session_error;
use crate::db::migrate::run_migrations;
use crate::domain::credentials::{ConnectionSummary, DbCredentials};
use crate::domain::db_lifecycle::{Effect, Event, Lifecycle, Limits, Loaded, Ticket, Wake};
use crate::domain::db_state::DbState;
use crate::security::secret_value::SecretValue;

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

    fn limits(&self) -> Limits {
        Limits {
            startup_attempts: self.startup_attempts,
            backoff_base: self.backoff_base,
            backoff_cap: self.backoff_cap,
            ping_interval: self.ping_interval,
            store_retry: STORE_RETRY,
        }
    }
}

/// Why there is no pool to hand out; displays as the `/health` reason.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}")]
pub struct DbUnavailable {
    /// Why, worded to follow "Database not ready: " ([`DbState::not_ready_reason`]).
    pub reason: String,
}

/// The pool as the lifecycle holds it: sqlx's (to ping and close) and
/// sea-orm's view of the same pool (for handlers).
#[derive(Debug, Clone)]
pub struct DbPool {
    sqlx: PgPool,
    orm: DatabaseConnection,
}

impl DbPool {
    fn new(sqlx: PgPool) -> Self {
        let orm = SqlxPostgresConnector::from_sqlx_postgres_pool(sqlx.clone());
        Self { sqlx, orm }
    }
}

/// The lifecycle's events with this actor's source and pool types.
pub type DbEvent = Event<ConnectionSource, DbPool>;

/// Messages to the DbSupervisor.
#[derive(Debug)]
pub enum DbSupervisorMsg {
    /// After a successful save-connection: drop the old pool and start over
    /// with these credentials. Legal in every state; always wins.
    Reconfigure(Box<DbCredentials>),
    /// From handlers: the pool when ready, else why not.
    GetPool(RpcReplyPort<Result<DatabaseConnection, DbUnavailable>>),
    /// From `GET /metrics`: the pool's (busy, idle) server sessions, (0, 0)
    /// without a pool. Unlike `GetPool` it does not count as a request, so a
    /// scraper does not keep idle sessions open.
    Sessions(RpcReplyPort<(u32, u32)>),
    /// From handlers that saw a connection error: check the connection now.
    ConnectionSuspect,
    /// From the supervisor after Readiness restarted: publish the state again.
    Republish,
    /// Internal: a task's result or a timer, for the lifecycle.
    Lifecycle(DbEvent),
    /// Test builds only: panic, to prove the supervisor restarts this actor.
    #[cfg(debug_assertions)]
    Panic,
}

impl DbSupervisorMsg {
    /// The message's name for its debug event (never its content).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Reconfigure(_) => "reconfigure",
            Self::GetPool(_) => "get_pool",
            Self::Sessions(_) => "sessions",
            Self::ConnectionSuspect => "connection_suspect",
            Self::Republish => "republish",
            Self::Lifecycle(_) => "lifecycle",
            #[cfg(debug_assertions)]
            Self::Panic => "panic",
        }
    }
}

/// Start-up input.
#[derive(Debug)]
pub struct DbSupervisorArgs {
    /// Timings and fallback URL.
    pub settings: DbSettings,
    /// To reach the CredentialStore and Readiness.
    pub directory: Directory,
    /// The list caches, reset whenever the database changes or is lost.
    pub caches: Caches,
}

/// The DbSupervisor actor.
#[derive(Debug)]
pub struct DbSupervisor;

/// The lifecycle plus what carrying out its effects needs.
pub struct DbSupervisorState {
    settings: DbSettings,
    directory: Directory,
    lifecycle: Lifecycle<ConnectionSource, DbPool>,
    /// When a handler last asked for the pool: "idle" is measured from here.
    last_request: Instant,
    caches: Caches,
    /// The state last published, to log transitions once.
    published: DbState,
}

impl std::fmt::Debug for DbSupervisorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSupervisorState")
            .field("state", &self.lifecycle.state())
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
        // After a restart: the previous incarnation's database may not be
        // the one this one connects to.
        args.caches.reset();
        let lifecycle = Lifecycle::new(args.settings.limits());
        let mut state = DbSupervisorState {
            published: lifecycle.state(),
            lifecycle,
            settings: args.settings,
            directory: args.directory,
            last_request: Instant::now(),
            caches: args.caches,
        };
        // Publish at once: after a restart Readiness still holds the previous
        // incarnation's state (perhaps "ready"), and this one has no pool yet.
        state.publish(state.lifecycle.state());
        state.on(&myself, Event::Start);
        Ok(state)
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        // Pending tasks and timers find no actor and drop their results
        // (a task holding a new pool closes it: see `report`).
        if let Some(pool) = state.lifecycle.pool() {
            pool.sqlx.close().await;
        }
        Ok(())
    }

    #[tracing::instrument(name = "actor", level = "debug", skip_all, fields(actor = %NAME))]
    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        st: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        tracing::debug!(actor = %NAME, msg = %msg.kind(), "message");
        match msg {
            DbSupervisorMsg::Reconfigure(creds) => {
                tracing::info!(host = %creds.host, port = creds.port, database = %creds.database, "reconfiguring database connection");
                st.on(&myself, Event::Reconfigure(ConnectionSource::Saved(creds)));
            }
            DbSupervisorMsg::GetPool(port) => {
                st.last_request = Instant::now();
                reply(port, st.pool());
            }
            DbSupervisorMsg::Sessions(port) => {
                let sessions = st.lifecycle.pool().map_or((0, 0), |p| {
                    let open = p.sqlx.size();
                    let idle = u32::try_from(p.sqlx.num_idle()).unwrap_or(open);
                    (open.saturating_sub(idle), idle)
                });
                reply(port, sessions);
            }
            DbSupervisorMsg::ConnectionSuspect => st.on(&myself, Event::Suspect),
            DbSupervisorMsg::Republish => st.publish(st.lifecycle.state()),
            DbSupervisorMsg::Lifecycle(event) => st.on(&myself, event),
            #[cfg(debug_assertions)]
            DbSupervisorMsg::Panic => panic!("test hook: db supervisor asked to panic"),
        }
        Ok(())
    }
}

/// This actor's one name: logs, supervision, "unavailable" messages.
pub const NAME: &str = "db_supervisor";

// How handlers and peers find the current instance (see `directory.rs`).
super::directory::directory_slot!(db_supervisor, set_db_supervisor, DbSupervisorMsg, NAME);

impl DbSupervisorState {
    /// Applies `event` to the lifecycle and carries out its effects in order.
    fn on(&mut self, myself: &ActorRef<DbSupervisorMsg>, event: DbEvent) {
        for effect in self.lifecycle.on(event) {
            self.execute(myself, effect);
        }
    }

    fn execute(
        &mut self,
        myself: &ActorRef<DbSupervisorMsg>,
        effect: Effect<ConnectionSource, DbPool>,
    ) {
        match effect {
            Effect::LoadCredentials { ticket } => self.load(myself, ticket),
            Effect::Connect { ticket, source } => {
                crate::metrics::counters::db_connect_attempted();
                let timeout = self.settings.connect_timeout;
                let max = self.settings.pool_max;
                let me = myself.clone();
                tokio::spawn(async move {
                    let result = connect_pool(&source, timeout, max).await.map(DbPool::new);
                    report(&me, Event::Connected { ticket, result });
                });
            }
            Effect::Migrate { ticket, pool, .. } => {
                let deadline = self.settings.migration_timeout;
                let me = myself.clone();
                tokio::spawn(async move {
                    // Bounded: a migration lock held by a session that never
                    // ends (a daemon whose network died silently) must not
                    // leave us in Migrating forever. A failed attempt closes
                    // the pool, and with it the waiting transaction.
                    let result = tokio::time::timeout(deadline, run_migrations(&pool.sqlx))
                        .await
                        .unwrap_or_else(|_| {
                            Err(format!(
                                "migrations did not finish within {} s (is another taskflowd migrating this database?)",
                                deadline.as_secs()
                            ))
                        });
                    let at = OffsetDateTime::now_utc();
                    report(&me, Event::Migrated { ticket, result, at });
                });
            }
            Effect::Ping { ticket, pool } => {
                let timeout = self.settings.connect_timeout;
                let idle = self.last_request.elapsed() >= POOL_IDLE_TIMEOUT;
                let me = myself.clone();
                tokio::spawn(async move {
                    let result = ping_pool(&pool.sqlx, timeout).await;
                    if result.is_ok() && idle {
                        // The pool's idle queue is FIFO, so the pings alone would
                        // keep every connection fresh: trim to the one they use.
                        close_surplus(&pool.sqlx, 1).await;
                    }
                    report(&me, Event::Pinged { ticket, result });
                });
            }
            Effect::WakeAfter {
                ticket,
                wake,
                delay,
            } => {
                let delay = match wake {
                    Wake::Retry => jittered(delay),
                    Wake::Ping | Wake::Load => delay,
                };
                let event = move || {
                    DbSupervisorMsg::Lifecycle(match wake {
                        Wake::Retry => Event::RetryDue { ticket },
                        Wake::Ping => Event::PingDue { ticket },
                        Wake::Load => Event::LoadDue { ticket },
                    })
                };
                // Detached: a timer that fires after a newer one was armed,
                // or after the actor stopped, is stale and harmless.
                drop(myself.send_after(delay, event));
            }
            Effect::ClosePool(pool) => {
                tokio::spawn(async move { pool.sqlx.close().await });
            }
            Effect::Publish(state) => {
                log_transition(&self.published, &state);
                self.published = state.clone();
                if !matches!(state, DbState::Ready { .. }) {
                    self.caches.reset();
                }
                self.publish(state);
            }
        }
    }

    /// Asks the CredentialStore in a task (a slow disk must not block this
    /// mailbox); nothing saved falls back to `TASKFLOW_DATABASE_URL`.
    fn load(&self, myself: &ActorRef<DbSupervisorMsg>, ticket: Ticket) {
        let store = self.directory.credential_store();
        let timeout = self.settings.connect_timeout;
        let url = self.settings.database_url.clone();
        let me = myself.clone();
        tokio::spawn(async move {
            let loaded = match store {
                Ok(store) => credential_store::load(&store, timeout).await,
                Err(e) => Err(CallError::Unavailable(e)),
            };
            let outcome = match loaded {
                Ok(Some(creds)) => Loaded::Found(ConnectionSource::Saved(Box::new(creds))),
                Ok(None) => match url {
                    Some(url) => {
                        tracing::info!("no saved credentials; using TASKFLOW_DATABASE_URL");
                        Loaded::Found(ConnectionSource::Url(url))
                    }
                    None => Loaded::NotConfigured,
                },
                Err(CallError::Failed(e)) => {
                    tracing::warn!(reason = %e, "stored connection settings cannot be read");
                    Loaded::Unreadable(e.to_string())
                }
                Err(CallError::Unavailable(e)) => {
                    tracing::debug!(error = %e, "credential store not answering yet; asking again");
                    Loaded::StoreUnavailable
                }
            };
            report(&me, Event::Loaded { ticket, outcome });
        });
    }

    fn pool(&self) -> Result<DatabaseConnection, DbUnavailable> {
        match self.lifecycle.pool() {
            Some(pool) => Ok(pool.orm.clone()),
            None => Err(DbUnavailable {
                reason: self
                    .lifecycle
                    .state()
                    .not_ready_reason()
                    .unwrap_or_else(|| "the database is not ready".to_owned()),
            }),
        }
    }

    fn publish(&self, state: DbState) {
        let snapshot = Snapshot {
            state,
            connection: self.lifecycle.source().and_then(summary),
        };
        match self.directory.readiness() {
            Ok(r) => {
                let _ = r.cast(ReadinessMsg::Publish(Box::new(snapshot)));
            }
            Err(e) => tracing::debug!(error = %e, "state not published"),
        }
    }
}

/// What the status endpoint shows of the source: saved settings only (the
/// development URL is not shown).
fn summary(source: &ConnectionSource) -> Option<ConnectionSummary> {
    match source {
        ConnectionSource::Saved(creds) => Some(creds.summary()),
        ConnectionSource::Url(_) => None,
    }
}

/// Sends a task's result to the actor. When the actor is gone, a pool the
/// result carries is closed rather than left open.
fn report(me: &ActorRef<DbSupervisorMsg>, event: DbEvent) {
    if let Err(ractor::MessagingErr::SendErr(DbSupervisorMsg::Lifecycle(Event::Connected {
        result: Ok(pool),
        ..
    }))) = me.cast(DbSupervisorMsg::Lifecycle(event))
    {
        tokio::spawn(async move { pool.sqlx.close().await });
    }
}

/// "Equal jitter": a retry waits between half and all of its backoff delay,
/// so a team's daemons that lost the server together do not all come back
/// in the same instant.
fn jittered(delay: Duration) -> Duration {
    delay.mul_f64(0.5 + fastrand::f64() / 2.0)
}

/// Every transition as one debug event (`actor=db_supervisor
/// from=connecting to=migrating attempt=1 reason=""`: the `/health` state
/// words, the attempt since the last success, what `/health` reports), and
/// the lines an operator wants at info/warn, once per change of kind:
/// becoming ready, startup failing, losing the server.
fn log_transition(before: &DbState, state: &DbState) {
    if before != state {
        tracing::debug!(
            actor = %NAME,
            from = %before.name().as_str(),
            to = %state.name().as_str(),
            attempt = state.attempt(),
            reason = state.last_error().unwrap_or(""),
            "db state"
        );
    }
    let entered = before.name() != state.name();
    match state {
        DbState::Ready { .. } => tracing::info!("database ready"),
        DbState::Failed { attempt, reason } if entered => tracing::warn!(
            attempt,
            reason = %reason,
            "database startup failed; retrying in the background"
        ),
        DbState::Reconnecting { reason, .. } if entered => {
            tracing::warn!(reason = %reason, "database connection lost; reconnecting");
        }
        _ => {}
    }
}

/// The liveness check within `timeout`, and the reason in words when it
/// fails. It runs on an idle pool connection when there is one (simple
/// protocol: no prepared statement, safe behind any pooler), so an idle
/// daemon's check opens no second session. When every connection is out it
/// waits for one like any request: a busy connection is no proof of life,
/// because sqlx's on-release check (one round trip, no timeout of its own)
/// can hang on a server that stopped answering, and such a connection never
/// comes back; not getting one back in time is that server's "no answer".
async fn ping_pool(pool: &PgPool, timeout: Duration) -> Result<(), String> {
    let no_answer = || format!("no answer within {} s", timeout.as_secs().max(1));
    let ping = async {
        let mut conn = match pool.try_acquire() {
            Some(conn) => conn,
            None => {
                let all_out = pool.size() > 0;
                pool.acquire().await.map_err(|e| match e {
                    sqlx::Error::PoolTimedOut if all_out => no_answer(),
                    e => session_error(&e),
                })?
            }
        };
        sqlx::raw_sql("SELECT 1")
            .execute(&mut *conn)
            .await
            .map(drop)
            .map_err(|e| session_error(&e))
    };
    tokio::time::timeout(timeout, ping)
        .await
        .unwrap_or_else(|_| Err(no_answer()))
}

/// The pool for a request handler, or why there is none.
pub async fn get_pool(
    actor: &ActorRef<DbSupervisorMsg>,
    timeout: Duration,
) -> Result<DatabaseConnection, CallError<DbUnavailable>> {
    super::call_fallible(actor, NAME, DbSupervisorMsg::GetPool, timeout).await
}

/// The pool's (busy, idle) server sessions, for `GET /metrics`.
pub async fn sessions(
    actor: &ActorRef<DbSupervisorMsg>,
    timeout: Duration,
) -> Result<(u32, u32), ActorUnavailable> {
    super::call(actor, NAME, DbSupervisorMsg::Sessions, timeout).await
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
