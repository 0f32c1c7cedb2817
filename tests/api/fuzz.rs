//! Bad input, proven: arbitrary JSON values, types, sizes, Unicode and control
//! characters thrown at every route's body, path and headers. The reply is
//! never a 5xx, every error has the `{"error": …}` envelope, and a refused
//! request changes nothing on disk or in the database.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;
use reqwest::{Method, StatusCode};
use sea_orm::sqlx::{self, Row};
use serde_json::Value;

use crate::helpers::{TestDaemon, pg};

/// Keys the routes know, mixed with noise, so bodies are often *almost* valid.
const KEYS: &[&str] = &[
    "host",
    "port",
    "database",
    "username",
    "password",
    "ssl_mode",
    "ssl_root_cert",
    "name",
    "email",
    "active",
    "id",
    "",
    "\u{0}",
    "é",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z@. ]{0,12}",
        Just(String::new()),
        Just("   ".to_owned()),
        Just("\u{7}\u{0}\n".to_owned()),
        Just("x".repeat(1100)),
        Just("a@b.co".to_owned()),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![Just(0u64), Just(65536), Just(5432), Just(u64::MAX)].prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(KEYS).prop_map(str::to_owned),
                inner,
                0..7
            )
            .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Raw(Vec<u8>),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        4 => json_value().prop_map(Body::Json),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Body::Raw),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/api/v1/settings/test-connection".to_owned()),
        Just("/api/v1/settings/save-connection".to_owned()),
        Just("/api/v1/members".to_owned()),
        "[0-9a-f-]{0,40}".prop_map(|id| format!("/api/v1/members/{id}")),
        "[a-zA-Z0-9%._~-]{0,20}".prop_map(|seg| format!("/api/v1/members/{seg}")),
        "[a-zA-Z0-9%._~-]{0,20}".prop_map(|seg| format!("/api/v1/{seg}")),
        Just("/health".to_owned()),
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop::sample::select(vec![
        Method::GET,
        Method::POST,
        Method::PATCH,
        Method::DELETE,
        Method::PUT,
    ])
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => Just(Some("application/json".to_owned())),
        1 => Just(None),
        1 => "[ -~]{0,30}".prop_map(Some),
    ]
}

/// Every file in the config folder with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn arbitrary_requests_never_5xx_and_refusals_change_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(pg::shared().create_database());
    let daemon = rt.block_on(async {
        let d = TestDaemon::builder()
            .env("TASKFLOW_DB_CONNECT_TIMEOUT_SECS", "1")
            .env("TASKFLOW_LOG", "info")
            .secret(db.password.clone())
            .start()
            .await;
        assert_eq!(d.save_connection(&db).await.status, StatusCode::OK);
        d.wait_until_healthy(Duration::from_secs(20)).await;
        d
    });
    let members = |rt: &tokio::runtime::Runtime| -> Vec<String> {
        rt.block_on(async {
            let mut conn = db.connect().await.unwrap();
            sqlx::query(
                "SELECT id::text || name || email || active::text AS r FROM members ORDER BY id",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>("r"))
            .collect()
        })
    };

    let config = ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(m in method(), p in path(), b in body(), ct in content_type())| {
        let files_before = files(daemon.config_dir());
        let rows_before = members(&rt);
        let mut rb = daemon.request(m.clone(), &p);
        if let Some(ct) = &ct {
            rb = rb.header("content-type", ct.as_str());
        }
        rb = match &b {
            Body::Json(v) => rb.body(serde_json::to_vec(v).unwrap()),
            Body::Raw(bytes) => rb.body(bytes.clone()),
        };
        let r = rt.block_on(daemon.send(rb));
        prop_assert!(!r.status.is_server_error(), "{m} {p} -> {}", r.status);
        if !r.status.is_success() {
            let obj = r.body.as_object();
            prop_assert!(obj.is_some_and(|o| o.len() == 1 && o.get("error").is_some_and(Value::is_string))
                || (p == "/health" && r.status == StatusCode::SERVICE_UNAVAILABLE),
                "{m} {p} -> {} without the envelope", r.status);
            prop_assert_eq!(files(daemon.config_dir()), files_before, "files changed by a refused request");
            prop_assert_eq!(members(&rt), rows_before, "members changed by a refused request");
        }
    });
    assert!(!daemon.logs().contains("panicked"), "a handler panicked");
}
