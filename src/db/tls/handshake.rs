//! A failed TLS handshake in libpq's terms, for both TLS paths: the relay's
//! (verify modes) and sqlx's own (`prefer`, `require`), whose errors reach
//! `db::connect_errors` as a `rustls::Error`. rustls' own `Display` prints
//! its enums' `Debug` names (`peer is incompatible:
//! ServerDoesNotSupportTls12Or13`, `received fatal alert:
//! HandshakeFailure`), which mean nothing to a team lead (issue #22).
//!
//! libpq prints `SSL error: ` and OpenSSL's reason. Where OpenSSL has a
//! reason for the same event, that is the text (an alert from the server:
//! [`super::alerts`]; a certificate: OpenSSL's verify texts); where the
//! event is one only rustls reports (a missing extension, a
//! server that broke the protocol), a plain sentence after `SSL error: `.

use rustls::{CertificateError, Error, PeerIncompatible};

use super::alerts::{self, VERSION_HINT};

/// libpq's words for a handshake that failed with `err`.
pub fn libpq_text(err: &Error) -> String {
    match err {
        Error::AlertReceived(alert) => alerts::libpq_text(*alert),
        Error::InvalidCertificate(cert) => {
            format!("certificate verify failed: {}", certificate_reason(cert))
        }
        Error::PeerIncompatible(why) => match incompatible(why) {
            Some(reason) => format!("SSL error: {reason}"),
            None => format!("SSL error: unsupported protocol; {VERSION_HINT}"),
        },
        // OpenSSL's reason when the reply is not a TLS record at all, with
        // libpq's hint for it.
        Error::InvalidMessage(_) => format!("SSL error: wrong version number; {VERSION_HINT}"),
        Error::PeerMisbehaved(_)
        | Error::InappropriateMessage { .. }
        | Error::InappropriateHandshakeMessage { .. } => {
            "SSL error: unexpected message (the server broke the TLS protocol during the \
             handshake)"
                .to_owned()
        }
        Error::NoCertificatesPresented => {
            "SSL error: the server presented no certificate".to_owned()
        }
        Error::DecryptError => "SSL error: decryption failed or bad record mac".to_owned(),
        Error::PeerSentOversizedRecord => "SSL error: record overflow".to_owned(),
        Error::HandshakeNotComplete => {
            "SSL error: the server closed the connection during the TLS handshake".to_owned()
        }
        _ => "SSL error: the TLS handshake failed".to_owned(),
    }
}

/// OpenSSL's verify reason for a certificate error rustls' own verifier
/// reports (sqlx's TLS; the relay's verifier words its refusals itself).
fn certificate_reason(err: &CertificateError) -> &'static str {
    match err {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "certificate has expired"
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "certificate is not yet valid"
        }
        CertificateError::UnknownIssuer => "unable to get local issuer certificate",
        CertificateError::BadSignature => "certificate signature failure",
        CertificateError::Revoked => "certificate revoked",
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "unsuitable certificate purpose"
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "hostname mismatch"
        }
        _ => "the server's certificate cannot be verified",
    }
}

/// What the two sides could not agree on, in a TLS user's words; `None`
/// for a protocol version (OpenSSL's `unsupported protocol`, which libpq
/// follows with its hint).
fn incompatible(why: &PeerIncompatible) -> Option<&'static str> {
    use PeerIncompatible as P;
    Some(match why {
        P::ServerDoesNotSupportTls12Or13
        | P::ServerTlsVersionIsDisabledByOurConfig
        | P::Tls12NotOffered
        | P::Tls12NotOfferedOrEnabled
        | P::SupportedVersionsExtensionRequired => return None,
        P::NoCipherSuitesInCommon => "no shared cipher",
        P::NoKxGroupsInCommon | P::NoEcPointFormatsInCommon | P::UncompressedEcPointsRequired => {
            "no suitable key share (the server offers no key exchange group the daemon supports)"
        }
        P::NoSignatureSchemesInCommon | P::NoCertificateRequestSignatureSchemesInCommon => {
            "no suitable signature algorithm"
        }
        _ => "the server's TLS is not compatible with the daemon's (rustls: TLS 1.2 and 1.3)",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_failures_read_in_libpqs_terms_never_as_debug_names() {
        assert_eq!(
            libpq_text(&Error::AlertReceived(
                rustls::AlertDescription::HandshakeFailure
            )),
            "SSL error: sslv3 alert handshake failure"
        );
        assert_eq!(
            libpq_text(&Error::PeerIncompatible(
                PeerIncompatible::ServerDoesNotSupportTls12Or13
            )),
            "SSL error: unsupported protocol; this may indicate that the server does not \
             support any SSL protocol version between TLSv1.2 and TLSv1.3"
        );
        assert_eq!(
            libpq_text(&Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            "certificate verify failed: unable to get local issuer certificate"
        );
        let samples = [
            Error::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon),
            Error::PeerIncompatible(PeerIncompatible::NullCompressionRequired),
            Error::PeerMisbehaved(rustls::PeerMisbehaved::IllegalHelloRetryRequestWithNoChanges),
            Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
            Error::InvalidCertificate(CertificateError::BadEncoding),
            Error::General("x".into()),
            Error::NoCertificatesPresented,
        ];
        for err in samples {
            let text = libpq_text(&err);
            assert!(
                text.starts_with("SSL error: ") || text.starts_with("certificate verify failed: "),
                "{text}"
            );
            let debug = format!("{err:?}");
            let name: String = debug.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(!text.contains(&name), "{text} shows {name}");
            for part in debug
                .split(|c: char| !c.is_alphanumeric())
                .filter(|p| p.len() > 6)
            {
                assert!(
                    !text.contains(part) || part.chars().all(|c| c.is_lowercase()),
                    "{text} shows {part}"
                );
            }
        }
    }
}
