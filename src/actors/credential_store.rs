//! The CredentialStore actor: the only code that reads or writes
//! `fernet.key` and `db_credentials.enc`.
//!
//! Why an actor: its mailbox serialises every load and save of this daemon,
//! so concurrent `save-connection` requests never interleave their writes
//! (the folder lock in [`CredentialFolder`] extends that to other processes).
//! The file work is blocking (fsync), so each request runs on tokio's blocking
//! pool and the handler awaits it; the mailbox stays serialised, while the
//! async worker threads stay free. A failed or panicking blocking task
//! becomes a typed error in the reply, never a crash of the actor.
//!
//! Callers use [`load`], [`save`] and [`summary`], which wrap the RPC with a
//! timeout and never expose ractor types.

use std::path::PathBuf;
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use super::{CallError, call_fallible, reply};
use crate::domain::credentials::{ConnectionSummary, DbCredentials};
use crate::security::config_dir::{self, NoConfigDir};
use crate::security::credential_folder::CredentialFolder;
pub use crate::security::credential_folder::{LoadError, SaveError};

/// Name used in [`ActorUnavailable`](super::ActorUnavailable) messages.
/// This actor's one name: logs, supervision, "unavailable" messages.
pub const NAME: &str = "credential_store";

// How handlers and peers find the current instance (see `directory.rs`).
super::directory::directory_slot!(
    credential_store,
    set_credential_store,
    CredentialStoreMsg,
    NAME
);

/// The CredentialStore actor (stateless itself; see [`CredentialStoreState`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct CredentialStore;

/// Startup input.
#[derive(Debug, Clone, Default)]
pub struct CredentialStoreArgs {
    /// The config folder from configuration (`TASKFLOW_CONFIG_DIR`);
    /// `None` means the platform's local config folder for TaskFlow.
    pub config_dir: Option<PathBuf>,
}

/// The actor's state: where the files are, or why there is no folder.
#[derive(Debug)]
pub struct CredentialStoreState {
    /// The resolved files. A missing platform folder is kept as an error and
    /// reported on each request, rather than failing startup: the daemon can
    /// still serve (e.g. with `TASKFLOW_DATABASE_URL`) and say why it cannot save.
    files: Result<CredentialFolder, NoConfigDir>,
}

/// Requests to the CredentialStore. All are legal at any time.
#[derive(Debug)]
pub enum CredentialStoreMsg {
    /// Read the saved settings. Replies `Ok(None)` when nothing was saved,
    /// `Ok(Some(creds))` when both files are good, or the [`LoadError`] that
    /// `/health` and the status endpoint report. Sent by the DbSupervisor at
    /// start and by the settings handlers.
    Load(RpcReplyPort<Result<Option<DbCredentials>, LoadError>>),
    /// Encrypt and store these settings (sent by `save-connection`). Replies
    /// `Ok(())` once the files are durable; on error the previous files are
    /// unchanged. Boxed to keep the message enum small.
    Save(Box<DbCredentials>, RpcReplyPort<Result<(), SaveError>>),
    /// Makes the actor panic, so tests can prove that the supervisor restarts it.
    #[cfg(debug_assertions)]
    Panic,
}

impl CredentialStoreMsg {
    /// The message's name for its debug event (never its content).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Load(_) => "load",
            Self::Save(..) => "save",
            #[cfg(debug_assertions)]
            Self::Panic => "panic",
        }
    }
}

impl Actor for CredentialStore {
    type Msg = CredentialStoreMsg;
    type State = CredentialStoreState;
    type Arguments = CredentialStoreArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        let files = config_dir::resolve(args.config_dir.as_deref()).map(CredentialFolder::new);
        match &files {
            Ok(f) => {
                tracing::debug!(dir = %f.dir().display(), "credential store started");
                let f = f.clone();
                // A stat and at most one chmod; off the async threads all the same.
                let _ = tokio::task::spawn_blocking(move || f.secure_at_start()).await;
            }
            Err(e) => tracing::warn!(error = %e, "credential store has no folder"),
        }
        Ok(CredentialStoreState { files })
    }

    #[tracing::instrument(name = "actor", level = "debug", skip_all, fields(actor = %NAME))]
    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        tracing::debug!(actor = %NAME, msg = %message.kind(), "message");
        match message {
            CredentialStoreMsg::Load(port) => {
                let result = match &state.files {
                    Ok(files) => load_blocking(files.clone()).await,
                    Err(e) => Err(LoadError::NoConfigDir(e.clone())),
                };
                if let Err(e) = &result {
                    tracing::warn!(reason = %e, "stored connection settings cannot be read");
                }
                reply(port, result);
            }
            CredentialStoreMsg::Save(creds, port) => {
                let result = match &state.files {
                    Ok(files) => save_blocking(files.clone(), creds).await,
                    Err(e) => Err(SaveError::NoConfigDir(e.clone())),
                };
                if let Err(e) = &result {
                    tracing::warn!(reason = %e, "failed to save connection settings");
                }
                reply(port, result);
            }
            #[cfg(debug_assertions)]
            CredentialStoreMsg::Panic => {
                #[allow(clippy::panic)] // the whole point of this test hook
                {
                    panic!("credential store: panic requested by a test hook");
                }
            }
        }
        Ok(())
    }
}

/// Runs [`CredentialFolder::load`] on the blocking pool.
async fn load_blocking(files: CredentialFolder) -> Result<Option<DbCredentials>, LoadError> {
    match tokio::task::spawn_blocking(move || files.load()).await {
        Ok(result) => result,
        Err(join) => {
            tracing::error!(error = %join, "credential load task failed");
            Err(LoadError::Internal)
        }
    }
}

/// Runs [`CredentialFolder::save`] on the blocking pool and logs the success
/// with the non-secret fields only.
async fn save_blocking(
    files: CredentialFolder,
    creds: Box<DbCredentials>,
) -> Result<(), SaveError> {
    match tokio::task::spawn_blocking(move || files.save(&creds).map(|()| creds)).await {
        Ok(Ok(creds)) => {
            tracing::debug!(
                host = %creds.host,
                port = creds.port,
                database = %creds.database,
                username = %creds.username,
                "saved credentials"
            );
            Ok(())
        }
        Ok(Err(e)) => Err(e),
        Err(join) => {
            tracing::error!(error = %join, "credential save task failed");
            Err(SaveError::Internal)
        }
    }
}

/// Reads the saved settings through the actor, waiting at most `timeout`.
pub async fn load(
    actor: &ActorRef<CredentialStoreMsg>,
    timeout: Duration,
) -> Result<Option<DbCredentials>, CallError<LoadError>> {
    call_fallible(actor, NAME, CredentialStoreMsg::Load, timeout).await
}

/// Saves `creds` through the actor, waiting at most `timeout`.
///
/// A timeout does not cancel the save: it may still complete afterwards
/// (atomically), so the caller should report "unavailable", not "not saved".
pub async fn save(
    actor: &ActorRef<CredentialStoreMsg>,
    creds: DbCredentials,
    timeout: Duration,
) -> Result<(), CallError<SaveError>> {
    let creds = Box::new(creds);
    call_fallible(
        actor,
        NAME,
        move |port| CredentialStoreMsg::Save(creds, port),
        timeout,
    )
    .await
}

/// The saved settings without the password (`load` then
/// [`DbCredentials::summary`]), for the Settings page and the status endpoint.
pub async fn summary(
    actor: &ActorRef<CredentialStoreMsg>,
    timeout: Duration,
) -> Result<Option<ConnectionSummary>, CallError<LoadError>> {
    Ok(load(actor, timeout).await?.map(|c| c.summary()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::actors::ActorUnavailable;

    const T: Duration = Duration::from_secs(10);

    fn creds(host: &str) -> DbCredentials {
        crate::domain::credentials::sample(host, "pw with spaces")
    }

    async fn spawn(dir: PathBuf) -> ActorRef<CredentialStoreMsg> {
        let args = CredentialStoreArgs {
            config_dir: Some(dir),
        };
        Actor::spawn(None, CredentialStore, args).await.unwrap().0
    }

    #[tokio::test]
    async fn load_save_summary_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cfg");
        let actor = spawn(dir.clone()).await;
        assert_eq!(load(&actor, T).await.unwrap(), None);
        assert!(!dir.exists(), "loading must not create the folder");
        save(&actor, creds("db1"), T).await.unwrap();
        assert_eq!(load(&actor, T).await.unwrap(), Some(creds("db1")));
        let s = summary(&actor, T).await.unwrap().unwrap();
        assert_eq!(s, creds("db1").summary());
        actor.stop(None);
    }

    #[tokio::test]
    async fn errors_travel_in_the_reply() {
        let tmp = tempfile::tempdir().unwrap();
        let blocker = tmp.path().join("file");
        std::fs::write(&blocker, b"").unwrap();
        let actor = spawn(blocker.join("cfg")).await;
        match save(&actor, creds("x"), T).await {
            Err(CallError::Failed(SaveError::CreateFolder { .. })) => {}
            other => panic!("unexpected {other:?}"),
        }
        // The actor is still alive after a domain error, and a folder path
        // through a file is reported on load too (not mistaken for "none").
        match load(&actor, T).await {
            Err(CallError::Failed(e)) => assert!(e.to_string().contains("Not a directory"), "{e}"),
            other => panic!("unexpected {other:?}"),
        }
        actor.stop(None);
    }

    #[tokio::test]
    async fn stopped_actor_is_unavailable() {
        let tmp = tempfile::tempdir().unwrap();
        let actor = spawn(tmp.path().to_path_buf()).await;
        actor.stop_and_wait(None, Some(T)).await.unwrap();
        match load(&actor, T).await {
            Err(CallError::Unavailable(ActorUnavailable { actor })) => {
                assert_eq!(actor, "credential_store");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
