//! The CLI trusts only its own daemon (DESIGN.md "One user's daemon"): a
//! listener of another OS user on the CLI's port receives nothing — no
//! token, no password — and the command exits 1 saying so.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use crate::helpers::daemon::bin;
use crate::helpers::free_port;

/// Listens on `port` as `nobody`, prints `ready`, then the byte count of
/// each of the two connections it accepts, and exits (after 20 s without
/// one, too: it must never outlive the test, whose kill would reach only
/// `runuser`).
const LISTENER: &str = r#"
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
s.settimeout(20)
print("ready", flush=True)
for _ in range(2):
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    c.settimeout(2)
    got = b""
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            got += d
    except Exception:
        pass
    print("received", len(got), got[:200], flush=True)
    c.close()
"#;

#[test]
fn another_users_listener_gets_no_token_and_no_password() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: only root can run a listener as another user");
        return;
    }
    let port = free_port();
    let mut listener = Command::new("runuser")
        .args(["-u", "nobody", "--", "/usr/bin/python3", "-c", LISTENER])
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(listener.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");

    let token = "tf-must-not-leak-token";
    let password = "must-not-leak-password";
    let cfg = tempfile::tempdir().unwrap();
    let cli = |args: &[&str], stdin: &str| {
        let mut child = Command::new(bin())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TASKFLOW_PORT", port.to_string())
            .env("TASKFLOW_CONFIG_DIR", cfg.path())
            .env("TASKFLOW_API_TOKEN", token)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let status = cli(&["status"], "");
    let test = cli(
        &[
            "test-connection",
            "--host",
            "127.0.0.1",
            "--port",
            "5432",
            "--database",
            "d",
            "--username",
            "u",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    // The listener exits after the two connections.
    let mut heard = String::new();
    out.read_to_string(&mut heard).unwrap();
    let _ = listener.wait();

    let refusal = format!(
        "taskflowd: 127.0.0.1:{port} is served by a process of another user; nothing was sent"
    );
    for (name, o) in [("status", &status), ("test-connection", &test)] {
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(&refusal), "{name}: {stderr}");
    }
    // The listener saw the connections (so the check had something to
    // refuse), and not one byte on any of them.
    let counts: Vec<&str> = heard
        .lines()
        .filter(|l| l.starts_with("received"))
        .collect();
    assert!(
        !counts.is_empty(),
        "the listener was never reached: {heard}"
    );
    for l in &counts {
        assert!(l.starts_with("received 0 "), "bytes were sent: {l}");
    }
    assert!(
        !heard.contains(token) && !heard.contains(password),
        "{heard}"
    );
}
