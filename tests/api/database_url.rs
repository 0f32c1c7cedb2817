//! `TASKFLOW_DATABASE_URL` (issue #22, DESIGN.md "Bad input, continued" and
//! "Connection probes and the database URL"): none of its values in any log
//! line, at `TASKFLOW_LOG=trace` (the harness's default), from taskflowd or
//! the driver; the `PG*` variables and `~/.pgpass` have no effect; client
//! certificates in the verify modes are refused with a reason.

use reqwest::StatusCode;

use crate::helpers::TestDaemon;
use crate::helpers::pg::{self, TestDb};

/// `db`'s URL with `query` (and without the password when `password` is false).
fn url_with(db: &TestDb, query: &str, password: bool) -> String {
    let mut url = url::Url::parse(&db.url).expect("the harness's URL parses");
    url.set_query(Some(query));
    if !password {
        url.set_password(None).expect("a URL with a host");
    }
    url.to_string()
}

/// Every `PG*` variable sqlx reads, pointing somewhere that cannot work.
const HOSTILE_PG_ENV: &[(&str, &str)] = &[
    ("PGHOST", "db.invalid"),
    ("PGHOSTADDR", "192.0.2.1"),
    ("PGPORT", "1"),
    ("PGUSER", "nobody_pg_user"),
    ("PGPASSWORD", "pg-env-password-xyz"),
    ("PGDATABASE", "no_such_pg_database"),
    ("PGSSLMODE", "verify-full"),
    ("PGSSLROOTCERT", "/nonexistent/root.crt"),
    ("PGOPTIONS", "-c search_path=nowhere"),
    ("PGAPPNAME", "pg-env-app"),
];

#[tokio::test]
async fn database_url_parameters_are_never_logged_and_pg_variables_have_no_effect() {
    let db = pg::shared().create_database().await;
    let secret = "s3cr3t-xyz";
    let url = url_with(
        &db,
        &format!("sslmode=disable&sslpassword={secret}&application_name=taskflowd"),
        true,
    );
    let mut builder = TestDaemon::builder()
        .env("TASKFLOW_DATABASE_URL", &url)
        .secret(&db.password);
    for (key, value) in HOSTILE_PG_ENV {
        builder = builder.env(key, value);
    }
    let daemon = builder.start().await;
    let r = daemon.settled().await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "PG* changed the connection: {}",
        r.body
    );
    // The pool serves requests with the URL's settings (PGOPTIONS' search_path
    // would hide the tables).
    let r = daemon.get("/api/v1/members").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let logs = daemon.logs();
    assert!(
        logs.contains("ignoring a parameter") && logs.contains("sslpassword"),
        "the unknown parameter was not even seen: {}",
        daemon.log_tail(40)
    );
    for value in [secret, db.password.as_str(), url.as_str()] {
        assert!(!logs.contains(value), "a URL value is in the log");
    }
    assert!(logs.contains("TRACE"), "the log is not at trace level");
}

/// The URL has no password and `~/.pgpass` has the right one: libpq would
/// use it, taskflowd must not (sqlx's URL parser would have).
#[tokio::test]
async fn database_url_without_a_password_does_not_read_pgpass() {
    let db = pg::shared().create_database().await;
    let home = tempfile::tempdir().unwrap();
    let pgpass = home.path().join(".pgpass");
    // Every field `*` but the password: `:` and `\` are escaped as libpq reads them.
    let escaped = db.password.replace('\\', "\\\\").replace(':', "\\:");
    std::fs::write(&pgpass, format!("*:*:*:*:{escaped}\n")).unwrap();
    // libpq ignores a .pgpass that others can read.
    crate::helpers::os::set_mode(&pgpass, 0o600).unwrap();
    let daemon = TestDaemon::builder()
        .env(
            "TASKFLOW_DATABASE_URL",
            url_with(&db, "sslmode=disable", false),
        )
        .env("HOME", home.path())
        .secret(&db.password)
        .start()
        .await;
    let r = daemon.settled().await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    let why = r.body["error"].as_str().unwrap_or_default();
    assert!(why.contains("password"), "{why}");
    assert!(!daemon.logs().contains(&db.password));
}

/// Issue #22 (6): the verify modes run through the TLS relay, which presents
/// no client certificate, so `sslcert` / `sslkey` there are refused with the
/// reason rather than dropped.
#[tokio::test]
async fn database_url_client_certificates_in_a_verify_mode_are_refused_with_the_reason() {
    let db = pg::shared().create_database().await;
    let files = tempfile::tempdir().unwrap();
    let ca = crate::helpers::certs::TestCa::new("client-cert test CA");
    let ca_path = ca.write_cert(files.path(), "ca.pem");
    let query = format!(
        "sslmode=verify-full&sslrootcert={}&sslcert=/tmp/client.crt&sslkey=/tmp/client.key",
        ca_path.display()
    );
    let daemon = TestDaemon::builder()
        .env("TASKFLOW_DATABASE_URL", url_with(&db, &query, true))
        .secret(&db.password)
        .start()
        .await;
    let r = daemon.settled().await;
    assert_eq!(
        r.body["error"],
        format!(
            "Database startup failed: {}",
            taskflowd::db::database_url::CLIENT_CERT_REFUSED
        )
    );
}
