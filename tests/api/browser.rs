//! A real browser against the daemon: headless Chromium (Debian's `chromium`,
//! installed by `.ci/run`; nothing is downloaded at run time) loads a small
//! page that calls taskflowd with `fetch`, and dumps its DOM (`--dump-dom`)
//! once the page's fetches are done (`--virtual-time-budget`: virtual time
//! does not advance while a fetch is pending, so the budget is spent only
//! after the last one answered).
//!
//! - From `http://localhost:<page port>` (the UI's development server on its
//!   own port) a JSON `GET` and a `POST` that needs a preflight succeed.
//! - From a forbidden origin (`http://127.0.0.2:<port>`, a `file://` page
//!   while `null` is not configured) the page can read nothing, and neither
//!   a preflighted `POST` nor a no-cors "simple" one changes anything.
//! - With a token configured, the page's `Authorization` header passes the
//!   preflight and the guard.
//!
//! Chromium runs as root in CI, hence `--no-sandbox`; each run gets a private
//! `--user-data-dir` and is killed if it has not finished in time.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use uuid::Uuid;

use crate::helpers::{TestDaemon, pg};

/// Bound on one Chromium run, start to DOM dump.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

const MEMBERS: &str = "/api/v1/members";

/// The browser binary: `TASKFLOW_TEST_CHROMIUM` if set, else `chromium` on PATH.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("TASKFLOW_TEST_CHROMIUM") {
        return PathBuf::from(p);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "no chromium on PATH: install Debian's `chromium` package (.ci/run does), \
                 or set TASKFLOW_TEST_CHROMIUM"
            )
        })
}

/// The page: calls the daemon at `api` (with `token` as bearer, if any) and
/// writes what it could see, base64 JSON, into `#result`.
fn page(api: &str, token: Option<&str>, email: &str) -> String {
    let token = token.map_or("null".to_owned(), |t| json!(t).to_string());
    let api = json!(api);
    let email = json!(email);
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body>
<pre id="result">pending</pre>
<script>
const api = {api};
const token = {token};
const email = {email};
function headers(extra) {{
  const h = Object.assign({{}}, extra || {{}});
  if (token) h["Authorization"] = "Bearer " + token;
  return h;
}}
const results = {{ origin: self.origin }};
async function attempt(name, f) {{
  try {{ results[name] = await f(); }} catch (e) {{ results[name] = {{ failed: String(e) }}; }}
}}
(async () => {{
  await attempt("get", async () => {{
    const r = await fetch(api + "/api/v1/members", {{ headers: headers() }});
    return {{ status: r.status, body: await r.json() }};
  }});
  await attempt("post", async () => {{
    const r = await fetch(api + "/api/v1/members", {{
      method: "POST",
      headers: headers({{ "Content-Type": "application/json" }}),
      body: JSON.stringify({{ name: "From the browser", email: email }}),
    }});
    return {{ status: r.status, body: await r.json() }};
  }});
  // What a cross-site form could do: a "simple" request, no preflight, the
  // response opaque. It must change nothing either.
  await attempt("simple_post", async () => {{
    const r = await fetch(api + "/api/v1/members", {{
      method: "POST",
      mode: "no-cors",
      headers: {{ "Content-Type": "text/plain" }},
      body: JSON.stringify({{ name: "Simple", email: "simple-" + email }}),
    }});
    return {{ type: r.type }};
  }});
  await attempt("status", async () => {{
    const r = await fetch(api + "/api/v1/settings/status", {{ headers: headers() }});
    return {{ status: r.status, state: (await r.json()).state }};
  }});
  document.getElementById("result").textContent = "result:" + btoa(JSON.stringify(results)) + ":end";
}})();
</script></body></html>"#
    )
}

/// Serves `html` for every request on `ip:<free port>` until dropped;
/// returns the page's URL.
async fn serve_page(ip: &str, html: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let html = html.clone();
            tokio::spawn(async move {
                // Read the request head (the browser sends no body here).
                let mut buf = vec![0u8; 8192];
                let mut got = 0;
                while got < buf.len() {
                    match sock.read(&mut buf[got..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got += n,
                    }
                    if buf[..got].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let favicon = buf[..got].starts_with(b"GET /favicon");
                let (status, body) = if favicon {
                    ("404 Not Found", String::new())
                } else {
                    ("200 OK", html)
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://{ip}:{port}/index.html"), task)
}

/// Loads `url` in headless Chromium and returns what the page saw.
async fn run_browser(url: &str) -> Value {
    let profile = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start chromium: {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut out = String::new();
    let mut err = String::new();
    let finished = tokio::time::timeout(BROWSER_TIMEOUT, async {
        let (a, b) = tokio::join!(
            stdout.read_to_string(&mut out),
            stderr.read_to_string(&mut err)
        );
        a.unwrap();
        b.unwrap();
        child.wait().await.unwrap()
    })
    .await;
    if finished.is_err() {
        let _ = child.start_kill();
        panic!("chromium did not finish within {BROWSER_TIMEOUT:?} on {url}");
    }
    let encoded = out
        .split("result:")
        .nth(1)
        .and_then(|rest| rest.split(":end").next())
        .unwrap_or_else(|| {
            let tail: String = err
                .lines()
                .filter(|l| !l.contains("dbus"))
                .collect::<Vec<_>>()
                .join("\n");
            panic!("the page did not finish on {url}\nDOM:\n{out}\nstderr:\n{tail}")
        });
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A ready daemon on a fresh database (through the `TASKFLOW_DATABASE_URL`
/// fallback, so no API call is needed with or without a token).
async fn ready_daemon(token: Option<&str>) -> (TestDaemon, pg::TestDb) {
    let db = pg::shared().create_database().await;
    let mut b = TestDaemon::builder()
        .env("TASKFLOW_DATABASE_URL", &db.url)
        .secret(&db.password);
    if let Some(t) = token {
        b = b.env("TASKFLOW_API_TOKEN", t).secret(t);
    }
    let d = b.start().await;
    d.wait_until_healthy(Duration::from_secs(30)).await;
    (d, db)
}

async fn member_emails(d: &TestDaemon, token: Option<&str>) -> Vec<String> {
    let mut req = d.request(reqwest::Method::GET, MEMBERS);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = d.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap().to_owned())
        .collect()
}

fn email() -> String {
    format!("b-{}@example.org", Uuid::new_v4().simple())
}

/// The allowed case: the page's own origin, a JSON GET, a preflighted POST.
fn assert_allowed(seen: &Value, email: &str, origin_prefix: &str) {
    assert!(
        seen["origin"].as_str().unwrap().starts_with(origin_prefix),
        "{seen}"
    );
    assert_eq!(seen["get"], json!({"status": 200, "body": []}), "{seen}");
    assert_eq!(seen["post"]["status"], 201, "{seen}");
    assert_eq!(seen["post"]["body"]["email"], email, "{seen}");
    assert_eq!(seen["status"]["status"], 200, "{seen}");
    assert_eq!(seen["status"]["state"], "ready", "{seen}");
}

/// The forbidden case: every read fails in the browser (a network error, not
/// a status it could inspect).
fn assert_forbidden(seen: &Value) {
    for call in ["get", "post", "status"] {
        assert!(
            seen[call]["failed"]
                .as_str()
                .is_some_and(|e| e.contains("Failed to fetch")),
            "{call} should be unreadable: {seen}"
        );
    }
    assert_eq!(seen["simple_post"]["type"], "opaque", "{seen}");
}

#[tokio::test]
async fn a_page_on_another_loopback_port_reads_and_writes() {
    let (d, _db) = ready_daemon(None).await;
    let email = email();
    let html = page(&format!("http://127.0.0.1:{}", d.port()), None, &email);
    let (url, server) = serve_page("127.0.0.1", html).await;
    let url = url.replace("127.0.0.1", "localhost");

    let seen = run_browser(&url).await;
    server.abort();

    assert_allowed(&seen, &email, "http://localhost:");
    // The simple text/plain post was refused (415), so only the JSON one landed.
    assert_eq!(member_emails(&d, None).await, vec![email]);
}

#[tokio::test]
async fn a_page_on_a_forbidden_origin_can_neither_read_nor_change() {
    let (d, _db) = ready_daemon(None).await;
    let api = format!("http://127.0.0.1:{}", d.port());

    let html = page(&api, None, &email());
    let (url, server) = serve_page("127.0.0.2", html).await;
    let seen = run_browser(&url).await;
    server.abort();
    assert_eq!(
        seen["origin"].as_str().unwrap(),
        url.trim_end_matches("/index.html")
    );
    assert_forbidden(&seen);

    // A page loaded from a file sends `Origin: null`, refused while `null` is
    // not configured.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("page.html");
    std::fs::write(&file, page(&api, None, &email())).unwrap();
    let seen = run_browser(&format!("file://{}", file.display())).await;
    assert_forbidden(&seen);

    assert!(
        member_emails(&d, None).await.is_empty(),
        "a forbidden page changed the members"
    );
}

#[tokio::test]
async fn with_a_token_the_pages_authorization_passes_preflight_and_guard() {
    let token = "tok-browser-9f8e7d6c5b4a";
    let (d, _db) = ready_daemon(Some(token)).await;
    let api = format!("http://127.0.0.1:{}", d.port());
    let email = email();

    let (url, server) = serve_page("127.0.0.1", page(&api, Some(token), &email)).await;
    let seen = run_browser(&url.replace("127.0.0.1", "localhost")).await;
    server.abort();
    assert_allowed(&seen, &email, "http://localhost:");
    assert_eq!(member_emails(&d, Some(token)).await, vec![email]);

    // The same page without the token is answered 401 — readable, since the
    // origin is allowed, but it changes nothing.
    let (url, server) = serve_page("127.0.0.1", page(&api, None, &self::email())).await;
    let seen = run_browser(&url.replace("127.0.0.1", "localhost")).await;
    server.abort();
    assert_eq!(seen["get"]["status"], 401, "{seen}");
    assert_eq!(seen["post"]["status"], 401, "{seen}");
    assert_eq!(member_emails(&d, Some(token)).await.len(), 1);
}
