//! What OpenSSL (so libpq) checks on a trust anchor and rustls'
//! `RootCertStore` forgets: a root is kept there as subject, key and name
//! constraints only, so webpki never looks at its dates or extensions.
//! OpenSSL does (`internal_verify` checks the time "also for trust anchor",
//! `check_chain_extensions` runs on the whole chain, the root included): an
//! expired root in `ssl_root_cert` makes psql say `certificate verify
//! failed: certificate has expired` (issue #22).
//!
//! [`Anchors`] reads those facts once per relay from the certificates
//! `security::trust_store` kept beside the store; the verifier asks for the
//! anchor a path ended in ([`Anchors::check`]) and `path` builds on them.

use rustls::pki_types::{CertificateDer, UnixTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::openssl_reasons as openssl;

/// One root, as OpenSSL checks it.
#[derive(Debug, Clone)]
pub struct Anchor {
    /// The subject, as webpki's `TrustAnchor` keeps it (the contents of the
    /// Name SEQUENCE).
    pub subject: Vec<u8>,
    /// The SubjectPublicKeyInfo, likewise without its SEQUENCE header.
    pub spki: Vec<u8>,
    /// The whole SubjectPublicKeyInfo (what x509-parser verifies with).
    pub spki_der: Vec<u8>,
    /// `notBefore` / `notAfter`, Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// basicConstraints' pathLenConstraint.
    pub path_len: Option<u32>,
    /// Whether the root carries name constraints.
    pub name_constraints: bool,
    /// OpenSSL's verdict on it as a CA for a TLS server (`X509_check_ca`,
    /// the `ssl_server` purpose): `Err` with OpenSSL's reason.
    pub as_ca: Result<(), &'static str>,
}

/// The roots of one relay, as OpenSSL checks them.
#[derive(Debug, Clone, Default)]
pub struct Anchors(Vec<Anchor>);

impl Anchors {
    /// The facts of every certificate webpki accepts as a trust anchor (the
    /// same test `RootCertStore::add` makes, so these are the store's).
    pub fn new(certs: &[CertificateDer<'_>]) -> Self {
        Self(certs.iter().filter_map(anchor).collect())
    }

    /// The roots named `issuer` (a Name's contents, as in the certificate's
    /// issuer field without its header).
    pub fn named<'a>(&'a self, issuer: &'a [u8]) -> impl Iterator<Item = &'a Anchor> + 'a {
        self.0.iter().filter(move |a| a.subject == issuer)
    }

    /// Whether the root with this subject and key (webpki's forms) may end
    /// a chain now, with `below` certificates that count for its path
    /// length between it and the server's. Several roots can share both (a
    /// root renewed with the same key): any one that passes will do, as
    /// OpenSSL's issuer lookup prefers one that is within its dates.
    pub fn check(
        &self,
        subject: &[u8],
        spki: &[u8],
        below: usize,
        now: UnixTime,
    ) -> Result<(), &'static str> {
        let mut first_error = None;
        for root in self
            .0
            .iter()
            .filter(|a| a.subject == subject && a.spki == spki)
        {
            match root.usable(below, now) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        // A root missing here is one x509-parser cannot read although
        // webpki could: nothing to check beyond what webpki did.
        first_error.map_or(Ok(()), Err)
    }
}

impl Anchor {
    /// OpenSSL's checks on the top of a chain: CA and purpose
    /// (`check_chain_extensions`), path length, then the dates.
    pub fn usable(&self, below: usize, now: UnixTime) -> Result<(), &'static str> {
        self.as_ca?;
        if let Some(max) = self.path_len
            && below > usize::try_from(max).unwrap_or(usize::MAX)
        {
            return Err(openssl::PATH_LENGTH_EXCEEDED);
        }
        within_dates(self.not_before, self.not_after, now)
    }
}

/// `now` against a validity period, in OpenSSL's words.
pub fn within_dates(not_before: i64, not_after: i64, now: UnixTime) -> Result<(), &'static str> {
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now < not_before {
        Err(openssl::CERT_NOT_YET_VALID)
    } else if now > not_after {
        Err(openssl::CERT_HAS_EXPIRED)
    } else {
        Ok(())
    }
}

/// The certificate's dates against `now`, in OpenSSL's words.
pub(super) fn within_validity(
    cert: &X509Certificate<'_>,
    now: UnixTime,
) -> Result<(), &'static str> {
    let validity = cert.validity();
    within_dates(
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
        now,
    )
}

fn anchor(der: &CertificateDer<'_>) -> Option<Anchor> {
    let ta = webpki::anchor_from_trusted_cert(der).ok()?;
    let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
    let validity = cert.validity();
    let path_len = cert
        .basic_constraints()
        .ok()
        .flatten()
        .and_then(|bc| bc.value.path_len_constraint);
    Some(Anchor {
        subject: ta.subject.as_ref().to_vec(),
        spki: ta.subject_public_key_info.as_ref().to_vec(),
        spki_der: cert.public_key().raw.to_vec(),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        path_len,
        name_constraints: ta.name_constraints.is_some(),
        as_ca: ca_check(&cert, false),
    })
}

/// OpenSSL's `X509_check_ca` (non-zero: may issue certificates) and the
/// `ssl_server` purpose for a CA (`check_purpose_ssl_server` with
/// `require_ca`): a key usage, when present, includes keyCertSign; then
/// basicConstraints CA:TRUE, or (no basicConstraints) a version 1
/// self-issued certificate or a keyCertSign key usage; an extended key
/// usage, when present, includes serverAuth. `strict` is OpenSSL's rule for
/// an intermediate ("X509_V_FLAG_X509_STRICT is implicit for intermediate
/// CAs"): only CA:TRUE will do.
pub fn ca_check(cert: &X509Certificate<'_>, strict: bool) -> Result<(), &'static str> {
    let ku = cert.key_usage().map_err(|_| openssl::INVALID_CA)?;
    let bc = cert.basic_constraints().map_err(|_| openssl::INVALID_CA)?;
    let code = match (&ku, &bc) {
        (Some(ku), _) if !ku.value.key_cert_sign() => 0,
        (_, Some(bc)) => u8::from(bc.value.ca),
        (_, None)
            if cert.version() == x509_parser::x509::X509Version::V1
                && cert.subject().as_raw() == cert.issuer().as_raw() =>
        {
            3
        }
        (Some(_), None) => 4,
        (None, None) => 0,
    };
    if code == 0 || (strict && code != 1) {
        return Err(openssl::INVALID_CA);
    }
    let eku = cert
        .extended_key_usage()
        .map_err(|_| openssl::INVALID_PURPOSE)?;
    if let Some(eku) = eku
        && !(eku.value.server_auth || eku.value.any)
    {
        return Err(openssl::INVALID_PURPOSE);
    }
    Ok(())
}
