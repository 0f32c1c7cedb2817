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
//! - **Any other CA:TRUE server certificate**, issued by a root directly or
//!   through intermediates the server sent: also refused by webpki, accepted
//!   by OpenSSL; the path is built by [`super::path`].
//! - **Anything else** goes to webpki's path building (leaf, the
//!   intermediates the server sent, the roots), which checks signatures,
//!   validity, CA constraints and the server-auth EKU, plus the key-usage
//!   check OpenSSL's `ssl_server` purpose adds and webpki does not make, and
//!   the root's own dates and CA extensions, which webpki's trust anchors do
//!   not keep ([`super::anchors`]).
//!
//! The host name is not checked here (`host_name` does, with libpq's rules).

use std::cell::Cell;

use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::anchors::{Anchors, within_validity};
use super::openssl_reasons as openssl;
use super::path::{self, Refusal};

/// What libpq prints before OpenSSL's reason.
const VERIFY_FAILED: &str = "certificate verify failed";

/// Checks the chain; the error is the whole reason, e.g.
/// `certificate verify failed: certificate has expired`.
pub fn verify(
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    roots: &RootCertStore,
    anchors: &Anchors,
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
        path::build(&cert, intermediates, anchors, now).map_err(|e| match e {
            Refusal::OpenSsl(why) => failed(why),
            Refusal::Own(why) => why.to_owned(),
        })?;
        within_validity(&cert, now).map_err(&failed)?;
        return server_purpose(&cert).map_err(failed);
    }
    let ee = webpki::EndEntityCert::try_from(leaf)
        .map_err(|_| failed("the server's certificate cannot be parsed"))?;
    // webpki calls this for each path it verified up to a root: OpenSSL's
    // checks of the root itself, which webpki does not make. A refusal lets
    // webpki try another path; if none works, the root's reason is the one
    // shown (the chain did reach a trusted root).
    let root_refused = Cell::new(None);
    let root_check = |found: &webpki::VerifiedPath<'_>| {
        let below = found
            .intermediate_certificates()
            .filter(|c| c.subject() != c.issuer())
            .count();
        let anchor = found.anchor();
        anchors
            .check(
                anchor.subject.as_ref(),
                anchor.subject_public_key_info.as_ref(),
                below,
                now,
            )
            .map_err(|why| {
                root_refused.set(Some(why));
                webpki::Error::UnknownIssuer
            })
    };
    ee.verify_for_usage(
        algs,
        &roots.roots,
        intermediates,
        now,
        webpki::KeyUsage::server_auth(),
        None,
        Some(&root_check),
    )
    .map_err(|e| match root_refused.get() {
        Some(why) => failed(why),
        None => failed(webpki_reason(&e, intermediates)),
    })?;
    server_purpose(&cert).map_err(failed)
}

#[allow(deprecated)]
/// OpenSSL's reason for a webpki error.
fn webpki_reason(e: &webpki::Error, intermediates: &[CertificateDer<'_>]) -> &'static str {
    use webpki::Error as E;
    match e {
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
        // `verify` sends CA:TRUE certificates to `path` instead.
        E::CaUsedAsEndEntity => openssl::INVALID_PURPOSE,
        E::InvalidSignatureForPublicKey
        | E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::SignatureAlgorithmMismatch => openssl::CERT_SIGNATURE_FAILURE,
        // Malformed encodings, search limits and the like: OpenSSL would
        // fail while parsing, with no verify reason of its own.
        _ => "the server's certificate chain cannot be verified",
    }
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

    /// The roots as a relay holds them: webpki's store and OpenSSL's facts.
    struct Trusted(RootCertStore, Anchors);

    fn roots(ders: &[&CertificateDer<'static>]) -> Trusted {
        let mut store = RootCertStore::empty();
        let mut certs = Vec::new();
        for der in ders {
            store.add((*der).clone()).unwrap();
            certs.push((*der).clone());
        }
        Trusted(store, Anchors::new(&certs))
    }

    fn check(
        leaf: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        roots: &Trusted,
    ) -> Result<(), String> {
        let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
        verify(
            leaf,
            intermediates,
            &roots.0,
            &roots.1,
            UnixTime::now(),
            algs.all,
        )
    }

    fn self_signed(p: CertificateParams) -> CertificateDer<'static> {
        p.self_signed(&KeyPair::generate().unwrap())
            .unwrap()
            .der()
            .clone()
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
            Err("certificate verify failed: unsuitable certificate purpose".into())
        );
        let mut p = params("dbhost", true);
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_only = self_signed(p);
        assert_eq!(
            check(&client_only, &[], &roots(&[&client_only])),
            Err("certificate verify failed: unsuitable certificate purpose".into())
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
        // Issued through an intermediate: accepted too (issue #22), and
        // without the intermediate, no issuer.
        let via_mid = params("ca-leaf", true)
            .signed_by(&KeyPair::generate().unwrap(), &mid)
            .unwrap()
            .der()
            .clone();
        assert_eq!(check(&via_mid, &[mid.der().clone()], &trusted), Ok(()));
        assert_eq!(
            check(&via_mid, &[], &trusted),
            Err("certificate verify failed: unable to get local issuer certificate".into())
        );
        assert_eq!(
            check(
                &via_mid,
                &[mid.der().clone(), root.der().clone()],
                &roots(&[&other])
            ),
            Err("certificate verify failed: self-signed certificate in certificate chain".into())
        );
    }

    fn ca(
        p: CertificateParams,
        by: &CertifiedIssuer<'static, KeyPair>,
    ) -> CertifiedIssuer<'static, KeyPair> {
        CertifiedIssuer::signed_by(p, KeyPair::generate().unwrap(), by).unwrap()
    }

    fn ca_params(cn: &str) -> CertificateParams {
        let mut p = params(cn, true);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        p
    }

    fn ca_leaf_by(by: &CertifiedIssuer<'static, KeyPair>) -> CertificateDer<'static> {
        params("ca-leaf", true)
            .signed_by(&KeyPair::generate().unwrap(), by)
            .unwrap()
            .der()
            .clone()
    }

    /// Issue #22: the path built for a CA:TRUE server certificate checks
    /// each CA as OpenSSL does (the reasons are those `openssl verify
    /// -purpose sslserver` gives first for the same chains).
    #[test]
    fn a_ca_true_server_certificate_path_is_checked_as_openssl_checks_it() {
        let root =
            CertifiedIssuer::self_signed(ca_params("root"), KeyPair::generate().unwrap()).unwrap();
        let trusted = roots(&[root.der()]);
        let failed = |why: &str| Err(format!("certificate verify failed: {why}"));

        // Two intermediates, sent in any order.
        let mid1 = ca(ca_params("mid1"), &root);
        let mid2 = ca(ca_params("mid2"), &mid1);
        let leaf = ca_leaf_by(&mid2);
        assert_eq!(
            check(&leaf, &[mid1.der().clone(), mid2.der().clone()], &trusted),
            Ok(())
        );

        // An intermediate that is not a CA, or whose key usage does not
        // allow signing certificates.
        let mut not_ca = ca_params("not-ca");
        not_ca.is_ca = IsCa::ExplicitNoCa;
        let not_ca = ca(not_ca, &root);
        assert_eq!(
            check(&ca_leaf_by(&not_ca), &[not_ca.der().clone()], &trusted),
            failed("invalid CA certificate")
        );
        let mut no_cert_sign = ca_params("no-cert-sign");
        no_cert_sign.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let no_cert_sign = ca(no_cert_sign, &root);
        assert_eq!(
            check(
                &ca_leaf_by(&no_cert_sign),
                &[no_cert_sign.der().clone()],
                &trusted
            ),
            failed("invalid CA certificate")
        );

        // An expired intermediate; one for client authentication only.
        let mut old = ca_params("old-mid");
        old.not_before = rcgen::date_time_ymd(2020, 1, 1);
        old.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let old = ca(old, &root);
        assert_eq!(
            check(&ca_leaf_by(&old), &[old.der().clone()], &trusted),
            failed("certificate has expired")
        );
        let mut client = ca_params("client-mid");
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = ca(client, &root);
        assert_eq!(
            check(&ca_leaf_by(&client), &[client.der().clone()], &trusted),
            failed("unsuitable certificate purpose")
        );

        // A root with pathLenConstraint 0 allows no intermediate.
        let mut pl0 = ca_params("pl0-root");
        pl0.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        let pl0 = CertifiedIssuer::self_signed(pl0, KeyPair::generate().unwrap()).unwrap();
        let below_pl0 = ca(ca_params("mid-of-pl0"), &pl0);
        assert_eq!(
            check(
                &ca_leaf_by(&below_pl0),
                &[below_pl0.der().clone()],
                &roots(&[pl0.der()])
            ),
            failed("path length constraint exceeded")
        );
        assert_eq!(check(&ca_leaf_by(&pl0), &[], &roots(&[pl0.der()])), Ok(()));

        // A signature by another key with the intermediate's name.
        let impostor =
            CertifiedIssuer::self_signed(ca_params("mid1"), KeyPair::generate().unwrap()).unwrap();
        let forged = ca_leaf_by(&impostor);
        assert_eq!(
            check(&forged, &[mid1.der().clone()], &trusted),
            failed("certificate signature failure")
        );

        // As many intermediates as the depth limit allows, then one more.
        let mut cas = vec![ca(ca_params("deep0"), &root)];
        for i in 1..=path::MAX_INTERMEDIATES {
            let next = ca(ca_params(&format!("deep{i}")), &cas[i - 1]);
            cas.push(next);
        }
        let sent: Vec<_> = cas.iter().map(|c| c.der().clone()).collect();
        let deepest = path::MAX_INTERMEDIATES - 1;
        assert_eq!(
            check(&ca_leaf_by(&cas[deepest]), &sent[..=deepest], &trusted),
            Ok(())
        );
        assert_eq!(
            check(&ca_leaf_by(&cas[deepest + 1]), &sent, &trusted),
            failed("certificate chain too long")
        );
    }

    /// What the own path does not evaluate is refused, not accepted
    /// unchecked: name constraints on a CA above a CA:TRUE server
    /// certificate; a critical extension OpenSSL does not handle is
    /// OpenSSL's refusal.
    #[test]
    fn a_ca_true_path_refuses_what_it_cannot_check() {
        let constraints = rcgen::NameConstraints {
            permitted_subtrees: vec![rcgen::GeneralSubtree::DnsName("example".into())],
            excluded_subtrees: vec![],
        };
        let mut constrained_root = ca_params("constrained root");
        constrained_root.name_constraints = Some(constraints.clone());
        let constrained_root =
            CertifiedIssuer::self_signed(constrained_root, KeyPair::generate().unwrap()).unwrap();
        let own = Err(path::NAME_CONSTRAINTS.to_owned());
        assert_eq!(
            check(
                &ca_leaf_by(&constrained_root),
                &[],
                &roots(&[constrained_root.der()])
            ),
            own
        );
        let root =
            CertifiedIssuer::self_signed(ca_params("root"), KeyPair::generate().unwrap()).unwrap();
        let mut constrained_mid = ca_params("constrained mid");
        constrained_mid.name_constraints = Some(constraints);
        let constrained_mid = ca(constrained_mid, &root);
        assert_eq!(
            check(
                &ca_leaf_by(&constrained_mid),
                &[constrained_mid.der().clone()],
                &roots(&[root.der()])
            ),
            own
        );
        let mut odd = ca_params("odd mid");
        let mut ext = rcgen::CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 99999, 1],
            vec![0x05, 0x00],
        );
        ext.set_criticality(true);
        odd.custom_extensions = vec![ext];
        let odd = ca(odd, &root);
        assert_eq!(
            check(
                &ca_leaf_by(&odd),
                &[odd.der().clone()],
                &roots(&[root.der()])
            ),
            Err("certificate verify failed: unhandled critical extension".into())
        );
    }

    /// Issue #22: the root's own dates and CA extensions count, on every
    /// path (webpki's and the CA:TRUE one), as in OpenSSL.
    #[test]
    fn an_expired_or_not_yet_valid_root_anchors_nothing() {
        let key = KeyPair::generate().unwrap();
        let mut old = ca_params("root");
        old.not_before = rcgen::date_time_ymd(2020, 1, 1);
        old.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let old = CertifiedIssuer::self_signed(old, key).unwrap();
        let leaf = CertificateParams::new(vec!["db.example".to_owned()])
            .unwrap()
            .signed_by(&KeyPair::generate().unwrap(), &old)
            .unwrap()
            .der()
            .clone();
        let failed = |why: &str| Err(format!("certificate verify failed: {why}"));
        assert_eq!(
            check(&leaf, &[], &roots(&[old.der()])),
            failed("certificate has expired")
        );
        assert_eq!(
            check(&ca_leaf_by(&old), &[], &roots(&[old.der()])),
            failed("certificate has expired")
        );
        let mid = ca(ca_params("mid"), &old);
        let via_mid = CertificateParams::new(vec!["db.example".to_owned()])
            .unwrap()
            .signed_by(&KeyPair::generate().unwrap(), &mid)
            .unwrap()
            .der()
            .clone();
        assert_eq!(
            check(&via_mid, &[mid.der().clone()], &roots(&[old.der()])),
            failed("certificate has expired")
        );

        let mut future = ca_params("future-root");
        future.not_before = rcgen::date_time_ymd(2999, 1, 1);
        future.not_after = rcgen::date_time_ymd(3000, 1, 1);
        let future = CertifiedIssuer::self_signed(future, KeyPair::generate().unwrap()).unwrap();
        let leaf = CertificateParams::new(vec!["db.example".to_owned()])
            .unwrap()
            .signed_by(&KeyPair::generate().unwrap(), &future)
            .unwrap()
            .der()
            .clone();
        assert_eq!(
            check(&leaf, &[], &roots(&[future.der()])),
            failed("certificate is not yet valid")
        );

        // A root whose key usage does not allow signing certificates.
        let mut no_sign = params("no-sign-root", true);
        no_sign.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let no_sign = CertifiedIssuer::self_signed(no_sign, KeyPair::generate().unwrap()).unwrap();
        let leaf = CertificateParams::new(vec!["db.example".to_owned()])
            .unwrap()
            .signed_by(&KeyPair::generate().unwrap(), &no_sign)
            .unwrap()
            .der()
            .clone();
        assert_eq!(
            check(&leaf, &[], &roots(&[no_sign.der()])),
            failed("invalid CA certificate")
        );
    }

    /// A root renewed with the same name and key: the valid copy anchors
    /// the chain, whichever comes first in the file.
    #[test]
    fn a_renewed_root_with_the_same_key_is_used() {
        let key_pem = KeyPair::generate().unwrap().serialize_pem();
        let mut old = ca_params("root");
        old.not_before = rcgen::date_time_ymd(2020, 1, 1);
        old.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let old = CertifiedIssuer::self_signed(old, KeyPair::from_pem(&key_pem).unwrap()).unwrap();
        let new =
            CertifiedIssuer::self_signed(ca_params("root"), KeyPair::from_pem(&key_pem).unwrap())
                .unwrap();
        let leaf = CertificateParams::new(vec!["db.example".to_owned()])
            .unwrap()
            .signed_by(&KeyPair::generate().unwrap(), &new)
            .unwrap()
            .der()
            .clone();
        assert_eq!(check(&leaf, &[], &roots(&[old.der(), new.der()])), Ok(()));
        assert_eq!(check(&leaf, &[], &roots(&[new.der(), old.der()])), Ok(()));
        assert_eq!(
            check(&ca_leaf_by(&new), &[], &roots(&[old.der(), new.der()])),
            Ok(())
        );
    }
}
