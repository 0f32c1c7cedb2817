//! TLS to PostgreSQL (issue #9): every `ssl_mode` with libpq's meaning, against
//! real clusters with TLS on (a throwaway CA, a server certificate naming only
//! `localhost`, `hostssl`-only `pg_hba.conf`) and off, through the real
//! daemon's `test-connection` / `save-connection`.
//!
//! The `hostssl`-only cluster refuses any TCP client without TLS, so a probe
//! that succeeds there proves the connection was encrypted.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestDaemon;
use crate::helpers::certs::TestCa;
use crate::helpers::pg::{self, PgCluster, PgOptions, TestDb};
use crate::helpers::wine::daemon_path;

const TEST_CONNECTION: &str = "/api/v1/settings/test-connection";
const SAVE_CONNECTION: &str = "/api/v1/settings/save-connection";

/// A TLS cluster and the files the tests point `ssl_root_cert` at.
struct TlsEnv {
    cluster: PgCluster,
    /// `ca.pem`: the CA that signed the server's certificate.
    ca: PathBuf,
    /// `other-ca.pem`: a CA that signed nothing the server has.
    other_ca: PathBuf,
}

impl TlsEnv {
    /// A cluster with TLS on, `hostssl` only, certificate for `localhost` only
    /// (as its one SAN; the server sends no intermediates).
    fn start() -> TlsEnv {
        let ca = TestCa::new("taskflowd test CA");
        // SAN-only: an empty subject, so a match can only come from the
        // dNSName SAN.
        let cluster = PgCluster::start_with(PgOptions {
            tls: Some(ca.server_tls_san_only(&["localhost"])),
            hostssl_only: true,
        });
        // Inside the cluster's folder, which its watchdog removes when the
        // test process ends: this environment is a static, never dropped.
        let files = cluster.root_dir().join("client-ca");
        std::fs::create_dir(&files).expect("folder for CA files");
        TlsEnv {
            ca: ca.write_cert(&files, "ca.pem"),
            other_ca: TestCa::new("unrelated CA").write_cert(&files, "other-ca.pem"),
            cluster,
        }
    }
}

/// Shared by the tests that do not stop the server.
static TLS: LazyLock<TlsEnv> = LazyLock::new(TlsEnv::start);

/// The settings body for `db`, reached as `host`, with TLS fields.
fn body(db: &TestDb, host: &str, ssl_mode: Option<&str>, root_cert: Option<&Path>) -> Value {
    let mut b = db.credentials_json();
    b["host"] = json!(host);
    if let Some(mode) = ssl_mode {
        b["ssl_mode"] = json!(mode);
    }
    if let Some(path) = root_cert {
        b["ssl_root_cert"] = json!(daemon_path(path));
    }
    b
}

/// `test-connection` with `body` through a fresh daemon.
async fn probe(body: &Value) -> (StatusCode, Value) {
    probe_with_env(body, &[]).await
}

/// The same, with extra environment for the daemon (e.g. `SSL_CERT_FILE`,
/// the "operating system's store").
async fn probe_with_env(body: &Value, env: &[(&str, &Path)]) -> (StatusCode, Value) {
    let mut builder = TestDaemon::builder();
    for (key, value) in env {
        builder = builder.env(key, value.as_os_str());
    }
    let daemon = builder.start().await;
    if let Some(pw) = body["password"].as_str() {
        daemon.add_secret(pw);
    }
    let r = daemon.post_json(TEST_CONNECTION, body).await;
    (r.status, r.body)
}

fn ok() -> (StatusCode, Value) {
    (StatusCode::OK, json!({"status": "ok"}))
}

fn failed(reason: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({"error": format!("Connection failed: {reason}")}),
    )
}

fn invalid(message: &str) -> (StatusCode, Value) {
    (StatusCode::BAD_REQUEST, json!({"error": message}))
}

/// Rows of the docs/tls.md table "Failures in libpq's words" (its first
/// column), whose last column is the reason the daemon must give.
const NAME_MISMATCH: &str = "host name not in the certificate";
const NO_LOCAL_ISSUER: &str = "issuer not in ssl_root_cert";
const ROOT_IN_CHAIN: &str = "chain ends in a root not in ssl_root_cert";
const SELF_SIGNED: &str = "self-signed certificate not in ssl_root_cert";
const EXPIRED: &str = "certificate expired";
const NO_TLS: &str = "server without TLS";
const EXPIRED_ROOT: &str = "root in ssl_root_cert expired";
const ROOT_NOT_YET_VALID: &str = "root in ssl_root_cert not yet valid";
const OLD_FORM_NAME_MISMATCH: &str = "host written as 127.1, certificate for localhost only";
const IPV6_NAME_MISMATCH: &str = "host written as ::1, certificate for localhost only";
const PROTOCOL_VERSION: &str = "server limited to TLS 1.0 and 1.1";
const NO_SHARED_CIPHER: &str = "no cipher suite in common";

/// taskflowd's text for `failure` in the docs/tls.md table, so that every
/// reason a test checks is the one documented, word for word.
fn documented(failure: &str) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/tls.md"))
        .expect("read docs/tls.md");
    let table = doc
        .split("## Failures in libpq's words")
        .nth(1)
        .expect("docs/tls.md has the section \"Failures in libpq's words\"");
    table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .strip_prefix('|')?
                .strip_suffix('|')?
                .split(" | ")
                .collect();
            (cells.len() == 3 && cells[0].trim() == failure)
                .then(|| cells[2].trim().trim_matches('`').to_owned())
        })
        .next()
        .unwrap_or_else(|| panic!("docs/tls.md's table has no row {failure:?}"))
}

/// A cluster with TLS on (`hostssl` only) serving `tls`, and a folder in
/// it for the files the test points `ssl_root_cert` at.
fn tls_cluster(tls: crate::helpers::pg::ServerTls) -> (PgCluster, PathBuf) {
    let cluster = PgCluster::start_with(PgOptions {
        tls: Some(tls),
        hostssl_only: true,
    });
    let files = cluster.root_dir().join("client-ca");
    std::fs::create_dir(&files).expect("folder for CA files");
    (cluster, files)
}

/// Issue #22: the PostgreSQL manual's recipe — a self-signed CA:TRUE
/// certificate with the name only in its CN, given back as the root —
/// connects as with libpq, and a name it does not carry is refused in
/// libpq's words, naming both names.
#[tokio::test]
async fn tls_the_manuals_self_signed_cn_only_certificate_works_as_with_libpq() {
    let server = crate::helpers::certs::manual_self_signed("localhost");
    let (cluster, files) = tls_cluster(server.clone());
    let root = files.join("root.crt");
    std::fs::write(&root, &server.cert_pem).unwrap();
    let db = cluster.create_database().await;
    let cases = [
        ("localhost", "verify-full", Some(&root), ok()),
        ("127.0.0.1", "verify-ca", Some(&root), ok()),
        ("localhost", "require", Some(&root), ok()),
        (
            "127.0.0.1",
            "verify-full",
            Some(&root),
            failed(&documented(NAME_MISMATCH)),
        ),
        (
            "localhost",
            "verify-full",
            Some(&TLS.ca),
            failed(&documented(SELF_SIGNED)),
        ),
    ];
    for (host, mode, root_cert, expected) in cases {
        let b = body(&db, host, Some(mode), root_cert.map(PathBuf::as_path));
        assert_eq!(probe(&b).await, expected, "{mode} to {host}");
    }
    assert_eq!(
        documented(NAME_MISMATCH),
        r#"server certificate for "localhost" does not match host name "127.0.0.1""#,
        "the sentence names both names"
    );
}

/// Issue #22: a leaf issued by an intermediate the server sends along
/// (and the root too, as many servers do) chains to the root alone; with
/// another root, OpenSSL's reason for a chain ending in an unknown root.
#[tokio::test]
async fn tls_a_chain_with_an_intermediate_the_server_sends_is_verified() {
    let root = TestCa::new("taskflowd test root");
    let intermediate = root.intermediate("taskflowd test intermediate");
    let mut server = intermediate.server_tls(&["localhost"]);
    server.cert_pem.push_str(&root.cert_pem());
    let (cluster, files) = tls_cluster(server);
    let root_file = root.write_cert(&files, "root.pem");
    let db = cluster.create_database().await;
    let b = body(&db, "localhost", Some("verify-full"), Some(&root_file));
    assert_eq!(probe(&b).await, ok());
    let b = body(&db, "127.0.0.1", Some("verify-ca"), Some(&root_file));
    assert_eq!(probe(&b).await, ok());
    let b = body(&db, "localhost", Some("verify-full"), Some(&TLS.other_ca));
    assert_eq!(probe(&b).await, failed(&documented(ROOT_IN_CHAIN)));
}

/// Issue #22: an expired certificate from the trusted CA is refused in
/// OpenSSL's words, in both verify modes.
#[tokio::test]
async fn tls_an_expired_certificate_is_refused_with_the_reason() {
    let ca = TestCa::new("taskflowd expired-test CA");
    let server = ca.server_tls_valid(
        &["localhost"],
        time::macros::datetime!(2020-01-01 0:00 UTC),
        time::macros::datetime!(2021-01-01 0:00 UTC),
    );
    let (cluster, files) = tls_cluster(server);
    let ca_file = ca.write_cert(&files, "ca.pem");
    let db = cluster.create_database().await;
    for (host, mode) in [("localhost", "verify-full"), ("127.0.0.1", "verify-ca")] {
        let b = body(&db, host, Some(mode), Some(&ca_file));
        assert_eq!(probe(&b).await, failed(&documented(EXPIRED)), "{mode}");
    }
    assert_eq!(
        documented(EXPIRED),
        "certificate verify failed: certificate has expired"
    );
}

/// Issue #22: a CA:TRUE server certificate issued by the configured root is
/// accepted, as OpenSSL accepts it (webpki alone refuses any CA as the end
/// entity).
#[tokio::test]
async fn tls_a_ca_true_server_certificate_issued_by_the_root_is_accepted() {
    let ca = TestCa::new("taskflowd CA-leaf test CA");
    let (cluster, files) = tls_cluster(ca.server_tls_as_ca(&["localhost"]));
    let ca_file = ca.write_cert(&files, "ca.pem");
    let db = cluster.create_database().await;
    let b = body(&db, "localhost", Some("verify-full"), Some(&ca_file));
    assert_eq!(probe(&b).await, ok());
    let b = body(&db, "127.0.0.1", Some("verify-full"), Some(&ca_file));
    assert_eq!(probe(&b).await, failed(&documented(NAME_MISMATCH)));
}

/// Issue #22: a CA:TRUE server certificate issued *through* an intermediate
/// (the server sends the intermediate) is accepted, as psql 15 accepts it;
/// the path is of taskflowd's own building (webpki will not start from a
/// CA). Without the right root, OpenSSL's reason.
#[tokio::test]
async fn tls_a_ca_true_server_certificate_issued_through_an_intermediate_is_accepted() {
    let root = TestCa::new("taskflowd CA-leaf root");
    let intermediate = root.intermediate("taskflowd CA-leaf intermediate");
    let (cluster, files) = tls_cluster(intermediate.server_tls_as_ca(&["localhost"]));
    let root_file = root.write_cert(&files, "root.pem");
    let db = cluster.create_database().await;
    let b = body(&db, "localhost", Some("verify-full"), Some(&root_file));
    assert_eq!(probe(&b).await, ok());
    let b = body(&db, "127.0.0.1", Some("verify-ca"), Some(&root_file));
    assert_eq!(probe(&b).await, ok());
    let b = body(&db, "127.0.0.1", Some("verify-full"), Some(&root_file));
    assert_eq!(probe(&b).await, failed(&documented(NAME_MISMATCH)));
    let b = body(&db, "localhost", Some("verify-full"), Some(&TLS.other_ca));
    assert_eq!(probe(&b).await, failed(&documented(NO_LOCAL_ISSUER)));
}

/// Issue #22: the root's own dates count, as in OpenSSL: an expired root
/// (or one not yet valid) anchors nothing, for an ordinary server
/// certificate and for a CA:TRUE one alike, in both verify modes.
#[tokio::test]
async fn tls_an_expired_or_not_yet_valid_root_is_refused_with_the_reason() {
    use time::macros::datetime;
    let old = TestCa::new_valid(
        "taskflowd expired root",
        datetime!(2020-01-01 0:00 UTC),
        datetime!(2021-01-01 0:00 UTC),
    );
    let future = TestCa::new_valid(
        "taskflowd future root",
        datetime!(2999-01-01 0:00 UTC),
        datetime!(3000-01-01 0:00 UTC),
    );
    for (ca, row) in [(&old, EXPIRED_ROOT), (&future, ROOT_NOT_YET_VALID)] {
        for server in [
            ca.server_tls(&["localhost"]),
            ca.server_tls_as_ca(&["localhost"]),
        ] {
            let (cluster, files) = tls_cluster(server);
            let ca_file = ca.write_cert(&files, "root.pem");
            let db = cluster.create_database().await;
            for (host, mode) in [("localhost", "verify-full"), ("127.0.0.1", "verify-ca")] {
                let b = body(&db, host, Some(mode), Some(&ca_file));
                assert_eq!(probe(&b).await, failed(&documented(row)), "{row}: {mode}");
            }
        }
    }
    assert_eq!(
        documented(EXPIRED_ROOT),
        "certificate verify failed: certificate has expired"
    );
}

/// Issue #22: a host in one of `inet_aton`'s old forms is an address, as
/// libpq 15 decides it: `127.1` matches an `IP:127.0.0.1` SAN (and is
/// connected to as 127.0.0.1), and against a certificate naming only
/// `localhost` the refusal shows the host as written.
#[tokio::test]
async fn tls_a_host_written_as_127_1_is_compared_as_the_address() {
    let ca = TestCa::new("taskflowd address-host CA");
    let (cluster, files) = tls_cluster(ca.server_tls(&["localhost", "127.0.0.1"]));
    let ca_file = ca.write_cert(&files, "ca.pem");
    let db = cluster.create_database().await;
    for host in ["127.1", "127.0.1", "2130706433", "0x7f.0.0.1"] {
        let b = body(&db, host, Some("verify-full"), Some(&ca_file));
        assert_eq!(probe(&b).await, ok(), "{host}");
    }

    let server = crate::helpers::certs::manual_self_signed("localhost");
    let (cn_only, files) = tls_cluster(server.clone());
    let root = files.join("root.crt");
    std::fs::write(&root, &server.cert_pem).unwrap();
    let db = cn_only.create_database().await;
    let b = body(&db, "127.1", Some("verify-full"), Some(&root));
    assert_eq!(probe(&b).await, failed(&documented(OLD_FORM_NAME_MISMATCH)));
    assert_eq!(
        documented(OLD_FORM_NAME_MISMATCH),
        r#"server certificate for "localhost" does not match host name "127.1""#
    );
}

/// A TLS cluster serving `tls` that listens on `::1` too (the harness
/// listens on 127.0.0.1 only; `listen_addresses` needs a restart).
async fn ipv6_cluster(tls: crate::helpers::pg::ServerTls) -> (PgCluster, PathBuf) {
    let (cluster, files) = tls_cluster(tls);
    cluster
        .exec_admin("ALTER SYSTEM SET listen_addresses = '127.0.0.1,::1'")
        .await
        .expect("listen on ::1");
    cluster.stop();
    cluster.start_again();
    (cluster, files)
}

/// Issue #22: an IPv6 literal is an address (libpq's `inet_pton`): it
/// matches an `IP:::1` SAN in any spelling, and against a certificate
/// naming only `localhost` the refusal names it as written (psql 15 says
/// the same for `host=::1`).
#[tokio::test]
async fn tls_an_ipv6_host_is_compared_as_the_address() {
    let ca = TestCa::new("taskflowd IPv6-host CA");
    let (cluster, files) = ipv6_cluster(ca.server_tls(&["localhost", "::1"])).await;
    let ca_file = ca.write_cert(&files, "ca.pem");
    let db = cluster.create_database().await;
    for host in ["::1", "0:0::1"] {
        let b = body(&db, host, Some("verify-full"), Some(&ca_file));
        assert_eq!(probe(&b).await, ok(), "{host}");
    }
    let server = crate::helpers::certs::manual_self_signed("localhost");
    let (cn_only, files) = ipv6_cluster(server.clone()).await;
    let root = files.join("root.crt");
    std::fs::write(&root, &server.cert_pem).unwrap();
    let db = cn_only.create_database().await;
    let b = body(&db, "::1", Some("verify-full"), Some(&root));
    assert_eq!(probe(&b).await, failed(&documented(IPV6_NAME_MISMATCH)));
}

/// Sets server parameters on a TLS cluster and waits until a probe with
/// `b` no longer connects (`pg_reload_conf` is asynchronous). The admin
/// connection itself needs TLS, so each statement runs before the change
/// applies.
async fn reconfigure_tls(cluster: &PgCluster, settings: &[&str], b: &Value) {
    for setting in settings {
        cluster
            .exec_admin(&format!("ALTER SYSTEM SET {setting}"))
            .await
            .expect("ALTER SYSTEM");
    }
    cluster
        .exec_admin("SELECT pg_reload_conf()")
        .await
        .expect("reload");
    for _ in 0..50 {
        if probe(b).await != ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server's TLS settings were not applied: {settings:?}");
}

/// Issue #22: `require` runs on sqlx's own TLS (no relay); its handshake
/// failures read as psql 15's for the same server, never as rustls' enum
/// names. A server limited to TLS 1.0–1.1 (psql: `SSL error: tlsv1 alert
/// protocol version` and libpq's hint); the relay (`verify-full`) says the
/// same.
#[tokio::test]
async fn tls_require_against_a_server_limited_to_old_tls_versions_says_so_as_libpq() {
    let ca = TestCa::new("taskflowd old-TLS CA");
    let (cluster, files) = tls_cluster(ca.server_tls(&["localhost"]));
    let ca_file = ca.write_cert(&files, "ca.pem");
    let db = cluster.create_database().await;
    let require = body(&db, "localhost", Some("require"), None);
    reconfigure_tls(
        &cluster,
        &[
            "ssl_min_protocol_version = 'TLSv1'",
            "ssl_max_protocol_version = 'TLSv1.1'",
        ],
        &require,
    )
    .await;
    assert_eq!(probe(&require).await, failed(&documented(PROTOCOL_VERSION)));
    let full = body(&db, "localhost", Some("verify-full"), Some(&ca_file));
    assert_eq!(probe(&full).await, failed(&documented(PROTOCOL_VERSION)));
}

/// Issue #22: no cipher suite in common (the server allows only
/// `AES128-SHA`, which needs an RSA key, with an ECDSA one: psql fails the
/// same way) reads as the server's alert, as psql shows it.
#[tokio::test]
async fn tls_require_without_a_common_cipher_says_so_as_libpq() {
    let ca = TestCa::new("taskflowd cipher CA");
    let (cluster, _files) = tls_cluster(ca.server_tls(&["localhost"]));
    let db = cluster.create_database().await;
    let require = body(&db, "localhost", Some("require"), None);
    reconfigure_tls(
        &cluster,
        &[
            "ssl_max_protocol_version = 'TLSv1.2'",
            "ssl_ciphers = 'AES128-SHA'",
        ],
        &require,
    )
    .await;
    assert_eq!(probe(&require).await, failed(&documented(NO_SHARED_CIPHER)));
}

/// Issue #22: the shared cluster's certificate names `localhost` only as a
/// SAN (no subject CN at all, which webpki-only checks never minded but a
/// CN-based check would): the SAN matches, and an address is refused
/// naming the SAN.
#[tokio::test]
async fn tls_a_san_only_certificate_matches_its_san_and_nothing_else() {
    let db = TLS.cluster.create_database().await;
    let b = body(&db, "localhost", Some("verify-full"), Some(&TLS.ca));
    assert_eq!(probe(&b).await, ok());
    let b = body(&db, "127.0.0.1", Some("verify-full"), Some(&TLS.ca));
    assert_eq!(probe(&b).await, failed(&documented(NAME_MISMATCH)));
}

/// The relay's refusals read as sentences, never as a Rust `Debug` form.
#[tokio::test]
async fn tls_no_reason_is_a_debug_form() {
    let db = TLS.cluster.create_database().await;
    let b = body(&db, "localhost", Some("verify-full"), Some(&TLS.other_ca));
    let (_, reply) = probe(&b).await;
    let text = reply["error"].as_str().unwrap_or_default();
    for debug in ["Other(", "Error(", "UnknownIssuer", "{"] {
        assert!(!text.contains(debug), "{text}");
    }
}

#[tokio::test]
async fn tls_require_connects_without_checking_the_certificate() {
    let db = TLS.cluster.create_database().await;
    assert_eq!(
        probe(&body(&db, "127.0.0.1", Some("require"), None)).await,
        ok()
    );
}

#[tokio::test]
async fn tls_verify_full_with_the_ca_connects_to_the_name_in_the_certificate() {
    let db = TLS.cluster.create_database().await;
    let b = body(&db, "localhost", Some("verify-full"), Some(&TLS.ca));
    assert_eq!(probe(&b).await, ok());
}

/// The known trap: libpq's verify-ca checks the chain only. The certificate
/// names `localhost` only, and the daemon connects to `127.0.0.1`.
#[tokio::test]
async fn tls_verify_ca_with_the_ca_ignores_the_host_name() {
    let db = TLS.cluster.create_database().await;
    let b = body(&db, "127.0.0.1", Some("verify-ca"), Some(&TLS.ca));
    assert_eq!(probe(&b).await, ok());
}

#[tokio::test]
async fn tls_verify_ca_still_checks_the_chain() {
    let db = TLS.cluster.create_database().await;
    let b = body(&db, "127.0.0.1", Some("verify-ca"), Some(&TLS.other_ca));
    assert_eq!(probe(&b).await, failed(&documented(NO_LOCAL_ISSUER)));
}

/// Issue #15: the verify modes trust nothing but `ssl_root_cert`, so
/// `verify-full` without it is refused before anything connects, with what
/// to set (sqlx alone would have trusted the public web CAs).
#[tokio::test]
async fn tls_verify_full_without_root_cert_fails_validation_saying_what_to_set() {
    let db = TLS.cluster.create_database().await;
    let b = body(&db, "localhost", Some("verify-full"), None);
    let expected = invalid(
        "ssl_root_cert: is required with ssl_mode verify-full (the CA certificate that signed \
         the server's certificate, or \"system\" to trust the operating system's CA store)",
    );
    assert_eq!(probe(&b).await, expected);
    let daemon = TestDaemon::start().await;
    daemon.add_secret(&db.password);
    let r = daemon.post_json(SAVE_CONNECTION, &b).await;
    assert_eq!((r.status, r.body), expected);
    assert!(!daemon.config_dir().join("db_credentials.enc").exists());
}

/// Issue #15: a CA that only the operating system's store holds (here the
/// store is `SSL_CERT_FILE`, as OpenSSL tools read it) is not trusted when
/// `ssl_root_cert` names another CA, in either verify mode.
#[tokio::test]
async fn tls_a_ca_only_in_the_os_store_is_refused_by_verify_ca_and_verify_full() {
    let db = TLS.cluster.create_database().await;
    let os_store = [("SSL_CERT_FILE", TLS.ca.as_path())];
    let untrusted = failed(&documented(NO_LOCAL_ISSUER));
    for (mode, host) in [("verify-ca", "127.0.0.1"), ("verify-full", "localhost")] {
        let b = body(&db, host, Some(mode), Some(&TLS.other_ca));
        assert_eq!(probe_with_env(&b, &os_store).await, untrusted, "{mode}");
        // And with the right file the same daemon setup connects: the
        // refusal above is about the roots, nothing else.
        let b = body(&db, host, Some(mode), Some(&TLS.ca));
        assert_eq!(probe_with_env(&b, &os_store).await, ok(), "{mode}");
    }
}

/// Issue #15: `ssl_root_cert: "system"` trusts the operating system's store
/// — exactly what `SSL_CERT_FILE` or `SSL_CERT_DIR` names — with the host
/// name checked (`verify-full` only, as libpq).
#[tokio::test]
async fn tls_system_trusts_the_store_that_ssl_cert_file_or_dir_names() {
    let db = TLS.cluster.create_database().await;
    let system = Path::new(taskflowd::domain::root_cert::SYSTEM);
    let b = body(&db, "localhost", Some("verify-full"), Some(system));
    assert_eq!(
        probe_with_env(&b, &[("SSL_CERT_FILE", TLS.ca.as_path())]).await,
        ok()
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&TLS.ca, dir.path().join("team-ca.pem")).unwrap();
    assert_eq!(
        probe_with_env(&b, &[("SSL_CERT_DIR", dir.path())]).await,
        ok()
    );
    // A store without the server's CA: not trusted.
    assert_eq!(
        probe_with_env(&b, &[("SSL_CERT_FILE", TLS.other_ca.as_path())]).await,
        failed(&documented(NO_LOCAL_ISSUER))
    );
    // The name is checked.
    let by_address = body(&db, "127.0.0.1", Some("verify-full"), Some(system));
    assert_eq!(
        probe_with_env(&by_address, &[("SSL_CERT_FILE", TLS.ca.as_path())]).await,
        failed(&documented(NAME_MISMATCH))
    );
    // verify-ca with public CAs would prove nothing: refused, as libpq.
    let weak = body(&db, "localhost", Some("verify-ca"), Some(system));
    let (status, reply) = probe_with_env(&weak, &[("SSL_CERT_FILE", TLS.ca.as_path())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .starts_with("ssl_root_cert: \"system\" is only used with ssl_mode verify-full"),
        "{reply}"
    );
}

/// Through the relay, a server that is down is worded as before.
#[tokio::test]
async fn tls_verify_full_to_a_closed_port_says_connection_refused() {
    let db = TLS.cluster.create_database().await;
    let mut b = body(&db, "127.0.0.1", Some("verify-ca"), Some(&TLS.ca));
    let port = crate::helpers::free_port();
    b["port"] = json!(port);
    assert_eq!(
        probe(&b).await,
        failed(&format!(
            "connection refused. Is PostgreSQL running at 127.0.0.1:{port}?"
        ))
    );
}

/// The relay words a server without TLS as sqlx does.
#[tokio::test]
async fn tls_verify_full_against_a_server_without_tls_fails_with_the_reason() {
    let db = pg::shared().create_database().await;
    let b = body(&db, "127.0.0.1", Some("verify-full"), Some(&TLS.ca));
    assert_eq!(probe(&b).await, failed(&documented(NO_TLS)));
}

#[tokio::test]
async fn tls_verify_full_names_the_host_the_certificate_does_not_cover() {
    let db = TLS.cluster.create_database().await;
    let b = body(&db, "127.0.0.1", Some("verify-full"), Some(&TLS.ca));
    assert_eq!(probe(&b).await, failed(&documented(NAME_MISMATCH)));
}

/// libpq: `require` with a root certificate behaves like `verify-ca`
/// (sqlx alone would not check anything in `require`).
#[tokio::test]
async fn tls_require_with_a_root_cert_verifies_the_chain_like_libpq() {
    let db = TLS.cluster.create_database().await;
    let wrong = body(&db, "127.0.0.1", Some("require"), Some(&TLS.other_ca));
    assert_eq!(probe(&wrong).await, failed(&documented(NO_LOCAL_ISSUER)));
    let right = body(&db, "127.0.0.1", Some("require"), Some(&TLS.ca));
    assert_eq!(probe(&right).await, ok(), "chain only, as verify-ca");
}

#[tokio::test]
async fn tls_require_against_a_server_without_tls_fails_with_the_reason() {
    let db = pg::shared().create_database().await;
    let b = body(&db, "127.0.0.1", Some("require"), None);
    assert_eq!(probe(&b).await, failed(&documented(NO_TLS)));
}

#[tokio::test]
async fn tls_prefer_works_with_and_without_tls_on_the_server() {
    let with_tls = TLS.cluster.create_database().await;
    let without = pg::shared().create_database().await;
    for db in [&with_tls, &without] {
        assert_eq!(
            probe(&body(db, "127.0.0.1", Some("prefer"), None)).await,
            ok()
        );
        // No ssl_mode at all is prefer.
        assert_eq!(probe(&body(db, "127.0.0.1", None, None)).await, ok());
    }
}

#[tokio::test]
async fn tls_disable_against_a_hostssl_only_server_says_tls_is_required() {
    let db = TLS.cluster.create_database().await;
    let b = body(&db, "127.0.0.1", Some("disable"), None);
    assert_eq!(
        probe(&b).await,
        failed(&format!(
            "the server at 127.0.0.1:{} requires TLS (SSL); set ssl_mode to require or stronger",
            db.port
        ))
    );
}

#[tokio::test]
async fn tls_bad_root_cert_is_rejected_at_validation_and_nothing_is_saved() {
    let files = tempfile::tempdir().unwrap();
    let not_pem = files.path().join("notes.txt");
    std::fs::write(&not_pem, "just text\n").unwrap();
    let key_only = files.path().join("key.pem");
    std::fs::write(
        &key_only,
        TestCa::new("x").server_tls(&["localhost"]).key_pem,
    )
    .unwrap();
    let missing = files.path().join("missing.pem");
    let dir = files.path();
    let (n, k, m, d) = (
        daemon_path(&not_pem),
        daemon_path(&key_only),
        daemon_path(&missing),
        daemon_path(dir),
    );
    // The OS's own words for ENOENT: on the Windows run Wine's for
    // ERROR_FILE_NOT_FOUND (Windows itself says "The system cannot find the
    // file specified.").
    let enoent = match crate::helpers::wine::windows_run() {
        None => "No such file or directory (os error 2)",
        Some(_) => "File not found. (os error 2)",
    };
    // Nothing is contacted: the host does not even resolve.
    let db = TestDb {
        host: "db.invalid".into(),
        port: 5432,
        name: "team".into(),
        role: "lead".into(),
        password: "not-a-real-password".into(),
        url: String::new(),
        tls: false,
    };
    let ca = TLS.ca.clone();
    let cases: Vec<(Value, String)> = vec![
        (
            body(&db, "db.invalid", Some("verify-full"), Some(&missing)),
            format!("ssl_root_cert: cannot read {m}: {enoent}"),
        ),
        (
            body(&db, "db.invalid", Some("verify-full"), Some(dir)),
            format!("ssl_root_cert: {d} is not a regular file"),
        ),
        (
            body(&db, "db.invalid", Some("verify-ca"), Some(&not_pem)),
            format!(
                "ssl_root_cert: {n} contains no PEM certificates (-----BEGIN CERTIFICATE-----)"
            ),
        ),
        (
            body(&db, "db.invalid", Some("require"), Some(&key_only)),
            format!(
                "ssl_root_cert: {k} contains no PEM certificates (-----BEGIN CERTIFICATE-----)"
            ),
        ),
        (
            body(&db, "db.invalid", Some("prefer"), Some(&ca)),
            "ssl_root_cert: is only used with ssl_mode require, verify-ca or verify-full (ssl_mode is prefer)".into(),
        ),
        (
            body(&db, "db.invalid", Some("disable"), Some(&ca)),
            "ssl_root_cert: is only used with ssl_mode require, verify-ca or verify-full (ssl_mode is disable)".into(),
        ),
        (
            body(&db, "db.invalid", Some("verify-ca"), None),
            "ssl_root_cert: is required with ssl_mode verify-ca (the CA certificate that signed the server's certificate)".into(),
        ),
        (
            body(&db, "db.invalid", Some("verify-full"), None),
            "ssl_root_cert: is required with ssl_mode verify-full (the CA certificate that signed the server's certificate, or \"system\" to trust the operating system's CA store)".into(),
        ),
        (
            {
                let mut b = body(&db, "db.invalid", Some("verify-full"), None);
                b["ssl_root_cert"] = json!("ca.pem");
                b
            },
            "ssl_root_cert: must be an absolute path".into(),
        ),
        (
            body(&db, "db.invalid", Some("verify-any"), None),
            "ssl_mode: must be one of disable, prefer, require, verify-ca, verify-full".into(),
        ),
    ];

    let daemon = TestDaemon::start().await;
    daemon.add_secret(&db.password);
    for (b, message) in &cases {
        for path in [TEST_CONNECTION, SAVE_CONNECTION] {
            let r = daemon.post_json(path, b).await;
            assert_eq!((r.status, r.body), invalid(message), "{path}");
        }
    }
    assert!(
        !daemon.config_dir().join("db_credentials.enc").exists(),
        "a rejected save wrote credentials"
    );
    assert_eq!(
        daemon
            .get("/api/v1/settings/connection")
            .await
            .error_message(StatusCode::NOT_FOUND),
        "No connection settings saved"
    );
}

/// The DbSupervisor uses the saved TLS settings: healthy over verify-full on a
/// `hostssl`-only cluster, the settings shown without the password, and back
/// to healthy (over TLS again) after the server restarts.
#[tokio::test]
async fn tls_daemon_becomes_healthy_over_tls_and_reconnects_after_a_restart() {
    let ca = TestCa::new("taskflowd restart CA");
    let cluster = PgCluster::start_with(PgOptions {
        tls: Some(ca.server_tls(&["localhost"])),
        hostssl_only: true,
    });
    let files = tempfile::tempdir().unwrap();
    let ca_path = ca.write_cert(files.path(), "ca.pem");
    let ca_str = daemon_path(&ca_path);
    let db = cluster.create_database().await;
    let daemon = TestDaemon::start().await;
    daemon.add_secret(&db.password);

    let r = daemon
        .post_json(
            SAVE_CONNECTION,
            &body(&db, "localhost", Some("verify-full"), Some(&ca_path)),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::OK, json!({"status": "saved"}))
    );
    daemon.wait_until_healthy(Duration::from_secs(30)).await;

    let expected = json!({
        "host": "localhost",
        "port": db.port,
        "database": db.name,
        "username": db.role,
        "has_password": true,
        "ssl_mode": "verify-full",
        "ssl_root_cert": ca_str,
    });
    let r = daemon.get("/api/v1/settings/connection").await;
    assert_eq!((r.status, r.body), (StatusCode::OK, expected.clone()));
    let r = daemon.get("/api/v1/settings/status").await;
    assert_eq!(r.body["state"], "ready");
    assert_eq!(r.body["connection"], expected);

    cluster.stop();
    daemon
        .wait_for_health(
            |r| r.status == StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        )
        .await;
    cluster.start_again();
    let r = daemon.wait_until_healthy(Duration::from_secs(30)).await;
    assert_eq!(r.body, json!({"status": "healthy"}));
    // The pool's connections (through the TLS relay) serve requests again.
    let r = daemon
        .post_json(
            "/api/v1/members",
            &json!({"name": "Ada", "email": "ada@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = daemon.get("/api/v1/members").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.as_array().map(Vec::len), Some(1));
    assert!(
        daemon.logs().contains("TLS relay started"),
        "verify-full did not go through the relay"
    );
    assert!(
        !daemon.logs().contains(&db.password),
        "the daemon's log contains the password"
    );
}

/// The `TASKFLOW_DATABASE_URL` fallback's verify modes go through the relay
/// too: its `sslrootcert` is the only CA trusted, `system` works, and a
/// verify mode without one does not connect.
#[tokio::test]
async fn tls_database_url_verify_full_trusts_only_its_sslrootcert() {
    let db = TLS.cluster.create_database().await;
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_host(Some("localhost")).unwrap();
    let with = |query: &str| {
        let mut u = url.clone();
        u.set_query(Some(query));
        u.to_string()
    };
    let ca = &daemon_path(&TLS.ca);
    let other = &daemon_path(&TLS.other_ca);
    let cases = [
        (format!("sslmode=verify-full&sslrootcert={ca}"), None, None),
        (
            format!("sslmode=verify-full&sslrootcert={other}"),
            Some(TLS.ca.as_path()),
            Some("certificate verify failed: unable to get local issuer certificate"),
        ),
        (
            "sslmode=verify-full&sslrootcert=system".to_owned(),
            Some(TLS.ca.as_path()),
            None,
        ),
        (
            "sslmode=verify-full".to_owned(),
            Some(TLS.ca.as_path()),
            Some("ssl_root_cert: is required with ssl_mode verify-full"),
        ),
    ];
    for (query, os_store, refused) in cases {
        let mut builder = TestDaemon::builder()
            .env("TASKFLOW_DATABASE_URL", with(&query))
            .secret(&db.password);
        if let Some(file) = os_store {
            builder = builder.env("SSL_CERT_FILE", file.as_os_str());
        }
        let daemon = builder.start().await;
        let r = daemon.settled().await;
        match refused {
            None => assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body),
            Some(why) => assert!(
                r.body["error"].as_str().is_some_and(|e| e.contains(why)),
                "{query}: {}",
                r.body
            ),
        }
    }
}
