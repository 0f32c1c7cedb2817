//! The benchmark baseline: a minimal warp server that answers `GET /health`
//! with the same JSON as a healthy taskflowd, without actors, guards or
//! logging — the ceiling for this stack on this machine.
//!
//! Run: `cargo run --release --example bare_warp -- 8099` (used by `scripts/bench.py`).

use std::net::SocketAddr;

use warp::Filter;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8099);
    let health = warp::path("health")
        .and(warp::path::end())
        .and(warp::get())
        .map(|| warp::reply::json(&serde_json::json!({"status": "healthy"})));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    warp::serve(health).incoming(listener).run().await;
    Ok(())
}
