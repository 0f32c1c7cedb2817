//! What the relay's libpq verifier (src/db/tls/verifier.rs) costs per TLS
//! handshake, against rustls' own `WebPkiServerVerifier` in the same run:
//! `verify_server_cert` on the same certificates, timed in a loop.
//!
//! ```sh
//! cargo run --release --example tls_verify_bench
//! ```
//!
//! Cases (ECDSA P-256 certificates made by rcgen, `verify-full` to
//! `db.example`):
//! - a leaf issued by the root; a leaf through one intermediate the server
//!   sends — both verifiers (webpki builds the path in both, the libpq
//!   verifier adds the root's dates, key usage and the host name by
//!   libpq's rules);
//! - a CA:TRUE leaf through one intermediate — the path taskflowd builds
//!   itself (rustls refuses it, so its figure is the same path with a
//!   CA:FALSE leaf);
//! - the PostgreSQL manual's self-signed certificate as its own root
//!   (rustls refuses it too).
//!
//! Prints a Markdown table: median µs per call over `ROUNDS` rounds of
//! `CALLS` calls, and the ratio to rustls. Also the one-off cost of
//! building the verifier for the relay (it reads the roots' dates and
//! extensions once), with the system store when `SSL_CERT_FILE` or the
//! usual bundle exists.

use std::sync::Arc;
use std::time::Instant;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use taskflowd::db::tls::{Verify, verifier};
use taskflowd::security::trust_store::TrustRoots;

const ROUNDS: usize = 5;
const CALLS: usize = 2_000;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Case {
    name: &'static str,
    leaf: CertificateDer<'static>,
    sent: Vec<CertificateDer<'static>>,
    root: CertificateDer<'static>,
    /// The same path as rustls accepts it (a CA:FALSE leaf), if different.
    rustls_leaf: Option<CertificateDer<'static>>,
}

fn ca_params(cn: &str) -> Res<CertificateParams> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    Ok(p)
}

fn leaf_by(issuer: &CertifiedIssuer<'_, KeyPair>, ca: bool) -> Res<CertificateDer<'static>> {
    let mut p = CertificateParams::new(vec!["db.example".to_owned()])?;
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    Ok(p.signed_by(&KeyPair::generate()?, issuer)?.der().clone())
}

fn cases() -> Res<Vec<Case>> {
    let root = CertifiedIssuer::self_signed(ca_params("bench root")?, KeyPair::generate()?)?;
    let mid = CertifiedIssuer::signed_by(ca_params("bench mid")?, KeyPair::generate()?, &root)?;
    let mut manual = CertificateParams::new(Vec::<String>::new())?;
    manual.distinguished_name = DistinguishedName::new();
    manual
        .distinguished_name
        .push(DnType::CommonName, "db.example");
    manual.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let manual = manual.self_signed(&KeyPair::generate()?)?.der().clone();
    Ok(vec![
        Case {
            name: "leaf issued by the root",
            leaf: leaf_by(&root, false)?,
            sent: vec![],
            root: root.der().clone(),
            rustls_leaf: None,
        },
        Case {
            name: "leaf through an intermediate",
            leaf: leaf_by(&mid, false)?,
            sent: vec![mid.der().clone()],
            root: root.der().clone(),
            rustls_leaf: None,
        },
        Case {
            name: "CA:TRUE leaf through an intermediate (own path)",
            leaf: leaf_by(&mid, true)?,
            sent: vec![mid.der().clone()],
            root: root.der().clone(),
            rustls_leaf: Some(leaf_by(&mid, false)?),
        },
        Case {
            name: "the manual's self-signed certificate as its root",
            leaf: manual.clone(),
            sent: vec![],
            root: manual,
            rustls_leaf: None,
        },
    ])
}

fn roots(root: &CertificateDer<'static>) -> Res<TrustRoots> {
    let mut store = RootCertStore::empty();
    store.add(root.clone())?;
    Ok(TrustRoots {
        store,
        certs: vec![root.clone()],
    })
}

/// Median µs of one `verify_server_cert` call; `None` if it refuses.
fn time(
    v: &dyn ServerCertVerifier,
    leaf: &CertificateDer<'_>,
    sent: &[CertificateDer<'_>],
) -> Option<f64> {
    let name = ServerName::try_from("db.example").ok()?;
    let now = UnixTime::now();
    v.verify_server_cert(leaf, sent, &name, &[], now).ok()?;
    let mut samples = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..CALLS {
            let _ = v.verify_server_cert(leaf, sent, &name, &[], now);
        }
        samples.push(start.elapsed().as_secs_f64() * 1e6 / CALLS as f64);
    }
    samples.sort_by(f64::total_cmp);
    Some(samples[samples.len() / 2])
}

#[tokio::main]
async fn main() -> Res<()> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    println!("| certificate | libpq verifier, µs | rustls' WebPkiServerVerifier, µs | ratio |");
    println!("|---|---|---|---|");
    for case in cases()? {
        let ours = verifier(roots(&case.root)?, Verify::ChainAndName, "db.example");
        let theirs = WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots(&case.root)?.store),
            provider.clone(),
        )
        .build()?;
        let ours_us = time(ours.as_ref(), &case.leaf, &case.sent).ok_or("refused")?;
        let rustls_leaf = case.rustls_leaf.as_ref().unwrap_or(&case.leaf);
        let theirs_us = time(theirs.as_ref(), rustls_leaf, &case.sent);
        match theirs_us {
            Some(t) => println!(
                "| {} | {ours_us:.1} | {t:.1}{} | {:.2} |",
                case.name,
                if case.rustls_leaf.is_some() {
                    " (CA:FALSE leaf)"
                } else {
                    ""
                },
                ours_us / t
            ),
            None => println!("| {} | {ours_us:.1} | refused | — |", case.name),
        }
    }
    // Building the verifier reads every root's dates and extensions once.
    match taskflowd::security::trust_store::load("system").await {
        Ok(system) => {
            let n = system.certs.len();
            let runs = 20u32;
            let copies: Vec<TrustRoots> = (0..runs).map(|_| system.clone()).collect();
            let start = Instant::now();
            for copy in copies {
                drop(verifier(copy, Verify::ChainAndName, "db.example"));
            }
            println!(
                "\nBuilding the verifier with the system store ({n} certificates): {:.2} ms (once per relay)",
                start.elapsed().as_secs_f64() * 1e3 / f64::from(runs)
            );
        }
        Err(e) => println!("\nNo system store here ({e})"),
    }
    Ok(())
}
