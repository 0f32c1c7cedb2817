//! The CLI trusts only its own daemon (DESIGN.md "One user's daemon"): a
//! listener of another OS user receives nothing — no token, no password —
//! from any subcommand that talks to the daemon, whether its address came
//! from the command line or from a discovery file planted in the config
//! folder, and the command exits 1 saying so. (That the discovery file is
//! how the CLI finds its own daemon is in tests/api/cli.rs.)
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use taskflowd::instance::discovery::Discovery;

use crate::helpers::daemon::bin;
use crate::helpers::free_port;

/// Listens on `port` as `nobody`, prints `ready`, then the byte count of
/// each of the `n` connections it accepts, and exits (after 20 s without
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
for _ in range(int(sys.argv[2])):
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

/// The subcommands that talk to the daemon, with what each would send.
const COMMANDS: [(&str, &[&str]); 3] = [
    ("status", &["status"]),
    (
        "test-connection",
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
    ),
    ("stop", &["stop"]),
];

#[test]
fn another_users_listener_gets_no_token_and_no_password() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: only root can run a listener as another user");
        return;
    }
    let port = free_port();
    let connections = 2 * COMMANDS.len();
    let mut listener = Command::new("runuser")
        .args(["-u", "nobody", "--", "/usr/bin/python3", "-c", LISTENER])
        .arg(port.to_string())
        .arg(connections.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(listener.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");

    let token = "tf-must-not-leak-token";
    let password = "must-not-leak-password";
    // One folder without a discovery file (the address is given), one with
    // a file naming the listener (a live pid: this test's).
    let given = tempfile::tempdir().unwrap();
    let planted = tempfile::tempdir().unwrap();
    Discovery::for_this_process(format!("127.0.0.1:{port}").parse().unwrap())
        .write(planted.path())
        .unwrap();
    let token_file = planted.path().join("token");
    let mut f = crate::helpers::os::create_new_private(&token_file).unwrap();
    f.write_all(token.as_bytes()).unwrap();
    drop(f);
    let cli = |before: &[&str], args: &[&str], dir: &std::path::Path, stdin: &str| {
        let mut cmd = Command::new(bin());
        cmd.args(before)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TASKFLOW_CONFIG_DIR", dir);
        if before.is_empty() {
            cmd.env("TASKFLOW_API_TOKEN_FILE", &token_file);
        } else {
            cmd.env("TASKFLOW_API_TOKEN", token);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A command that reads no stdin may have exited already (broken pipe).
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        child.wait_with_output().unwrap()
    };
    let port_flag = port.to_string();
    let mut outputs = Vec::new();
    for (how, before, dir) in [
        ("--port", &["--port", port_flag.as_str()][..], given.path()),
        ("discovery file", &[][..], planted.path()),
    ] {
        for (name, args) in COMMANDS {
            let o = cli(before, args, dir, &format!("{password}\n"));
            outputs.push((format!("{name} ({how})"), o));
        }
    }
    // The listener exits after the last connection.
    let mut heard = String::new();
    out.read_to_string(&mut heard).unwrap();
    let _ = listener.wait();

    let refusal = format!(
        "taskflowd: 127.0.0.1:{port} is served by a process of another user; nothing was sent"
    );
    for (name, o) in &outputs {
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(&refusal), "{name}: {stderr}");
    }
    // The listener saw every connection (so the check had something to
    // refuse), and not one byte on any of them.
    let counts: Vec<&str> = heard
        .lines()
        .filter(|l| l.starts_with("received"))
        .collect();
    assert_eq!(counts.len(), connections, "{heard}");
    for l in &counts {
        assert!(l.starts_with("received 0 "), "bytes were sent: {l}");
    }
    assert!(
        !heard.contains(token) && !heard.contains(password),
        "{heard}"
    );
}
