//! The rustls client configuration for one relay: exactly the given trust
//! anchors, ring as the crypto provider, and libpq's meaning of the two
//! verify modes, checked by [`LibpqVerifier`] rather than rustls' WebPKI
//! verifier:
//!
//! - the chain as OpenSSL accepts it ([`super::chain`]): the PostgreSQL
//!   manual's self-signed CA:TRUE server certificate given as the root, or a
//!   path through the intermediates the server sends;
//! - `verify-full` adds the host name with libpq's rules
//!   ([`super::host_name`]: the CN counts when there is no SAN of the host's
//!   kind), which webpki does not implement (it never reads the CN);
//! - `verify-ca` is the chain alone (libpq's "chain only").
//!
//! A refusal is a [`CertRefused`] carrying libpq's sentence; the relay's
//! failure record turns it into the reason shown after `Connection failed: `.
//! The handshake signatures are checked by rustls' own functions.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, OtherError, RootCertStore,
    SignatureScheme,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::anchors::Anchors;
use super::{chain, host_name};
use crate::security::trust_store::TrustRoots;

/// What the server's certificate must prove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// A chain to one of the roots (`verify-ca`).
    Chain,
    /// A chain to one of the roots and the host's name (`verify-full`).
    ChainAndName,
}

/// A server certificate refused, in libpq's words (e.g. `server certificate
/// for "a" does not match host name "b"`). Travels inside
/// `rustls::Error::InvalidCertificate(CertificateError::Other(..))`.
#[derive(Debug)]
pub struct CertRefused(pub String);

impl std::fmt::Display for CertRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CertRefused {}

/// The client configuration trusting `roots` and nothing else, for the
/// server at `host` as the settings wrote it (`verify-full` compares that
/// text, as libpq compares its `host`).
pub fn client_config(
    roots: TrustRoots,
    verify: Verify,
    host: &str,
) -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier(roots, verify, host))
        .with_no_client_auth())
}

/// The verifier alone, as the relay's configuration holds it: for
/// `examples/tls_verify_bench.rs`, which times it against rustls' own.
pub fn verifier(roots: TrustRoots, verify: Verify, host: &str) -> Arc<dyn ServerCertVerifier> {
    Arc::new(LibpqVerifier {
        host: host.to_owned(),
        anchors: Anchors::new(&roots.certs),
        roots: roots.store,
        verify,
        algs: rustls::crypto::ring::default_provider().signature_verification_algorithms,
    })
}

/// libpq's (OpenSSL's) certificate checks; see the module docs.
#[derive(Debug)]
struct LibpqVerifier {
    /// The host as written: the `ServerName` rustls passes is what the
    /// relay made of it for SNI (an address for `127.1`, which would then
    /// print as `127.0.0.1`).
    host: String,
    roots: RootCertStore,
    /// The same roots' dates and extensions, which the store drops.
    anchors: Anchors,
    verify: Verify,
    algs: WebPkiSupportedAlgorithms,
}

fn refused(reason: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(CertRefused(
        reason,
    )))))
}

impl ServerCertVerifier for LibpqVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        chain::verify(
            end_entity,
            intermediates,
            &self.roots,
            &self.anchors,
            now,
            self.algs.all,
        )
        .map_err(refused)?;
        if self.verify == Verify::ChainAndName {
            let host = self.host.as_str();
            if host.is_empty() {
                return Err(refused(
                    "host name must be specified for a verified SSL connection".to_owned(),
                ));
            }
            // `chain::verify` parsed it already; a second parse is cheap.
            let (_, cert) = X509Certificate::from_der(end_entity.as_ref()).map_err(|_| {
                refused(
                    "certificate verify failed: the server's certificate cannot be parsed"
                        .to_owned(),
                )
            })?;
            host_name::check(&cert, host).map_err(refused)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use rustls::pki_types::pem::PemObject;

    use super::*;

    /// Made by the PostgreSQL manual's own command, with OpenSSL 3:
    /// `openssl req -new -x509 -days 365 -nodes -text -out server.crt
    /// -keyout server.key -subj "/CN=dbhost"` (RSA, `v3_ca`: CA:TRUE, no
    /// SAN; `-text` puts a dump before the PEM). Checked at a time inside
    /// its year, so the fixture never goes stale.
    const MANUAL: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/db/tls/testdata/manual-server.crt"
    );

    fn at(cert: &X509Certificate<'_>, after_not_before: i64) -> UnixTime {
        let secs = cert.validity().not_before.timestamp() + after_not_before;
        UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(secs).unwrap()))
    }

    #[tokio::test]
    async fn the_manuals_openssl_certificate_is_accepted_as_libpq_accepts_it() {
        // The same loader as `ssl_root_cert` (the `-text` dump included).
        let roots = crate::security::trust_store::load(MANUAL).await.unwrap();
        let anchors = Anchors::new(&roots.certs);
        let roots = roots.store;
        let leaf = CertificateDer::from_pem_file(MANUAL).unwrap();
        let (_, cert) = X509Certificate::from_der(leaf.as_ref()).unwrap();
        let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
        let day = 86_400;
        assert_eq!(
            chain::verify(&leaf, &[], &roots, &anchors, at(&cert, day), algs.all),
            Ok(())
        );
        assert_eq!(host_name::check(&cert, "dbhost"), Ok(()));
        assert_eq!(
            host_name::check(&cert, "db.example"),
            Err(r#"server certificate for "dbhost" does not match host name "db.example""#.into())
        );
        assert_eq!(
            chain::verify(&leaf, &[], &roots, &anchors, at(&cert, 400 * day), algs.all),
            Err("certificate verify failed: certificate has expired".into())
        );
        assert_eq!(
            chain::verify(&leaf, &[], &roots, &anchors, at(&cert, -day), algs.all),
            Err("certificate verify failed: certificate is not yet valid".into())
        );
    }
}
