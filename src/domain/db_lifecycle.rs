//! The DbSupervisor's lifecycle as a pure transition function:
//! [`Lifecycle::on`] takes an [`Event`] and returns the [`Effect`]s the actor
//! must carry out (spawn a connect, a migration or a ping, arm a timer, close
//! a pool, publish the state). Nothing here touches the network, the clock or
//! a random number generator, so every transition is a unit test.
//!
//! Two rules make the asynchronous parts safe:
//!
//! - **Tickets.** Every task or timer the machine asks for carries a fresh
//!   [`Ticket`], and the current phase remembers the one it is waiting for.
//!   An event whose ticket is not that one is stale (a reconfigure, a loss or
//!   a newer ping superseded it) and changes nothing; if it carries a pool,
//!   the pool is closed. So a late result of an abandoned attempt can never
//!   overwrite the new configuration, and there is never more than one ping
//!   chain.
//! - **Per-phase data.** The pool exists only in [`Phase::Migrating`] and
//!   [`Phase::Ready`]: "the pool is present only when ready" is the type,
//!   not a comment. Leaving those phases moves the pool into
//!   [`Effect::ClosePool`].
//!
//! The machine is generic over the connection source `S` and the pool `P`
//! so that it depends on nothing outside `domain/` and its tests need no
//! database.

use std::time::Duration;

use time::OffsetDateTime;

use super::db_state::DbState;

/// Identifies one task or timer the machine asked for (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ticket(u64);

/// The timings and limits the transitions depend on (from the settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Failed attempts before the state is reported as `failed` (at least 1).
    pub startup_attempts: u32,
    /// First retry delay.
    pub backoff_base: Duration,
    /// Longest retry delay (and the delay once the startup attempts are exhausted).
    pub backoff_cap: Duration,
    /// Pause between two liveness pings while ready.
    pub ping_interval: Duration,
    /// Pause before asking an unavailable CredentialStore again.
    pub store_retry: Duration,
}

impl Limits {
    /// The retry delay after the `failures`-th consecutive failure (1-based):
    /// `base · 2^(failures-1)`, at most the cap. The actor adds jitter.
    pub fn backoff(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1));
        self.backoff_base
            .saturating_mul(factor)
            .min(self.backoff_cap)
    }
}

/// What the CredentialStore said at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded<S> {
    /// Saved credentials (or the development URL fallback): connect with them.
    Found(S),
    /// Nothing saved and no fallback.
    NotConfigured,
    /// The saved files cannot be read; the reason has no secret in it.
    Unreadable(String),
    /// The CredentialStore did not answer (restarting); ask again later.
    StoreUnavailable,
}

/// Everything that can happen to the DbSupervisor.
#[derive(Debug)]
pub enum Event<S, P> {
    /// The actor started: find out what is configured.
    Start,
    /// A timer of [`Effect::WakeAfter`] with [`Wake::Load`] fired.
    LoadDue {
        /// The timer's ticket.
        ticket: Ticket,
    },
    /// The answer to [`Effect::LoadCredentials`].
    Loaded {
        /// The ticket of the request.
        ticket: Ticket,
        /// What is saved.
        outcome: Loaded<S>,
    },
    /// Freshly saved credentials: start over with them, whatever the phase.
    Reconfigure(S),
    /// A timer of [`Effect::WakeAfter`] with [`Wake::Retry`] fired.
    RetryDue {
        /// The timer's ticket.
        ticket: Ticket,
    },
    /// The result of [`Effect::Connect`].
    Connected {
        /// The task's ticket.
        ticket: Ticket,
        /// The pool, or the reason (worded by `db::connect`).
        result: Result<P, String>,
    },
    /// The result of [`Effect::Migrate`].
    Migrated {
        /// The task's ticket.
        ticket: Ticket,
        /// Success, or the reason.
        result: Result<(), String>,
        /// When the result arrived (becomes `ready_since`).
        at: OffsetDateTime,
    },
    /// A timer of [`Effect::WakeAfter`] with [`Wake::Ping`] fired.
    PingDue {
        /// The timer's ticket.
        ticket: Ticket,
    },
    /// A request saw a connection error: ping now rather than at the next tick.
    Suspect,
    /// The result of [`Effect::Ping`].
    Pinged {
        /// The task's ticket.
        ticket: Ticket,
        /// Success, or the reason.
        result: Result<(), String>,
    },
}

/// Which event a timer sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// [`Event::RetryDue`]: the next connect attempt.
    Retry,
    /// [`Event::PingDue`]: the next liveness ping.
    Ping,
    /// [`Event::LoadDue`]: ask the unavailable CredentialStore again.
    Load,
}

/// What the actor must do after a transition, in order.
#[derive(Debug, PartialEq)]
pub enum Effect<S, P> {
    /// Ask the CredentialStore what is saved; answer with [`Event::Loaded`].
    LoadCredentials {
        /// For the answer.
        ticket: Ticket,
    },
    /// Open a pool to `source`; answer with [`Event::Connected`].
    Connect {
        /// For the answer.
        ticket: Ticket,
        /// Where to connect.
        source: S,
    },
    /// Run the migrations over `pool`; answer with [`Event::Migrated`].
    Migrate {
        /// For the answer.
        ticket: Ticket,
        /// Where the migration lock and the schema are.
        source: S,
        /// The pool being migrated (kept by the machine too).
        pool: P,
    },
    /// Check that `pool` still reaches the server; answer with [`Event::Pinged`].
    Ping {
        /// For the answer.
        ticket: Ticket,
        /// The pool to check.
        pool: P,
    },
    /// Send the [`Wake`] event with `ticket` after `delay` (for
    /// [`Wake::Retry`] the actor may shorten it by jitter).
    WakeAfter {
        /// For the event.
        ticket: Ticket,
        /// Which event.
        wake: Wake,
        /// How long to wait.
        delay: Duration,
    },
    /// Close a pool the machine no longer holds (or never took).
    ClosePool(P),
    /// The public state changed: tell Readiness.
    Publish(DbState),
}

/// Why the machine is (re)connecting; decides the public state's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Starting (or reconfigured): `connecting`, with the last failure if any.
    Starting {
        /// The previous attempt's failure.
        last_error: Option<String>,
    },
    /// The startup attempts are exhausted: `failed`; retries go on at the cap.
    StartupFailed {
        /// The last failure.
        reason: String,
    },
    /// It was ready and lost the server: `reconnecting`; never `failed`.
    Lost {
        /// The loss, then the last failure.
        reason: String,
    },
}

/// Where the lifecycle stands, with the data each phase owns.
#[derive(Debug)]
pub enum Phase<S, P> {
    /// Before [`Event::Start`], or asking the CredentialStore.
    Loading {
        /// The pending request or retry timer.
        awaiting: Option<Ticket>,
    },
    /// Nothing to connect to.
    Unconfigured,
    /// The saved files cannot be read.
    Unreadable {
        /// Why.
        reason: String,
    },
    /// No pool: a connect attempt is in flight, or its retry timer is armed.
    Connecting {
        /// Where to connect.
        source: S,
        /// 1-based number of the attempt in flight (or of the last one, while waiting).
        attempt: u32,
        /// Why we are connecting.
        why: Why,
        /// The pending connect or retry timer.
        awaiting: Ticket,
    },
    /// Connected; the migrations run.
    Migrating {
        /// Where.
        source: S,
        /// The attempt that connected.
        attempt: u32,
        /// Why we were connecting (a failed migration continues from it).
        why: Why,
        /// The new pool, handed out only once ready.
        pool: P,
        /// The pending migration.
        awaiting: Ticket,
    },
    /// Serving.
    Ready {
        /// Where.
        source: S,
        /// The pool handlers get.
        pool: P,
        /// When it became ready.
        since: OffsetDateTime,
        /// The armed ping timer or the ping in flight.
        awaiting: Ticket,
        /// Whether `awaiting` is a ping in flight (else the timer).
        pinging: bool,
    },
}

/// The DbSupervisor's lifecycle: the phase plus the ticket counter.
#[derive(Debug)]
pub struct Lifecycle<S, P> {
    limits: Limits,
    last_ticket: u64,
    phase: Phase<S, P>,
}

impl<S: Clone, P: Clone> Lifecycle<S, P> {
    /// A machine waiting for [`Event::Start`].
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            last_ticket: 0,
            phase: Phase::Loading { awaiting: None },
        }
    }

    /// The current phase (read-only).
    pub fn phase(&self) -> &Phase<S, P> {
        &self.phase
    }

    /// The public state, as `/health` and `/settings/status` show it.
    pub fn state(&self) -> DbState {
        match &self.phase {
            Phase::Loading { .. } => DbState::Connecting {
                attempt: 0,
                last_error: None,
            },
            Phase::Unconfigured => DbState::Unconfigured,
            Phase::Unreadable { reason } => DbState::Unreadable {
                reason: reason.clone(),
            },
            Phase::Connecting { attempt, why, .. } => match why {
                Why::Starting { last_error } => DbState::Connecting {
                    attempt: *attempt,
                    last_error: last_error.clone(),
                },
                Why::StartupFailed { reason } => DbState::Failed {
                    attempt: *attempt,
                    reason: reason.clone(),
                },
                Why::Lost { reason } => DbState::Reconnecting {
                    attempt: *attempt,
                    reason: reason.clone(),
                },
            },
            Phase::Migrating { .. } => DbState::Migrating,
            Phase::Ready { since, .. } => DbState::Ready { since: *since },
        }
    }

    /// The pool for a request handler: only when ready.
    pub fn pool(&self) -> Option<&P> {
        match &self.phase {
            Phase::Ready { pool, .. } => Some(pool),
            _ => None,
        }
    }

    /// Where the machine connects (or is connected), if configured.
    pub fn source(&self) -> Option<&S> {
        match &self.phase {
            Phase::Connecting { source, .. }
            | Phase::Migrating { source, .. }
            | Phase::Ready { source, .. } => Some(source),
            Phase::Loading { .. } | Phase::Unconfigured | Phase::Unreadable { .. } => None,
        }
    }

    /// The transition: applies `event` and returns what the actor must do.
    /// Publishes the state whenever it changed.
    pub fn on(&mut self, event: Event<S, P>) -> Vec<Effect<S, P>> {
        let before = self.state();
        let mut effects = Vec::new();
        let phase = std::mem::replace(&mut self.phase, Phase::Loading { awaiting: None });
        self.phase = self.next(phase, event, &mut effects);
        let after = self.state();
        if after != before {
            effects.push(Effect::Publish(after));
        }
        effects
    }

    /// Pushes the effect made with a new ticket; the ticket is what the
    /// phase then awaits, so only that effect's answer can move it on.
    fn issue(
        &mut self,
        fx: &mut Vec<Effect<S, P>>,
        effect: impl FnOnce(Ticket) -> Effect<S, P>,
    ) -> Ticket {
        self.last_ticket += 1;
        let ticket = Ticket(self.last_ticket);
        fx.push(effect(ticket));
        ticket
    }

    /// [`Self::issue`] of a timer.
    fn wake(&mut self, fx: &mut Vec<Effect<S, P>>, wake: Wake, delay: Duration) -> Ticket {
        self.issue(fx, |ticket| Effect::WakeAfter {
            ticket,
            wake,
            delay,
        })
    }

    fn next(
        &mut self,
        phase: Phase<S, P>,
        event: Event<S, P>,
        fx: &mut Vec<Effect<S, P>>,
    ) -> Phase<S, P> {
        match (phase, event) {
            // Saved credentials always win, whatever is going on.
            (phase, Event::Reconfigure(source)) => {
                if let Some(pool) = into_pool(phase) {
                    fx.push(Effect::ClosePool(pool));
                }
                self.attempt(source, 1, Why::Starting { last_error: None }, fx)
            }

            (Phase::Loading { awaiting: None }, Event::Start) => self.load(fx),
            (Phase::Loading { awaiting }, Event::LoadDue { ticket })
                if awaiting == Some(ticket) =>
            {
                self.load(fx)
            }
            (Phase::Loading { awaiting }, Event::Loaded { ticket, outcome })
                if awaiting == Some(ticket) =>
            {
                match outcome {
                    Loaded::Found(source) => {
                        self.attempt(source, 1, Why::Starting { last_error: None }, fx)
                    }
                    Loaded::NotConfigured => Phase::Unconfigured,
                    Loaded::Unreadable(reason) => Phase::Unreadable { reason },
                    Loaded::StoreUnavailable => {
                        let ticket = self.wake(fx, Wake::Load, self.limits.store_retry);
                        Phase::Loading {
                            awaiting: Some(ticket),
                        }
                    }
                }
            }

            (
                Phase::Connecting {
                    source,
                    attempt,
                    why,
                    awaiting,
                },
                Event::RetryDue { ticket },
            ) if awaiting == ticket => self.attempt(source, attempt.saturating_add(1), why, fx),

            (
                Phase::Connecting {
                    source,
                    attempt,
                    why,
                    awaiting,
                },
                Event::Connected { ticket, result },
            ) if awaiting == ticket => match result {
                Ok(pool) => {
                    let ticket = self.issue(fx, |ticket| Effect::Migrate {
                        ticket,
                        source: source.clone(),
                        pool: pool.clone(),
                    });
                    Phase::Migrating {
                        source,
                        attempt,
                        why,
                        pool,
                        awaiting: ticket,
                    }
                }
                Err(reason) => self.failed(source, attempt, why, reason, fx),
            },

            (
                Phase::Migrating {
                    source,
                    attempt,
                    why,
                    pool,
                    awaiting,
                },
                Event::Migrated { ticket, result, at },
            ) if awaiting == ticket => match result {
                Ok(()) => self.ready(source, pool, at, fx),
                Err(reason) => {
                    fx.push(Effect::ClosePool(pool));
                    self.failed(source, attempt, why, reason, fx)
                }
            },

            // A due ping, or a suspect connection while no ping is in flight
            // (the new ticket retires the armed timer: one ping chain only).
            (
                Phase::Ready {
                    source,
                    pool,
                    since,
                    awaiting,
                    pinging: false,
                },
                event @ (Event::PingDue { .. } | Event::Suspect),
            ) if matches!(event, Event::Suspect)
                || matches!(event, Event::PingDue { ticket } if ticket == awaiting) =>
            {
                let ticket = self.issue(fx, |ticket| Effect::Ping {
                    ticket,
                    pool: pool.clone(),
                });
                Phase::Ready {
                    source,
                    pool,
                    since,
                    awaiting: ticket,
                    pinging: true,
                }
            }

            (
                Phase::Ready {
                    source,
                    pool,
                    since,
                    awaiting,
                    pinging: true,
                },
                Event::Pinged { ticket, result },
            ) if awaiting == ticket => match result {
                Ok(()) => self.ready(source, pool, since, fx),
                Err(reason) => {
                    fx.push(Effect::ClosePool(pool));
                    self.attempt(source, 1, Why::Lost { reason }, fx)
                }
            },

            // Anything else is stale or does not apply here. A pool that
            // arrives this way was opened for an abandoned attempt: close it.
            (phase, event) => {
                if let Event::Connected {
                    result: Ok(pool), ..
                } = event
                {
                    fx.push(Effect::ClosePool(pool));
                }
                phase
            }
        }
    }

    /// Asks the CredentialStore what is saved.
    fn load(&mut self, fx: &mut Vec<Effect<S, P>>) -> Phase<S, P> {
        let ticket = self.issue(fx, |ticket| Effect::LoadCredentials { ticket });
        Phase::Loading {
            awaiting: Some(ticket),
        }
    }

    /// Starts attempt number `attempt`.
    fn attempt(
        &mut self,
        source: S,
        attempt: u32,
        why: Why,
        fx: &mut Vec<Effect<S, P>>,
    ) -> Phase<S, P> {
        let ticket = self.issue(fx, |ticket| Effect::Connect {
            ticket,
            source: source.clone(),
        });
        Phase::Connecting {
            source,
            attempt,
            why,
            awaiting: ticket,
        }
    }

    /// Attempt `attempt` failed with `reason`: decide the wording and arm
    /// the retry. Once ready, a loss is never "startup failed"; once the
    /// startup attempts are exhausted, retries go on at the cap.
    fn failed(
        &mut self,
        source: S,
        attempt: u32,
        why: Why,
        reason: String,
        fx: &mut Vec<Effect<S, P>>,
    ) -> Phase<S, P> {
        let (why, delay) = match why {
            Why::Lost { .. } => (Why::Lost { reason }, self.limits.backoff(attempt)),
            _ if attempt >= self.limits.startup_attempts.max(1) => {
                (Why::StartupFailed { reason }, self.limits.backoff_cap)
            }
            _ => (
                Why::Starting {
                    last_error: Some(reason),
                },
                self.limits.backoff(attempt),
            ),
        };
        let ticket = self.wake(fx, Wake::Retry, delay);
        Phase::Connecting {
            source,
            attempt,
            why,
            awaiting: ticket,
        }
    }

    /// Ready (since `since`) with `pool`, the next ping armed: after the
    /// migrations, and after every ping that answered.
    fn ready(
        &mut self,
        source: S,
        pool: P,
        since: OffsetDateTime,
        fx: &mut Vec<Effect<S, P>>,
    ) -> Phase<S, P> {
        let awaiting = self.wake(fx, Wake::Ping, self.limits.ping_interval);
        Phase::Ready {
            source,
            pool,
            since,
            awaiting,
            pinging: false,
        }
    }
}

/// The pool a phase owns, if any (when leaving it).
fn into_pool<S, P>(phase: Phase<S, P>) -> Option<P> {
    match phase {
        Phase::Migrating { pool, .. } | Phase::Ready { pool, .. } => Some(pool),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// A pool stand-in: which connect produced it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Pool(u64);

    type Machine = Lifecycle<&'static str, Pool>;
    type Fx = Vec<Effect<&'static str, Pool>>;

    const AT: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    fn limits() -> Limits {
        Limits {
            startup_attempts: 3,
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(1000),
            ping_interval: Duration::from_secs(2),
            store_retry: Duration::from_millis(200),
        }
    }

    /// The ticket of the only effect that asks for one of the given kind.
    fn ticket_of(fx: &Fx, kind: &str) -> Ticket {
        let found: Vec<Ticket> = fx
            .iter()
            .filter_map(|e| match (kind, e) {
                ("load", Effect::LoadCredentials { ticket })
                | ("connect", Effect::Connect { ticket, .. })
                | ("migrate", Effect::Migrate { ticket, .. })
                | ("ping", Effect::Ping { ticket, .. }) => Some(*ticket),
                (
                    "retry",
                    Effect::WakeAfter {
                        ticket,
                        wake: Wake::Retry,
                        ..
                    },
                )
                | (
                    "tick",
                    Effect::WakeAfter {
                        ticket,
                        wake: Wake::Ping,
                        ..
                    },
                )
                | (
                    "reload",
                    Effect::WakeAfter {
                        ticket,
                        wake: Wake::Load,
                        ..
                    },
                ) => Some(*ticket),
                _ => None,
            })
            .collect();
        assert_eq!(found.len(), 1, "one {kind} effect expected in {fx:?}");
        found[0]
    }

    fn published(fx: &Fx) -> Option<&DbState> {
        fx.iter().find_map(|e| match e {
            Effect::Publish(s) => Some(s),
            _ => None,
        })
    }

    /// The effects publish a first attempt with no history.
    #[track_caller]
    fn assert_connecting_afresh(fx: &Fx) {
        assert_eq!(
            published(fx),
            Some(&DbState::Connecting {
                attempt: 1,
                last_error: None
            })
        );
    }

    fn closed(fx: &Fx) -> Vec<Pool> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::ClosePool(p) => Some(p.clone()),
                _ => None,
            })
            .collect()
    }

    fn retry_delay(fx: &Fx) -> Duration {
        fx.iter()
            .find_map(|e| match e {
                Effect::WakeAfter {
                    wake: Wake::Retry,
                    delay,
                    ..
                } => Some(*delay),
                _ => None,
            })
            .unwrap()
    }

    /// A started machine whose credential load answered `outcome`, and
    /// that answer's effects.
    fn loaded(outcome: Loaded<&'static str>) -> (Machine, Fx) {
        let mut m = Machine::new(limits());
        let load = ticket_of(&m.on(Event::Start), "load");
        let fx = m.on(Event::Loaded {
            ticket: load,
            outcome,
        });
        (m, fx)
    }

    /// A machine that loaded `"db"` and has its first connect in flight.
    fn connecting() -> (Machine, Ticket) {
        let (m, fx) = loaded(Loaded::Found("db"));
        (m, ticket_of(&fx, "connect"))
    }

    /// A ready machine holding `Pool(1)`, with its ping timer's ticket.
    fn ready() -> (Machine, Ticket) {
        let (mut m, connect) = connecting();
        let fx = m.on(Event::Connected {
            ticket: connect,
            result: Ok(Pool(1)),
        });
        let migrate = ticket_of(&fx, "migrate");
        let fx = m.on(Event::Migrated {
            ticket: migrate,
            result: Ok(()),
            at: AT,
        });
        (m, ticket_of(&fx, "tick"))
    }

    /// Fails the connect in flight; returns the retry timer's ticket.
    fn fail(m: &mut Machine, connect: Ticket, why: &str) -> (Ticket, Fx) {
        let fx = m.on(Event::Connected {
            ticket: connect,
            result: Err(why.to_owned()),
        });
        (ticket_of(&fx, "retry"), fx)
    }

    #[test]
    fn start_loads_then_connects_migrates_and_becomes_ready() {
        let mut m = Machine::new(limits());
        assert_eq!(
            m.state(),
            DbState::Connecting {
                attempt: 0,
                last_error: None
            }
        );
        let fx = m.on(Event::Start);
        let load = ticket_of(&fx, "load");
        let fx = m.on(Event::Loaded {
            ticket: load,
            outcome: Loaded::Found("db"),
        });
        assert!(matches!(&fx[0], Effect::Connect { source: "db", .. }));
        assert_connecting_afresh(&fx);
        assert_eq!(m.source(), Some(&"db"));
        assert_eq!(m.pool(), None);
        let connect = ticket_of(&fx, "connect");
        let fx = m.on(Event::Connected {
            ticket: connect,
            result: Ok(Pool(1)),
        });
        assert_eq!(published(&fx), Some(&DbState::Migrating));
        assert!(
            matches!(&fx[0], Effect::Migrate { pool: Pool(1), .. }),
            "{fx:?}"
        );
        assert_eq!(m.pool(), None, "no pool for handlers while migrating");
        let fx = m.on(Event::Migrated {
            ticket: ticket_of(&fx, "migrate"),
            result: Ok(()),
            at: AT,
        });
        assert_eq!(published(&fx), Some(&DbState::Ready { since: AT }));
        assert_eq!(m.pool(), Some(&Pool(1)));
        ticket_of(&fx, "tick");
    }

    #[test]
    fn nothing_saved_is_unconfigured_and_unreadable_files_say_why() {
        let (_, fx) = loaded(Loaded::NotConfigured);
        assert_eq!(fx, vec![Effect::Publish(DbState::Unconfigured)]);

        let (_, fx) = loaded(Loaded::Unreadable("bad key".into()));
        assert_eq!(
            fx,
            vec![Effect::Publish(DbState::Unreadable {
                reason: "bad key".into()
            })]
        );
    }

    #[test]
    fn an_unavailable_store_is_asked_again_after_a_pause() {
        let (mut m, fx) = loaded(Loaded::StoreUnavailable);
        assert!(matches!(
            fx[..],
            [Effect::WakeAfter {
                wake: Wake::Load,
                delay,
                ..
            }] if delay == Duration::from_millis(200)
        ));
        let reload = ticket_of(&fx, "reload");
        assert!(m.on(Event::Start).is_empty(), "only the timer asks again");
        let fx = m.on(Event::LoadDue { ticket: reload });
        let load = ticket_of(&fx, "load");
        let fx = m.on(Event::Loaded {
            ticket: load,
            outcome: Loaded::Found("db"),
        });
        ticket_of(&fx, "connect");
    }

    #[test]
    fn startup_retries_back_off_then_fail_after_the_attempts_and_go_on_at_the_cap() {
        let (mut m, connect) = connecting();
        let (retry, fx) = fail(&mut m, connect, "refused");
        assert_eq!(retry_delay(&fx), Duration::from_millis(100));
        assert_eq!(
            published(&fx),
            Some(&DbState::Connecting {
                attempt: 1,
                last_error: Some("refused".into())
            })
        );
        let connect = ticket_of(&m.on(Event::RetryDue { ticket: retry }), "connect");
        let (retry, fx) = fail(&mut m, connect, "refused");
        assert_eq!(retry_delay(&fx), Duration::from_millis(200));
        let fx = m.on(Event::RetryDue { ticket: retry });
        assert_eq!(
            published(&fx),
            Some(&DbState::Connecting {
                attempt: 3,
                last_error: Some("refused".into())
            })
        );
        let (retry, fx) = fail(&mut m, ticket_of(&fx, "connect"), "timeout");
        assert_eq!(
            published(&fx),
            Some(&DbState::Failed {
                attempt: 3,
                reason: "timeout".into()
            })
        );
        assert_eq!(retry_delay(&fx), Duration::from_millis(1000), "the cap");
        // Still failed while the fourth attempt runs, with the last reason.
        let fx = m.on(Event::RetryDue { ticket: retry });
        assert_eq!(
            published(&fx),
            Some(&DbState::Failed {
                attempt: 4,
                reason: "timeout".into()
            })
        );
        // And it heals when the server comes back.
        let fx = m.on(Event::Connected {
            ticket: ticket_of(&fx, "connect"),
            result: Ok(Pool(4)),
        });
        let fx = m.on(Event::Migrated {
            ticket: ticket_of(&fx, "migrate"),
            result: Ok(()),
            at: AT,
        });
        assert_eq!(published(&fx), Some(&DbState::Ready { since: AT }));
    }

    #[test]
    fn a_failed_migration_closes_its_pool_and_retries() {
        let (mut m, connect) = connecting();
        let fx = m.on(Event::Connected {
            ticket: connect,
            result: Ok(Pool(1)),
        });
        let fx = m.on(Event::Migrated {
            ticket: ticket_of(&fx, "migrate"),
            result: Err("lock timeout".into()),
            at: AT,
        });
        assert_eq!(closed(&fx), vec![Pool(1)]);
        assert_eq!(
            published(&fx),
            Some(&DbState::Connecting {
                attempt: 1,
                last_error: Some("lock timeout".into())
            })
        );
        ticket_of(&fx, "retry");
    }

    #[test]
    fn pings_form_one_chain_and_a_lost_server_means_reconnecting() {
        let (mut m, tick) = ready();
        let fx = m.on(Event::PingDue { ticket: tick });
        let ping = ticket_of(&fx, "ping");
        assert!(published(&fx).is_none(), "a ping changes no state");
        // A suspect connection while a ping is in flight adds no second ping.
        assert!(m.on(Event::Suspect).is_empty());
        let fx = m.on(Event::Pinged {
            ticket: ping,
            result: Ok(()),
        });
        let tick = ticket_of(&fx, "tick");
        // A suspect connection pings at once and retires the armed timer.
        let ping = ticket_of(&m.on(Event::Suspect), "ping");
        assert!(m.on(Event::PingDue { ticket: tick }).is_empty(), "retired");
        let fx = m.on(Event::Pinged {
            ticket: ping,
            result: Err("terminated".into()),
        });
        assert_eq!(closed(&fx), vec![Pool(1)]);
        assert_eq!(m.pool(), None);
        assert_eq!(
            published(&fx),
            Some(&DbState::Reconnecting {
                attempt: 1,
                reason: "terminated".into()
            })
        );
        let connect = ticket_of(&fx, "connect");
        // Losing it again and again is never "startup failed".
        let mut connect = connect;
        for attempt in 1..=5 {
            let (retry, fx) = fail(&mut m, connect, "refused");
            assert_eq!(
                m.state(),
                DbState::Reconnecting {
                    attempt,
                    reason: "refused".into()
                }
            );
            assert_eq!(retry_delay(&fx), limits().backoff(attempt));
            connect = ticket_of(&m.on(Event::RetryDue { ticket: retry }), "connect");
        }
    }

    #[test]
    fn reconfigure_wins_in_every_phase_and_closes_the_old_pool() {
        // While loading.
        let mut m = Machine::new(limits());
        let load = ticket_of(&m.on(Event::Start), "load");
        let fx = m.on(Event::Reconfigure("new"));
        assert!(matches!(&fx[0], Effect::Connect { source: "new", .. }));
        assert!(
            m.on(Event::Loaded {
                ticket: load,
                outcome: Loaded::NotConfigured
            })
            .is_empty(),
            "the late answer is stale"
        );
        assert_eq!(m.source(), Some(&"new"));

        // While unconfigured or unreadable.
        for outcome in [Loaded::NotConfigured, Loaded::Unreadable("x".into())] {
            let (mut m, _) = loaded(outcome);
            let fx = m.on(Event::Reconfigure("new"));
            ticket_of(&fx, "connect");
            assert_connecting_afresh(&fx);
        }

        // While failed: the attempt count and the old reason are history.
        let (mut m, connect) = connecting();
        let (retry, _) = fail(&mut m, connect, "a");
        let connect = ticket_of(&m.on(Event::RetryDue { ticket: retry }), "connect");
        let (retry, _) = fail(&mut m, connect, "b");
        let connect = ticket_of(&m.on(Event::RetryDue { ticket: retry }), "connect");
        fail(&mut m, connect, "c");
        assert!(matches!(m.state(), DbState::Failed { .. }));
        let fx = m.on(Event::Reconfigure("new"));
        assert_connecting_afresh(&fx);

        // While migrating: the pool being migrated is closed.
        let (mut m, connect) = connecting();
        m.on(Event::Connected {
            ticket: connect,
            result: Ok(Pool(1)),
        });
        let fx = m.on(Event::Reconfigure("new"));
        assert_eq!(closed(&fx), vec![Pool(1)]);

        // While ready, and while reconnecting.
        let (mut m, _) = ready();
        let fx = m.on(Event::Reconfigure("new"));
        assert_eq!(closed(&fx), vec![Pool(1)]);
        assert_eq!(m.pool(), None);
        assert_eq!(m.source(), Some(&"new"));
    }

    #[test]
    fn results_of_an_abandoned_generation_are_ignored_and_their_pools_closed() {
        let (mut m, old_connect) = connecting();
        let new_connect = ticket_of(&m.on(Event::Reconfigure("new")), "connect");
        // The old attempt's pool arrives late: closed, nothing else.
        let fx = m.on(Event::Connected {
            ticket: old_connect,
            result: Ok(Pool(7)),
        });
        assert_eq!(fx, vec![Effect::ClosePool(Pool(7))]);
        // The old attempt's failure arrives late: ignored.
        assert!(
            m.on(Event::Connected {
                ticket: old_connect,
                result: Err("old".into())
            })
            .is_empty()
        );
        // The new one proceeds.
        let fx = m.on(Event::Connected {
            ticket: new_connect,
            result: Ok(Pool(8)),
        });
        let migrate = ticket_of(&fx, "migrate");
        // A stale migration result and stale timers change nothing.
        assert!(
            m.on(Event::Migrated {
                ticket: Ticket(9999),
                result: Ok(()),
                at: AT
            })
            .is_empty()
        );
        assert!(
            m.on(Event::RetryDue {
                ticket: old_connect
            })
            .is_empty()
        );
        assert!(m.on(Event::PingDue { ticket: migrate }).is_empty());
        let fx = m.on(Event::Migrated {
            ticket: migrate,
            result: Ok(()),
            at: AT,
        });
        assert_eq!(published(&fx), Some(&DbState::Ready { since: AT }));
        assert_eq!(m.pool(), Some(&Pool(8)));
    }

    #[test]
    fn a_stale_ping_result_after_a_reconnect_is_ignored() {
        let (mut m, tick) = ready();
        let ping = ticket_of(&m.on(Event::PingDue { ticket: tick }), "ping");
        // Saved again while the ping is in flight.
        m.on(Event::Reconfigure("db"));
        assert!(
            m.on(Event::Pinged {
                ticket: ping,
                result: Err("late".into())
            })
            .is_empty()
        );
        assert!(matches!(m.state(), DbState::Connecting { attempt: 1, .. }));
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let l = limits();
        let got: Vec<u128> = (1..=6).map(|n| l.backoff(n).as_millis()).collect();
        assert_eq!(got, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(l.backoff(u32::MAX), l.backoff_cap, "no overflow");
    }
}
