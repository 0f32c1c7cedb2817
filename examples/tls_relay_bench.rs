//! What the TLS relay (src/db/tls/) costs, per connection and per query,
//! against plaintext and against sqlx's own TLS, on one PostgreSQL server
//! with TLS on (`scripts/tls-bench.sh` starts one and runs this).
//!
//! ```sh
//! cargo run --release --example tls_relay_bench -- certs DIR       # CA + server cert for localhost
//! cargo run --release --example tls_relay_bench -- bench PORT PASSWORD CA_PEM
//! ```
//!
//! `bench` connects as `postgres` to database `postgres` on `localhost:PORT`
//! (a `host` line, so plaintext is allowed too) and prints a Markdown table:
//! median connect + close time, and median round trip of `SELECT 1` and of
//! a 1 MiB result (3 rounds, the paths interleaved), for
//! - plaintext (`sslmode=disable`),
//! - sqlx's own TLS (`verify-full`, `ssl_root_cert` plus webpki's roots),
//! - the relay, as a pool uses it (one relay, many connections),
//! - the relay, as a probe uses it (a new relay per connection:
//!   `db::connect::probe`: connect, `SELECT 1`, close).

use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sea_orm::sqlx::{self, Connection};
use taskflowd::db::connect::probe;
use taskflowd::domain::credentials::{ConnectionTarget, DbCredentials, SslMode};
use taskflowd::domain::password::Password;

const ROUNDS: usize = 3;
const CONNECTS: usize = 100;
const SMALL_QUERIES: usize = 2_000;
const LARGE_QUERIES: usize = 100;
const TIMEOUT: Duration = Duration::from_secs(10);

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["certs", dir] => certs(std::path::Path::new(dir)),
        ["bench", port, password, ca] => bench(port.parse()?, password, ca).await,
        _ => Err("usage: tls_relay_bench certs DIR | bench PORT PASSWORD CA_PEM".into()),
    }
}

/// `ca.pem`, `server.crt`, `server.key` (the server's names: `localhost`).
fn certs(dir: &std::path::Path) -> Res<()> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let cert = CertificateParams::new(vec!["localhost".to_owned()])?.signed_by(&key, &issuer)?;
    std::fs::write(dir.join("ca.pem"), issuer.pem())?;
    std::fs::write(dir.join("server.crt"), cert.pem())?;
    std::fs::write(dir.join("server.key"), key.serialize_pem())?;
    Ok(())
}

async fn bench(port: u16, password: &str, ca: &str) -> Res<()> {
    let base = PgConnectOptions::new_without_pgpass()
        .host("localhost")
        .port(port)
        .username("postgres")
        .password(password)
        .database("postgres");
    let plain = base.clone().ssl_mode(PgSslMode::Disable);
    let sqlx_tls = base
        .clone()
        .ssl_mode(PgSslMode::VerifyFull)
        .ssl_root_cert(ca);
    let (relayed, _guard) = taskflowd::db::tls::route(sqlx_tls.clone(), Some(ca), TIMEOUT)
        .map_err(|e| e.to_string())?;
    let mut creds = DbCredentials::new(
        ConnectionTarget::new("localhost", port, "postgres", "postgres"),
        Password::new(password.to_owned()),
    );
    creds.ssl_mode = Some(SslMode::VerifyFull);
    creds.ssl_root_cert = Some(ca.to_owned());

    // Rounds interleave the paths, so load from other processes on a shared
    // machine hits them alike; medians of all samples resist preemption spikes.
    let paths = [
        ("plaintext (disable)", &plain),
        ("sqlx's own TLS (verify-full)", &sqlx_tls),
        ("relay, shared (pool)", &relayed),
    ];
    let mut samples: Vec<[Vec<f64>; 3]> = vec![Default::default(); paths.len() + 1];
    for _round in 0..ROUNDS {
        for (i, (_, opts)) in paths.iter().enumerate() {
            for _ in 0..CONNECTS {
                let start = Instant::now();
                PgConnection::connect_with(opts).await?.close().await?;
                samples[i][0].push(ms(start));
            }
            let mut conn = PgConnection::connect_with(opts).await?;
            timed(&mut samples[i][1], SMALL_QUERIES, &mut conn, "SELECT 1").await?;
            timed(
                &mut samples[i][2],
                LARGE_QUERIES,
                &mut conn,
                "SELECT repeat('x', 1048576)",
            )
            .await?;
            conn.close().await?;
        }
        for _ in 0..CONNECTS {
            let start = Instant::now();
            probe(&creds, TIMEOUT)
                .await
                .map_err(sqlx::Error::Protocol)?;
            samples[paths.len()][0].push(ms(start));
        }
    }
    println!(
        "| path | connect + close, median ms | SELECT 1, median µs | 1 MiB result, median ms |"
    );
    println!("|---|---|---|---|");
    for (i, (name, _)) in paths.iter().enumerate() {
        let [connect, small, large] = &mut samples[i];
        println!(
            "| {name} | {:.2} | {:.1} | {:.2} |",
            median(connect),
            median(small) * 1e3,
            median(large)
        );
    }
    println!(
        "| relay, new per connection (probe: connect, SELECT 1, close) | {:.2} | (as shared) | (as shared) |",
        median(&mut samples[paths.len()][0])
    );
    Ok(())
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `sql` `n` times on `conn`, pushing each round trip (ms).
async fn timed(
    out: &mut Vec<f64>,
    n: usize,
    conn: &mut PgConnection,
    sql: &'static str,
) -> Res<()> {
    sqlx::query(sql).execute(&mut *conn).await?; // warm-up, prepares the statement
    for _ in 0..n {
        let start = Instant::now();
        sqlx::query(sql).fetch_one(&mut *conn).await?;
        out.push(ms(start));
    }
    Ok(())
}
