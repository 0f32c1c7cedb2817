//! TEMPORARY interface stub; replaced by the real CredentialStore (branch `store`).
#![allow(missing_docs)]

use std::path::PathBuf;
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use super::{CallError, call_fallible, reply};
use crate::domain::credentials::{ConnectionSummary, DbCredentials};

#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(String);
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SaveError(String);

#[derive(Debug)]
pub struct CredentialStoreArgs {
    pub config_dir: Option<PathBuf>,
}

pub enum CredentialStoreMsg {
    Load(RpcReplyPort<Result<Option<DbCredentials>, LoadError>>),
    Save(Box<DbCredentials>, RpcReplyPort<Result<(), SaveError>>),
    #[cfg(feature = "test-hooks")]
    Panic,
}

#[derive(Debug)]
pub struct CredentialStore;

impl Actor for CredentialStore {
    type Msg = CredentialStoreMsg;
    type State = Option<DbCredentials>;
    type Arguments = CredentialStoreArgs;
    async fn pre_start(&self, _m: ActorRef<Self::Msg>, _a: CredentialStoreArgs) -> Result<Self::State, ActorProcessingErr> {
        Ok(None)
    }
    async fn handle(&self, _m: ActorRef<Self::Msg>, msg: Self::Msg, st: &mut Self::State) -> Result<(), ActorProcessingErr> {
        match msg {
            CredentialStoreMsg::Load(p) => reply(p, Ok(st.clone())),
            CredentialStoreMsg::Save(c, p) => {
                *st = Some(*c);
                reply(p, Ok(()))
            }
            #[cfg(feature = "test-hooks")]
            CredentialStoreMsg::Panic => panic!("test hook"),
        }
        Ok(())
    }
}

pub async fn load(actor: &ActorRef<CredentialStoreMsg>, timeout: Duration) -> Result<Option<DbCredentials>, CallError<LoadError>> {
    call_fallible(actor, "credential store", CredentialStoreMsg::Load, timeout).await
}
pub async fn save(actor: &ActorRef<CredentialStoreMsg>, creds: DbCredentials, timeout: Duration) -> Result<(), CallError<SaveError>> {
    call_fallible(actor, "credential store", |p| CredentialStoreMsg::Save(Box::new(creds), p), timeout).await
}
pub async fn summary(actor: &ActorRef<CredentialStoreMsg>, timeout: Duration) -> Result<Option<ConnectionSummary>, CallError<LoadError>> {
    load(actor, timeout).await.map(|c| c.map(|c| c.summary()))
}
