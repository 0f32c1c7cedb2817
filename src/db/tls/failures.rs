//! Why a relayed connection could not be set up, kept for the moment the
//! driver's error reaches `db::connect`'s wording.
//!
//! The driver only sees the relay's `ErrorResponse`; the original error (a
//! `rustls::Error` inside an `io::Error`, a refused TCP connect, a server
//! without TLS) is recorded here under a random id that the response
//! carries. [`take_failure`] finds it again, so an untrusted certificate or
//! a name mismatch is worded by the same code, in the same words, as when
//! sqlx ran the handshake. Random ids, so text from a server (which can
//! send any `ErrorResponse` once the session is up) cannot point at another
//! connection's failure; a bounded queue, so failures nobody asks about
//! (a pool's background connects) cannot pile up.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use sea_orm::sqlx;
use sea_orm::sqlx::postgres::PgDatabaseError;

use super::handshake;
use super::verifier::CertRefused;
use super::wire::RELAY_ROUTINE;

/// Failures kept at most; older ones are dropped.
const KEPT: usize = 64;

/// What went wrong before the relayed session was up.
#[derive(Debug)]
pub enum RelayFailure {
    /// As sqlx itself would have reported it (I/O, TLS, protocol).
    Driver(sqlx::Error),
    /// Already in words (the trust roots could not be loaded).
    Reason(String),
}

impl std::fmt::Display for RelayFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A refused certificate or a server's alert as its sentence: the
        // relay's log line and its `ErrorResponse` text show this, and
        // rustls' own Display of the carrier error would be a `Debug` dump.
        if let Some(text) = libpq_text(self) {
            return f.write_str(&text);
        }
        match self {
            Self::Driver(e) => write!(f, "{e}"),
            Self::Reason(r) => f.write_str(r),
        }
    }
}

static FAILURES: Mutex<VecDeque<(String, RelayFailure)>> = Mutex::new(VecDeque::new());

/// Keeps `failure` and returns the id to send in the `ErrorResponse`.
pub(super) fn record(failure: RelayFailure) -> String {
    let failure = in_libpq_words(failure);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut kept = FAILURES.lock().unwrap_or_else(PoisonError::into_inner);
    kept.push_back((id.clone(), failure));
    while kept.len() > KEPT {
        kept.pop_front();
    }
    id
}

/// A certificate the verifier refused, or any other failed handshake (an
/// alert the server sent, …), is kept as its sentence in libpq's words (see
/// `verifier::CertRefused`, [`super::handshake`]), so `db::connect` shows it as it is instead of wording
/// the `rustls::Error` that carried it. rustls' handshake reports its error
/// as the payload of an `io::Error`.
fn in_libpq_words(failure: RelayFailure) -> RelayFailure {
    match libpq_text(&failure) {
        Some(text) => RelayFailure::Reason(text),
        None => failure,
    }
}

/// libpq's words for a failed handshake, when it is one the relay words.
fn libpq_text(failure: &RelayFailure) -> Option<String> {
    let RelayFailure::Driver(sqlx::Error::Io(io)) = failure else {
        return None;
    };
    match io.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => other
            .0
            .downcast_ref::<CertRefused>()
            .map(|refused| refused.0.clone()),
        // Any other handshake failure (an alert from the server, a protocol
        // version, …) in the words `db::connect` gives sqlx's own TLS.
        other => Some(handshake::libpq_text(other)),
    }
}

/// The relay failure behind a driver error, if it is one (and still kept).
pub fn take_failure(err: &sqlx::Error) -> Option<RelayFailure> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    let id = db
        .try_downcast_ref::<PgDatabaseError>()?
        .routine()?
        .strip_prefix(RELAY_ROUTINE)?;
    let mut kept = FAILURES.lock().unwrap_or_else(PoisonError::into_inner);
    let at = kept.iter().position(|(k, _)| k == id)?;
    kept.remove(at).map(|(_, failure)| failure)
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Arc;

    use super::*;

    /// As rustls' handshake reports its error: the payload of an `io::Error`.
    fn handshake_failure(e: rustls::Error) -> RelayFailure {
        RelayFailure::Driver(sqlx::Error::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            e,
        )))
    }

    #[test]
    fn refusals_and_alerts_are_kept_and_shown_in_libpq_words() {
        let refused = handshake_failure(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Other(rustls::OtherError(Arc::new(CertRefused(
                "certificate verify failed: certificate has expired".into(),
            )))),
        ));
        assert_eq!(
            refused.to_string(),
            "certificate verify failed: certificate has expired"
        );
        assert!(matches!(
            in_libpq_words(refused),
            RelayFailure::Reason(r) if r == "certificate verify failed: certificate has expired"
        ));
        let alert = handshake_failure(rustls::Error::AlertReceived(
            rustls::AlertDescription::CertificateRequired,
        ));
        assert_eq!(
            alert.to_string(),
            "SSL error: tlsv13 alert certificate required"
        );
        let incompatible = handshake_failure(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::NoCipherSuitesInCommon,
        ));
        assert_eq!(incompatible.to_string(), "SSL error: no shared cipher");
        // Anything else keeps the driver's error for `db::connect` to word.
        let other = in_libpq_words(RelayFailure::Driver(sqlx::Error::Io(
            io::ErrorKind::ConnectionRefused.into(),
        )));
        assert!(matches!(other, RelayFailure::Driver(_)));
    }
}
