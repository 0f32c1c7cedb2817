//! A TLS alert from the server, in the words libpq shows for it: OpenSSL's
//! reason string after `SSL error: ` (e.g. a server that demands a client
//! certificate: `SSL error: tlsv13 alert certificate required`), rather than
//! rustls' `received fatal alert: CertificateRequired`, a `Debug` name.
//!
//! The texts are OpenSSL's `SSL_R_*_ALERT_*` reason strings (`ssl_err.c`),
//! which name the protocol version that introduced each alert.

use rustls::AlertDescription as A;

/// libpq's hint after a protocol-version failure (`fe-secure-openssl.c`,
/// `open_client_SSL`), with the versions rustls speaks (libpq's defaults
/// too), on the same line: `db::connect` shows one line.
pub const VERSION_HINT: &str = "this may indicate that the server does not support any SSL \
     protocol version between TLSv1.2 and TLSv1.3";

/// libpq's message for a fatal alert received during the handshake.
pub fn libpq_text(alert: A) -> String {
    let reason = match alert {
        A::UnexpectedMessage => "sslv3 alert unexpected message",
        A::BadRecordMac => "sslv3 alert bad record mac",
        A::DecompressionFailure => "sslv3 alert decompression failure",
        A::HandshakeFailure => "sslv3 alert handshake failure",
        A::NoCertificate => "sslv3 alert no certificate",
        A::BadCertificate => "sslv3 alert bad certificate",
        A::UnsupportedCertificate => "sslv3 alert unsupported certificate",
        A::CertificateRevoked => "sslv3 alert certificate revoked",
        A::CertificateExpired => "sslv3 alert certificate expired",
        A::CertificateUnknown => "sslv3 alert certificate unknown",
        A::IllegalParameter => "sslv3 alert illegal parameter",
        A::DecryptionFailed => "tlsv1 alert decryption failed",
        A::RecordOverflow => "tlsv1 alert record overflow",
        A::UnknownCA => "tlsv1 alert unknown ca",
        A::AccessDenied => "tlsv1 alert access denied",
        A::DecodeError => "tlsv1 alert decode error",
        A::DecryptError => "tlsv1 alert decrypt error",
        A::ExportRestriction => "tlsv1 alert export restriction",
        A::ProtocolVersion => {
            return format!("SSL error: tlsv1 alert protocol version; {VERSION_HINT}");
        }
        A::InsufficientSecurity => "tlsv1 alert insufficient security",
        A::InternalError => "tlsv1 alert internal error",
        A::InappropriateFallback => "tlsv1 alert inappropriate fallback",
        A::UserCanceled => "tlsv1 alert user cancelled",
        A::NoRenegotiation => "tlsv1 alert no renegotiation",
        A::UnsupportedExtension => "tlsv1 unsupported extension",
        A::CertificateUnobtainable => "tlsv1 certificate unobtainable",
        A::UnrecognisedName => "tlsv1 unrecognized name",
        A::BadCertificateStatusResponse => "tlsv1 bad certificate status response",
        A::BadCertificateHashValue => "tlsv1 bad certificate hash value",
        A::UnknownPSKIdentity => "tlsv1 alert unknown psk identity",
        A::MissingExtension => "tlsv13 alert missing extension",
        A::CertificateRequired => "tlsv13 alert certificate required",
        A::NoApplicationProtocol => "tlsv1 alert no application protocol",
        // Alerts OpenSSL has no reason string for: the alert's number.
        other => return format!("SSL error: tlsv1 alert number {}", u8::from(other)),
    };
    format!("SSL error: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_read_as_libpq_shows_them() {
        assert_eq!(
            libpq_text(A::CertificateRequired),
            "SSL error: tlsv13 alert certificate required"
        );
        assert_eq!(
            libpq_text(A::HandshakeFailure),
            "SSL error: sslv3 alert handshake failure"
        );
        // psql 15 against a server limited to TLS 1.0–1.1.
        assert_eq!(
            libpq_text(A::ProtocolVersion),
            "SSL error: tlsv1 alert protocol version; this may indicate that the server does \
             not support any SSL protocol version between TLSv1.2 and TLSv1.3"
        );
        assert_eq!(
            libpq_text(A::Unknown(200)),
            "SSL error: tlsv1 alert number 200"
        );
    }
}
