//! Network stand-ins for a PostgreSQL that misbehaves: a listener that accepts
//! and never answers ([`Blackhole`]), a hostile server that echoes the password
//! ([`EchoServer`]), a proxy that can freeze a live connection
//! ([`FreezableProxy`]), and a closed port.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// A listener on 127.0.0.1 that accepts every connection and never sends a
/// byte (a PostgreSQL that hangs). Dropping it closes everything.
#[derive(Debug)]
pub struct Blackhole {
    port: u16,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Blackhole {
    pub async fn start() -> Blackhole {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind blackhole");
        let port = listener.local_addr().expect("local_addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((sock, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(sock);
            }
        });
        Blackhole {
            port,
            accepted,
            task,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` connections were accepted.
    pub async fn wait_accepted(&self, n: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.accepted() < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} connections reached the blackhole within {timeout:?}",
                self.accepted()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A settings body pointing at this listener.
    pub fn credentials_json(&self, password: &str) -> Value {
        json!({
            "host": "127.0.0.1",
            "port": self.port,
            "database": "d",
            "username": "u",
            "password": password,
        })
    }
}

impl Drop for Blackhole {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A closed port on 127.0.0.1 (bound and released).
pub fn closed_port() -> u16 {
    crate::helpers::free_port()
}

/// A hostile "PostgreSQL" on 127.0.0.1: declines TLS, asks for the password in
/// cleartext, and answers with an error whose message echoes it.
#[derive(Debug)]
pub struct EchoServer {
    port: u16,
    task: JoinHandle<()>,
}

impl EchoServer {
    pub async fn start() -> EchoServer {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind echo server");
        let port = listener.local_addr().expect("local_addr").port();
        let task = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let read_startup = async |sock: &mut tokio::net::TcpStream| {
                        let len = sock.read_i32().await.ok()? as usize;
                        let mut rest = vec![0; len.saturating_sub(4)];
                        sock.read_exact(&mut rest).await.ok()?;
                        Some(rest)
                    };
                    let Some(first) = read_startup(&mut sock).await else {
                        return;
                    };
                    // SSLRequest (80877103) → 'N', then the real startup message.
                    if first == 80_877_103_i32.to_be_bytes()
                        && (sock.write_all(b"N").await.is_err()
                            || read_startup(&mut sock).await.is_none())
                    {
                        return;
                    }
                    // AuthenticationCleartextPassword.
                    if sock.write_all(b"R\0\0\0\x08\0\0\0\x03").await.is_err() {
                        return;
                    }
                    let Ok(b'p') = sock.read_u8().await else {
                        return;
                    };
                    let Ok(len) = sock.read_i32().await else {
                        return;
                    };
                    let mut pw = vec![0; (len as usize).saturating_sub(4)];
                    if sock.read_exact(&mut pw).await.is_err() {
                        return;
                    }
                    let pw = String::from_utf8_lossy(&pw)
                        .trim_end_matches('\0')
                        .to_owned();
                    let mut fields = Vec::new();
                    for (tag, value) in [
                        (b'S', "FATAL".to_owned()),
                        (b'V', "FATAL".to_owned()),
                        (b'C', "XX000".to_owned()),
                        (b'M', format!("you sent {pw}")),
                        (b'D', format!("password was {pw}")),
                    ] {
                        fields.push(tag);
                        fields.extend_from_slice(value.as_bytes());
                        fields.push(0);
                    }
                    fields.push(0);
                    // A notice echoing it first (sqlx logs notices itself).
                    let mut notice = Vec::new();
                    for (tag, value) in [
                        (b'S', "WARNING".to_owned()),
                        (b'V', "WARNING".to_owned()),
                        (b'C', "01000".to_owned()),
                        (b'M', format!("notice: you sent {pw}")),
                    ] {
                        notice.push(tag);
                        notice.extend_from_slice(value.as_bytes());
                        notice.push(0);
                    }
                    notice.push(0);
                    let mut msg = vec![b'N'];
                    msg.extend_from_slice(&((notice.len() + 4) as i32).to_be_bytes());
                    msg.extend_from_slice(&notice);
                    msg.push(b'E');
                    msg.extend_from_slice(&((fields.len() + 4) as i32).to_be_bytes());
                    msg.extend_from_slice(&fields);
                    let _ = sock.write_all(&msg).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        EchoServer { port, task }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A TCP proxy to `upstream` that can be frozen: while frozen it keeps every
/// socket open but forwards nothing (a server or network that hangs).
#[derive(Debug)]
pub struct FreezableProxy {
    port: u16,
    frozen: Arc<std::sync::atomic::AtomicBool>,
    /// Set by [`FreezableProxy::freeze_after_next_answer`].
    armed: Arc<std::sync::atomic::AtomicBool>,
    // Read only by the SIGTERM test, which is Unix-only.
    #[cfg_attr(not(unix), allow(dead_code))]
    held: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl FreezableProxy {
    pub async fn start(upstream: u16) -> FreezableProxy {
        use std::sync::atomic::AtomicBool;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let port = listener.local_addr().expect("local_addr").port();
        let frozen = Arc::new(AtomicBool::new(false));
        let flag = frozen.clone();
        let armed = Arc::new(AtomicBool::new(false));
        let arm = armed.clone();
        let held = Arc::new(AtomicUsize::new(0));
        let held_count = held.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let flag = flag.clone();
                let arm = arm.clone();
                let held = held_count.clone();
                conns.spawn(async move {
                    while flag.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                    else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::join!(
                        pump(cr, sw, flag.clone(), None, held.clone()),
                        pump(sr, cw, flag, Some(arm), held)
                    );
                });
            }
        });
        FreezableProxy {
            port,
            frozen,
            armed,
            held,
            task,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn set_frozen(&self, frozen: bool) {
        self.frozen.store(frozen, Ordering::SeqCst);
    }

    /// Freezes the proxy the moment the server answers the next query (a
    /// chunk opening with a RowDescription, `T`): that answer still reaches
    /// the client, whatever the client sends next hangs.
    pub fn freeze_after_next_answer(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Chunks that arrived while frozen (a request that is now hanging).
    #[cfg_attr(not(unix), allow(dead_code))]
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }
}

/// Forwards `from` to `to` chunk by chunk, holding each chunk while `frozen`.
/// `arm` (the server's direction only) freezes after the next answer.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<std::sync::atomic::AtomicBool>,
    arm: Option<Arc<std::sync::atomic::AtomicBool>>,
    held: Arc<AtomicUsize>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if frozen.load(Ordering::SeqCst) {
            held.fetch_add(1, Ordering::SeqCst);
        }
        while frozen.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if buf[0] == b'T'
            && let Some(arm) = &arm
            && arm.swap(false, Ordering::SeqCst)
        {
            frozen.store(true, Ordering::SeqCst);
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl Drop for FreezableProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
