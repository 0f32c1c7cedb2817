//! Path building of taskflowd's own, for the one server certificate webpki
//! will not start from: a CA:TRUE certificate as the end entity. webpki
//! refuses any CA as the end entity (`CaUsedAsEndEntity`) before it looks
//! for an issuer, and cannot be told otherwise; OpenSSL (so libpq) accepts
//! one, since its TLS-server purpose does not look at CA:TRUE on the
//! server's own certificate (issue #22).
//!
//! From the server's certificate up: an issuer among the configured roots
//! first (OpenSSL looks in the trust store before the certificates the
//! server sent), else among the intermediates the server sent, depth first
//! with backtracking, each certificate used once, at most
//! [`MAX_INTERMEDIATES`] of them and [`MAX_SIGNATURE_CHECKS`] signature
//! checks (a server cannot make the search expensive). On the way, what
//! OpenSSL's `check_chain_extensions` and `internal_verify` check:
//!
//! - every signature, with the issuer's key;
//! - every certificate's dates, the root's included;
//! - an intermediate is CA:TRUE (OpenSSL is strict there), its key usage
//!   (when present) includes keyCertSign and its extended key usage (when
//!   present) serverAuth; the root passes `X509_check_ca`, with the same
//!   usages;
//! - pathLenConstraint, counting the CAs between (not the server's own);
//! - no critical extension OpenSSL does not handle.
//!
//! Name constraints are not evaluated here: a path through a CA that has
//! them is refused with a sentence of taskflowd's ([`NAME_CONSTRAINTS`])
//! rather than accepted unchecked. The server's own certificate (dates, TLS
//! key usage) is checked by the caller, as for every path.

use rustls::pki_types::{CertificateDer, UnixTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::anchors::{Anchors, ca_check, within_validity};
use super::openssl_reasons as openssl;

/// OpenSSL's default verify depth is 100; a real chain has one or two.
/// Past this many intermediates: `certificate chain too long`.
pub const MAX_INTERMEDIATES: usize = 8;

/// Signature checks one verification may spend (webpki allows 100).
pub const MAX_SIGNATURE_CHECKS: usize = 64;

/// Not OpenSSL's words (it would check the constraints): taskflowd's own.
pub const NAME_CONSTRAINTS: &str = "the server's certificate is a CA certificate (CA:TRUE) \
     whose issuers have name constraints, which taskflowd does not check for such a \
     certificate; give the server a certificate without CA:TRUE";

/// Extensions OpenSSL handles when critical (`X509_supported_extension`).
const HANDLED_CRITICAL: &[&str] = &[
    "2.16.840.1.113730.1.1", // nsCertType
    "2.5.29.15",             // keyUsage
    "2.5.29.17",             // subjectAltName
    "2.5.29.19",             // basicConstraints
    "2.5.29.32",             // certificatePolicies
    "2.5.29.37",             // extKeyUsage
    "1.3.6.1.5.5.7.1.7",     // sbgp-ipAddrBlock
    "1.3.6.1.5.5.7.1.8",     // sbgp-autonomousSysNum
    "2.5.29.36",             // policyConstraints
    "1.3.6.1.5.5.7.1.14",    // proxyCertInfo
    "2.5.29.30",             // nameConstraints
    "2.5.29.33",             // policyMappings
    "2.5.29.54",             // inhibitAnyPolicy
];

/// Why no path was found: OpenSSL's reason, or a sentence of taskflowd's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// After `certificate verify failed: `.
    OpenSsl(&'static str),
    /// A whole sentence.
    Own(&'static str),
}

/// Whether `leaf` (already parsed) chains to `anchors` through
/// `intermediates`.
pub fn build(
    leaf: &X509Certificate<'_>,
    intermediates: &[CertificateDer<'_>],
    anchors: &Anchors,
    now: UnixTime,
) -> Result<(), Refusal> {
    unhandled_critical(leaf).map_err(Refusal::OpenSsl)?;
    let parsed: Vec<X509Certificate<'_>> = intermediates
        .iter()
        .filter_map(|der| X509Certificate::from_der(der.as_ref()).ok().map(|(_, c)| c))
        .collect();
    let mut search = Search {
        intermediates: &parsed,
        anchors,
        now,
        used: Vec::new(),
        signatures: 0,
        specific: None,
    };
    if search.extend(leaf, 0) {
        return Ok(());
    }
    Err(search.specific.unwrap_or_else(|| {
        // No issuer at all: OpenSSL tells a chain that ends in a
        // self-signed certificate the server sent (a root nobody trusts)
        // apart from one that just stops.
        Refusal::OpenSsl(if parsed.iter().any(is_self_signed) {
            openssl::SELF_SIGNED_CERT_IN_CHAIN
        } else {
            openssl::UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        })
    }))
}

struct Search<'s, 'c> {
    intermediates: &'s [X509Certificate<'c>],
    anchors: &'s Anchors,
    now: UnixTime,
    /// Indices of the intermediates on the current path, bottom up.
    used: Vec<usize>,
    signatures: usize,
    /// The first specific refusal met (a bad signature, an expired CA, …),
    /// reported when no path works.
    specific: Option<Refusal>,
}

impl Search<'_, '_> {
    fn refuse(&mut self, why: Refusal) {
        self.specific.get_or_insert(why);
    }

    /// One more signature check, if the budget allows.
    fn spend(&mut self) -> bool {
        if self.signatures >= MAX_SIGNATURE_CHECKS {
            self.refuse(Refusal::OpenSsl(openssl::CERT_CHAIN_TOO_LONG));
            return false;
        }
        self.signatures += 1;
        true
    }

    /// Whether `cert` (at `below` counted CAs above the server's
    /// certificate) chains to a root.
    fn extend(&mut self, cert: &X509Certificate<'_>, below: usize) -> bool {
        let issuer = cert.issuer().as_raw();
        let Some(issuer_contents) = der_contents(issuer) else {
            return false;
        };
        let anchors = self.anchors;
        let mut any_root = false;
        for root in anchors.named(issuer_contents) {
            any_root = true;
            if !self.spend() {
                return false;
            }
            let signed = SubjectPublicKeyInfo::from_der(&root.spki_der)
                .is_ok_and(|(_, key)| cert.verify_signature(Some(&key)).is_ok());
            if !signed {
                self.refuse(Refusal::OpenSsl(openssl::CERT_SIGNATURE_FAILURE));
                continue;
            }
            if root.name_constraints {
                self.refuse(Refusal::Own(NAME_CONSTRAINTS));
                continue;
            }
            match root.usable(below, self.now) {
                Ok(()) => return true,
                Err(why) => self.refuse(Refusal::OpenSsl(why)),
            }
        }
        if any_root {
            // OpenSSL takes the issuer from the trust store when it has one
            // by that name; the server's copies are not tried instead.
            return false;
        }
        if self.used.len() >= MAX_INTERMEDIATES {
            self.refuse(Refusal::OpenSsl(openssl::CERT_CHAIN_TOO_LONG));
            return false;
        }
        let intermediates = self.intermediates;
        for (i, ca) in intermediates.iter().enumerate() {
            if ca.subject().as_raw() != issuer || self.used.contains(&i) || is_self_signed(ca) {
                continue;
            }
            if let Err(why) = self.intermediate_allowed(ca, below) {
                self.refuse(why);
                continue;
            }
            if !self.spend() {
                return false;
            }
            if cert.verify_signature(Some(ca.public_key())).is_err() {
                self.refuse(Refusal::OpenSsl(openssl::CERT_SIGNATURE_FAILURE));
                continue;
            }
            self.used.push(i);
            // A self-issued CA (a key rollover) does not count for path
            // lengths, as in OpenSSL.
            let counted = below + usize::from(ca.subject().as_raw() != ca.issuer().as_raw());
            if self.extend(ca, counted) {
                return true;
            }
            self.used.pop();
        }
        false
    }

    /// OpenSSL's checks on an intermediate CA at `below` counted CAs.
    fn intermediate_allowed(&self, ca: &X509Certificate<'_>, below: usize) -> Result<(), Refusal> {
        unhandled_critical(ca).map_err(Refusal::OpenSsl)?;
        ca_check(ca, true).map_err(Refusal::OpenSsl)?;
        if let Ok(Some(bc)) = ca.basic_constraints()
            && let Some(max) = bc.value.path_len_constraint
            && below > usize::try_from(max).unwrap_or(usize::MAX)
        {
            return Err(Refusal::OpenSsl(openssl::PATH_LENGTH_EXCEEDED));
        }
        if let Ok(Some(_)) = ca.name_constraints() {
            return Err(Refusal::Own(NAME_CONSTRAINTS));
        }
        within_validity(ca, self.now).map_err(Refusal::OpenSsl)
    }
}

/// `unhandled critical extension` for a critical extension OpenSSL does
/// not know.
fn unhandled_critical(cert: &X509Certificate<'_>) -> Result<(), &'static str> {
    let unknown = cert
        .extensions()
        .iter()
        .any(|ext| ext.critical && !HANDLED_CRITICAL.contains(&ext.oid.to_id_string().as_str()));
    if unknown {
        Err(openssl::UNHANDLED_CRITICAL_EXTENSION)
    } else {
        Ok(())
    }
}

/// Self-issued and signed by its own key.
fn is_self_signed(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw() && cert.verify_signature(None).is_ok()
}

/// The contents of a DER SEQUENCE (a Name as webpki keeps it).
pub fn der_contents(der: &[u8]) -> Option<&[u8]> {
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
