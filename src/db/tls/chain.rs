//! Whether the server's certificate chains to the configured roots, with
//! what OpenSSL (so libpq) accepts and OpenSSL's words when it does not.
//!
//! Three paths:
//!
//! - **The certificate is one of the roots.** The PostgreSQL manual's recipe
//!   (`openssl req -new -x509 … -subj "/CN=dbhost"`, then `root.crt` = that
//!   certificate) makes a self-signed CA:TRUE certificate that is both the
//!   server's certificate and the only trust anchor. OpenSSL accepts it;
//!   webpki refuses any CA:TRUE end entity (`CaUsedAsEndEntity`). So a
//!   self-issued certificate whose subject and public key are those of a
//!   configured root is accepted here when its own signature verifies, it is
//!   within its validity period, and its key usage allows a TLS server — the
//!   checks OpenSSL makes on such a chain of one. (`RootCertStore` keeps
//!   anchors as subject + key, not whole certificates; subject + key + a
//!   valid self-signature is the same proof, and the handshake then proves
//!   the server holds that key.)
//! - **A CA:TRUE certificate issued by a root** ([`ca_leaf`]): also refused
//!   by webpki, accepted by OpenSSL; checked here against the issuing root.
//! - **Anything else** goes to webpki's path building (leaf, the
//!   intermediates the server sent, the roots), which checks signatures,
//!   validity, CA constraints and the server-auth EKU, plus the key-usage
//!   check OpenSSL's `ssl_server` purpose adds and webpki does not make.
//!
//! The host name is not checked here (`host_name` does, with libpq's rules).

use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

/// OpenSSL's `X509_verify_cert_error_string` texts (OpenSSL 3), which libpq
/// shows after `certificate verify failed: `.
mod openssl {
    pub const UNABLE_TO_GET_ISSUER_CERT_LOCALLY: &str = "unable to get local issuer certificate";
    pub const DEPTH_ZERO_SELF_SIGNED_CERT: &str = "self-signed certificate";
    pub const SELF_SIGNED_CERT_IN_CHAIN: &str = "self-signed certificate in certificate chain";
    pub const CERT_HAS_EXPIRED: &str = "certificate has expired";
    pub const CERT_NOT_YET_VALID: &str = "certificate is not yet valid";
    pub const INVALID_PURPOSE: &str = "unsupported certificate purpose";
    pub const CERT_SIGNATURE_FAILURE: &str = "certificate signature failure";
    pub const INVALID_CA: &str = "invalid CA certificate";
    pub const PATH_LENGTH_EXCEEDED: &str = "path length constraint exceeded";
    pub const PERMITTED_VIOLATION: &str = "permitted subtree violation";
    pub const CERT_REVOKED: &str = "certificate revoked";
    pub const CERT_CHAIN_TOO_LONG: &str = "certificate chain too long";
    pub const UNHANDLED_CRITICAL_EXTENSION: &str = "unhandled critical extension";
}

/// What libpq prints before OpenSSL's reason.
const VERIFY_FAILED: &str = "certificate verify failed";

/// A certificate webpki refuses although OpenSSL would accept it: a CA:TRUE
/// server certificate issued by another CA (only the self-signed case, a
/// root itself, is handled; see the module docs). Not OpenSSL's words,
/// since OpenSSL has none for it.
const CA_AS_LEAF: &str = "the server's certificate is a CA certificate (CA:TRUE) issued through \
     an intermediate CA, which taskflowd does not accept as a server certificate; give the server \
     a certificate without CA:TRUE, or one issued directly by the CA in ssl_root_cert";

/// Checks the chain; the error is the whole reason, e.g.
/// `certificate verify failed: certificate has expired`.
pub fn verify(
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    roots: &RootCertStore,
    now: UnixTime,
    algs: &[&dyn SignatureVerificationAlgorithm],
) -> Result<(), String> {
    let failed = |why: &str| format!("{VERIFY_FAILED}: {why}");
    let Ok((_, cert)) = X509Certificate::from_der(leaf.as_ref()) else {
        return Err(failed("the server's certificate cannot be parsed"));
    };
    if is_self_issued(&cert) && is_a_root(leaf, roots) {
        if cert.verify_signature(None).is_err() {
            return Err(failed(openssl::CERT_SIGNATURE_FAILURE));
        }
        within_validity(&cert, now).map_err(&failed)?;
        return server_purpose(&cert).map_err(&failed);
    }
    if is_self_signed(&cert) {
        return Err(failed(openssl::DEPTH_ZERO_SELF_SIGNED_CERT));
    }
    if cert.is_ca() {
        return ca_leaf(&cert, intermediates, roots, now);
    }
    let ee = webpki::EndEntityCert::try_from(leaf)
        .map_err(|_| failed("the server's certificate cannot be parsed"))?;
    ee.verify_for_usage(
        algs,
        &roots.roots,
        intermediates,
        now,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(|e| match webpki_reason(&e, intermediates) {
        Reason::OpenSsl(why) => failed(why),
        Reason::Own(why) => why.to_owned(),
    })?;
    server_purpose(&cert).map_err(failed)
}

/// A CA:TRUE server certificate issued by another CA. OpenSSL accepts it
/// (its TLS-server purpose check does not look at CA:TRUE on the server's
/// own certificate); webpki refuses any CA as an end entity, before looking
/// for an issuer. Handled here when a configured root issued it directly:
/// its signature checked with that root's key, then its dates and TLS key
/// usage as for any server certificate. A root with name constraints is left
/// to webpki (which refuses), and so is a CA:TRUE certificate issued through
/// an intermediate ([`CA_AS_LEAF`]): accepting those would need a path
/// builder of taskflowd's own.
fn ca_leaf(
    cert: &X509Certificate<'_>,
    intermediates: &[CertificateDer<'_>],
    roots: &RootCertStore,
    now: UnixTime,
) -> Result<(), String> {
    let failed = |why: &str| format!("{VERIFY_FAILED}: {why}");
    let issuer = der_contents(cert.issuer().as_raw());
    let candidates: Vec<_> = roots
        .roots
        .iter()
        .filter(|a| issuer == Some(a.subject.as_ref()) && a.name_constraints.is_none())
        .collect();
    if candidates.is_empty() {
        return Err(if intermediates.is_empty() {
            failed(openssl::UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
        } else {
            CA_AS_LEAF.to_owned()
        });
    }
    let signed = candidates.iter().any(|root| {
        let spki = der_sequence(root.subject_public_key_info.as_ref());
        SubjectPublicKeyInfo::from_der(&spki)
            .is_ok_and(|(_, key)| cert.verify_signature(Some(&key)).is_ok())
    });
    if !signed {
        return Err(failed(openssl::CERT_SIGNATURE_FAILURE));
    }
    within_validity(cert, now).map_err(&failed)?;
    server_purpose(cert).map_err(failed)
}

/// The contents of a DER SEQUENCE (webpki keeps a trust anchor's subject
/// and key that way; x509-parser gives the whole encoding).
fn der_contents(der: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (len, body) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (body.len() == len).then_some(body)
}

/// `contents` wrapped as a DER SEQUENCE again.
fn der_sequence(contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = vec![0x30];
    if len < 0x80 {
        out.extend_from_slice(&len.to_be_bytes()[std::mem::size_of::<usize>() - 1..]);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let n = bytes.len() - skip;
        out.push(0x80 | n.to_be_bytes()[std::mem::size_of::<usize>() - 1]);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// What to say for a webpki error.
enum Reason {
    /// An OpenSSL verify error text (after `certificate verify failed: `).
    OpenSsl(&'static str),
    /// A whole sentence of taskflowd's.
    Own(&'static str),
}

#[allow(deprecated)]
fn webpki_reason(e: &webpki::Error, intermediates: &[CertificateDer<'_>]) -> Reason {
    use webpki::Error as E;
    Reason::OpenSsl(match e {
        // OpenSSL tells "the chain ends in a root nobody trusts" apart from
        // "the issuer is nowhere": the first when the server sent a
        // self-signed certificate along.
        E::UnknownIssuer if intermediates.iter().any(|c| der_is_self_signed(c)) => {
            openssl::SELF_SIGNED_CERT_IN_CHAIN
        }
        E::UnknownIssuer => openssl::UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        E::CertExpired { .. } | E::InvalidCertValidity => openssl::CERT_HAS_EXPIRED,
        E::CertNotValidYet { .. } => openssl::CERT_NOT_YET_VALID,
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
            openssl::INVALID_PURPOSE
        }
        E::EndEntityUsedAsCa => openssl::INVALID_CA,
        E::PathLenConstraintViolated => openssl::PATH_LENGTH_EXCEEDED,
        E::NameConstraintViolation => openssl::PERMITTED_VIOLATION,
        E::CertRevoked => openssl::CERT_REVOKED,
        E::MaximumPathDepthExceeded => openssl::CERT_CHAIN_TOO_LONG,
        E::UnsupportedCriticalExtension => openssl::UNHANDLED_CRITICAL_EXTENSION,
        E::CaUsedAsEndEntity => return Reason::Own(CA_AS_LEAF),
        E::InvalidSignatureForPublicKey
        | E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::SignatureAlgorithmMismatch => openssl::CERT_SIGNATURE_FAILURE,
        // Malformed encodings, search limits and the like: OpenSSL would
        // fail while parsing, with no verify reason of its own.
        _ => "the server's certificate chain cannot be verified",
    })
}

/// Whether a configured root has this certificate's subject and key.
fn is_a_root(leaf: &CertificateDer<'_>, roots: &RootCertStore) -> bool {
    let Ok(anchor) = webpki::anchor_from_trusted_cert(leaf) else {
        return false;
    };
    roots.roots.iter().any(|root| {
        root.subject.as_ref() == anchor.subject.as_ref()
            && root.subject_public_key_info.as_ref() == anchor.subject_public_key_info.as_ref()
    })
}

/// Issuer name equal to subject name.
fn is_self_issued(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw()
}

/// Self-issued and signed by its own key: a root. (A CA and the
/// certificates it issues may share a name — rcgen's default does — so the
/// name alone does not tell; OpenSSL then looks for the issuer too.)
fn is_self_signed(cert: &X509Certificate<'_>) -> bool {
    is_self_issued(cert) && cert.verify_signature(None).is_ok()
}

fn der_is_self_signed(der: &CertificateDer<'_>) -> bool {
    X509Certificate::from_der(der.as_ref()).is_ok_and(|(_, c)| is_self_signed(&c))
}

fn within_validity(cert: &X509Certificate<'_>, now: UnixTime) -> Result<(), &'static str> {
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let validity = cert.validity();
    if now < validity.not_before.timestamp() {
        Err(openssl::CERT_NOT_YET_VALID)
    } else if now > validity.not_after.timestamp() {
        Err(openssl::CERT_HAS_EXPIRED)
    } else {
        Ok(())
    }
}

/// OpenSSL's `ssl_server` purpose for the server's own certificate: an
/// extended key usage, when present, includes serverAuth (or any); a key
/// usage, when present, allows a TLS key (digitalSignature,
/// keyEncipherment or keyAgreement).
fn server_purpose(cert: &X509Certificate<'_>) -> Result<(), &'static str> {
    let Ok(eku) = cert.extended_key_usage() else {
        return Err(openssl::INVALID_PURPOSE);
    };
    if let Some(eku) = eku
        && !(eku.value.server_auth || eku.value.any)
    {
        return Err(openssl::INVALID_PURPOSE);
    }
    let Ok(ku) = cert.key_usage() else {
        return Err(openssl::INVALID_PURPOSE);
    };
    if let Some(ku) = ku
        && !(ku.value.digital_signature()
            || ku.value.key_encipherment()
            || ku.value.key_agreement())
    {
        return Err(openssl::INVALID_PURPOSE);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
        ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
    };

    fn params(cn: &str, ca: bool) -> CertificateParams {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, cn);
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        p
    }

    fn roots(ders: &[&CertificateDer<'static>]) -> RootCertStore {
        let mut store = RootCertStore::empty();
        for der in ders {
            store.add((*der).clone()).unwrap();
        }
        store
    }

    fn check(
        leaf: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        roots: &RootCertStore,
    ) -> Result<(), String> {
        let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
        verify(leaf, intermediates, roots, UnixTime::now(), algs.all)
    }

    fn self_signed(p: CertificateParams) -> CertificateDer<'static> {
        p.self_signed(&KeyPair::generate().unwrap())
            .unwrap()
            .der()
            .clone()
    }

    #[test]
    fn der_sequences_round_trip() {
        for len in [0usize, 5, 127, 128, 255, 256, 70_000] {
            let contents = vec![7u8; len];
            let wrapped = der_sequence(&contents);
            assert_eq!(der_contents(&wrapped), Some(contents.as_slice()), "{len}");
        }
        assert_eq!(der_contents(&[0x31, 0]), None);
        assert_eq!(der_contents(&[0x30, 3, 1]), None);
    }

    #[test]
    fn the_manuals_self_signed_ca_certificate_is_its_own_root() {
        let cert = self_signed(params("dbhost", true));
        assert_eq!(check(&cert, &[], &roots(&[&cert])), Ok(()));
        let other = self_signed(params("other", true));
        assert_eq!(
            check(&cert, &[], &roots(&[&other])),
            Err("certificate verify failed: self-signed certificate".into())
        );
    }

    #[test]
    fn a_self_signed_root_still_needs_its_dates_and_a_tls_key_usage() {
        let mut p = params("dbhost", true);
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let expired = self_signed(p);
        assert_eq!(
            check(&expired, &[], &roots(&[&expired])),
            Err("certificate verify failed: certificate has expired".into())
        );
        let mut p = params("dbhost", true);
        p.not_before = rcgen::date_time_ymd(2999, 1, 1);
        p.not_after = rcgen::date_time_ymd(3000, 1, 1);
        let future = self_signed(p);
        assert_eq!(
            check(&future, &[], &roots(&[&future])),
            Err("certificate verify failed: certificate is not yet valid".into())
        );
        let mut p = params("dbhost", true);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let cert_sign_only = self_signed(p);
        assert_eq!(
            check(&cert_sign_only, &[], &roots(&[&cert_sign_only])),
            Err("certificate verify failed: unsupported certificate purpose".into())
        );
        let mut p = params("dbhost", true);
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_only = self_signed(p);
        assert_eq!(
            check(&client_only, &[], &roots(&[&client_only])),
            Err("certificate verify failed: unsupported certificate purpose".into())
        );
    }

    #[test]
    fn chains_are_built_through_the_intermediates_sent() {
        let root_params = {
            let mut p = params("root", true);
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
            p
        };
        let root = CertifiedIssuer::self_signed(root_params, KeyPair::generate().unwrap()).unwrap();
        let mut mid_params = params("intermediate", true);
        mid_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let mid =
            CertifiedIssuer::signed_by(mid_params, KeyPair::generate().unwrap(), &root).unwrap();
        let leaf_params = CertificateParams::new(vec!["db.example".to_owned()]).unwrap();
        let leaf = leaf_params
            .signed_by(&KeyPair::generate().unwrap(), &mid)
            .unwrap()
            .der()
            .clone();
        let trusted = roots(&[root.der()]);
        assert_eq!(check(&leaf, &[mid.der().clone()], &trusted), Ok(()));
        assert_eq!(
            check(&leaf, &[], &trusted),
            Err("certificate verify failed: unable to get local issuer certificate".into())
        );
        let other = self_signed(params("other", true));
        assert_eq!(
            check(
                &leaf,
                &[mid.der().clone(), root.der().clone()],
                &roots(&[&other])
            ),
            Err("certificate verify failed: self-signed certificate in certificate chain".into())
        );
        // A leaf with its CA's name (rcgen's default DN for both) is not
        // taken for a self-signed certificate.
        let same_name = params("root", false)
            .signed_by(&KeyPair::generate().unwrap(), &root)
            .unwrap()
            .der()
            .clone();
        assert_eq!(check(&same_name, &[], &trusted), Ok(()));
        // A CA:TRUE leaf issued by the root: accepted, as OpenSSL does;
        // by another root, or with a wrong signature, refused.
        let ca_leaf = params("ca-leaf", true)
            .signed_by(&KeyPair::generate().unwrap(), &root)
            .unwrap()
            .der()
            .clone();
        assert_eq!(check(&ca_leaf, &[], &trusted), Ok(()));
        assert_eq!(
            check(&ca_leaf, &[], &roots(&[&other])),
            Err("certificate verify failed: unable to get local issuer certificate".into())
        );
        let impostor =
            CertifiedIssuer::self_signed(params("root", true), KeyPair::generate().unwrap())
                .unwrap();
        assert_eq!(
            check(&ca_leaf, &[], &roots(&[impostor.der()])),
            Err("certificate verify failed: certificate signature failure".into())
        );
        let mut expired = params("ca-leaf", true);
        expired.not_before = rcgen::date_time_ymd(2020, 1, 1);
        expired.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let expired = expired
            .signed_by(&KeyPair::generate().unwrap(), &root)
            .unwrap()
            .der()
            .clone();
        assert_eq!(
            check(&expired, &[], &trusted),
            Err("certificate verify failed: certificate has expired".into())
        );
        // Issued through an intermediate: refused, in words.
        let via_mid = params("ca-leaf", true)
            .signed_by(&KeyPair::generate().unwrap(), &mid)
            .unwrap()
            .der()
            .clone();
        let e = check(&via_mid, &[mid.der().clone()], &trusted).unwrap_err();
        assert!(
            e.starts_with("the server's certificate is a CA certificate"),
            "{e}"
        );
    }
}
