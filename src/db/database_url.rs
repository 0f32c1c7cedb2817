//! `TASKFLOW_DATABASE_URL`, the development fallback, read by taskflowd
//! itself rather than by the driver's `PgConnectOptions::from_str`, which
//! would:
//!
//! - log every parameter it does not know **with its value** at WARN
//!   (`ignoring unrecognized connect parameter`, sqlx-postgres
//!   `options/parse.rs`): `sslpassword=…` would land in the log;
//! - read `~/.pgpass` (`apply_pgpass`) when the URL has no password, which
//!   DESIGN.md says is never read.
//!
//! So the URL is parsed here (the `url` crate, percent-decoding as sqlx
//! does), its parameters are given to the driver with its setters, starting
//! from `PgConnectOptions::new_without_pgpass()`, which reads no `~/.pgpass`
//! and whose `PG*` seeds find nothing (`main` removes those variables before
//! anything runs). A parameter the driver does not support is ignored, as
//! before, and logged by **name only**.
//!
//! Client certificates (`sslcert` / `sslkey`) work with sqlx's own TLS
//! (`prefer`, `require`), but the verify modes run through the daemon's TLS
//! relay, which presents none: there they are refused with a reason rather
//! than silently dropped (docs/tls.md).

use std::net::IpAddr;

use percent_encoding::percent_decode_str;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};

/// The message for a URL that does not parse. Never includes the URL.
const INVALID: &str = "TASKFLOW_DATABASE_URL is not a valid PostgreSQL URL";

/// Driver options for `url`, with libpq's rule that `require` with a root
/// certificate is `verify-ca`. Errors name the problem, never a value.
pub fn options(url: &str) -> Result<PgConnectOptions, String> {
    let parsed = parse(url)?;
    // The driver's defaults where the URL is silent (host: its socket
    // folder if one exists, else localhost; port 5432; `prefer`), as with
    // `from_str`; its `PG*` seeds are gone (`main` removes them first).
    let mut opts = PgConnectOptions::new_without_pgpass();
    if let Some(host) = parsed.host_str() {
        let host = decode(host)?;
        opts = if host.starts_with('/') {
            opts.socket(host)
        } else {
            opts.host(&host)
        };
    }
    if let Some(port) = parsed.port() {
        opts = opts.port(port);
    }
    // libpq's default user is the OS user; sqlx's `new_without_pgpass`
    // already falls back to it when `PGUSER` is unset.
    if !parsed.username().is_empty() {
        opts = opts.username(&decode(parsed.username())?);
    }
    if let Some(password) = parsed.password() {
        opts = opts.password(&decode(password)?);
    }
    let path = parsed.path().trim_start_matches('/');
    if !path.is_empty() {
        opts = opts.database(&decode(path)?);
    }
    let mut client_cert = false;
    for (key, value) in parsed.query_pairs() {
        let bad = |what: &str| format!("TASKFLOW_DATABASE_URL: {key} {what}");
        opts = match &*key {
            "sslmode" | "ssl-mode" => opts.ssl_mode(value.parse().map_err(|_| {
                bad("must be one of disable, allow, prefer, require, verify-ca, verify-full")
            })?),
            "sslrootcert" | "ssl-root-cert" | "ssl-ca" => opts.ssl_root_cert(&*value),
            "sslcert" | "ssl-cert" => {
                client_cert = true;
                opts.ssl_client_cert(&*value)
            }
            "sslkey" | "ssl-key" => {
                client_cert = true;
                opts.ssl_client_key(&*value)
            }
            "statement-cache-capacity" => {
                opts.statement_cache_capacity(value.parse().map_err(|_| bad("must be a number"))?)
            }
            "host" if value.starts_with('/') => opts.socket(&*value),
            "host" => opts.host(&value),
            "hostaddr" => {
                value
                    .parse::<IpAddr>()
                    .map_err(|_| bad("must be an IP address"))?;
                opts.host(&value)
            }
            "port" => opts.port(value.parse().map_err(|_| bad("must be a port number"))?),
            "dbname" => opts.database(&value),
            "user" => opts.username(&value),
            "password" => opts.password(&value),
            "application_name" => opts.application_name(&value),
            "options" => opts.options(
                settings(&value)
                    .ok_or_else(|| bad("must be settings of the form -c name=value"))?,
            ),
            k if k.starts_with("options[") && k.ends_with(']') => {
                let name = &k["options[".len()..k.len() - 1];
                opts.options([(name, &*value)])
            }
            _ => {
                // The name only: the value may be a secret (`sslpassword`).
                tracing::warn!(parameter = %key, "TASKFLOW_DATABASE_URL: ignoring a parameter the driver does not support");
                opts
            }
        };
    }
    if matches!(opts.get_ssl_mode(), PgSslMode::Require) && root_cert(url).is_some() {
        opts = opts.ssl_mode(PgSslMode::VerifyCa);
    }
    if client_cert
        && matches!(
            opts.get_ssl_mode(),
            PgSslMode::VerifyCa | PgSslMode::VerifyFull
        )
    {
        return Err(CLIENT_CERT_REFUSED.to_owned());
    }
    Ok(opts)
}

/// Why `sslcert` / `sslkey` are refused in the verify modes.
pub const CLIENT_CERT_REFUSED: &str = "TASKFLOW_DATABASE_URL: sslcert and sslkey (a client \
     certificate) are not supported with sslmode verify-ca or verify-full (or require with \
     sslrootcert): the daemon's TLS connection for those modes presents no client certificate; \
     remove them and let the server authenticate by password";

/// The URL's root certificate, under any of the keys sqlx reads for it
/// (`sslrootcert`, `ssl-root-cert`, `ssl-ca`): a path, or `system`.
pub fn root_cert(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(key, value)| {
            matches!(&**key, "sslrootcert" | "ssl-root-cert" | "ssl-ca") && !value.is_empty()
        })
        .map(|(_, value)| value.into_owned())
}

/// The (percent-decoded) password of a `postgres://user:password@host/…` URL,
/// so that server text echoing it can be scrubbed like a saved password.
pub fn password(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let from_query = parsed
        .query_pairs()
        .find(|(key, _)| key == "password")
        .map(|(_, value)| value.into_owned());
    let from_userinfo = parsed
        .password()
        .and_then(|p| percent_decode_str(p).decode_utf8().ok())
        .map(|p| p.into_owned());
    from_query.or(from_userinfo).filter(|p| !p.is_empty())
}

fn parse(url: &str) -> Result<url::Url, String> {
    url::Url::parse(url).map_err(|_| INVALID.to_owned())
}

/// The `name=value` pairs of libpq's `options` (`-c name=value`,
/// `-cname=value` or `--name=value`, space-separated), which the driver's
/// setter sends as the same `-c` settings; `None` for anything else.
fn settings(raw: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut words = raw.split_whitespace();
    while let Some(word) = words.next() {
        let setting = match word {
            "-c" => words.next()?,
            w if w.starts_with("--") => &w[2..],
            w if w.starts_with("-c") => &w[2..],
            _ => return None,
        };
        let (name, value) = setting.split_once('=')?;
        pairs.push((name.to_owned(), value.to_owned()));
    }
    Some(pairs)
}

fn decode(part: &str) -> Result<String, String> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| INVALID.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn root_cert_is_recognised_under_each_key() {
        let has = |url: &str| root_cert(url).is_some();
        assert!(has("postgres://u@h/d?sslmode=require&sslrootcert=/ca.pem"));
        assert!(has("postgres://u@h/d?ssl-ca=%2Fca.pem#x"));
        assert!(!has("postgres://u@h/d?sslmode=require"));
        assert!(!has("postgres://u@h/d?sslrootcert="));
        assert!(!has("postgres://u@h/d"));
    }

    #[test]
    fn password_is_decoded_from_the_userinfo_or_the_query() {
        assert_eq!(
            password("postgres://u:s3cr%20t%2Fx%40y@h:5432/d?sslmode=disable").as_deref(),
            Some("s3cr t/x@y")
        );
        assert_eq!(
            password("postgres://u@h/d?password=q%26w").as_deref(),
            Some("q&w")
        );
        assert_eq!(password("postgres://u@h/d"), None);
        assert_eq!(password("postgres://h/d"), None);
    }

    #[test]
    fn options_come_from_the_url_field_by_field() {
        let opts = options(
            "postgres://lead:pw%40x@db.example:6543/team?sslmode=require&application_name=tf\
             &options=-c%20search_path%3Dapp&sslpassword=s3cr3t",
        )
        .unwrap();
        assert_eq!(opts.get_host(), "db.example");
        assert_eq!(opts.get_port(), 6543);
        assert_eq!(opts.get_username(), "lead");
        assert_eq!(opts.get_database(), Some("team"));
        assert!(matches!(opts.get_ssl_mode(), PgSslMode::Require));
        assert_eq!(opts.get_application_name(), Some("tf"));
        assert_eq!(opts.get_options(), Some("-c search_path=app"));
        let socket = options("postgres://u@%2Frun%2Fpg/d").unwrap();
        assert_eq!(
            socket
                .get_socket()
                .map(|p| p.display().to_string())
                .as_deref(),
            Some("/run/pg")
        );
    }

    #[test]
    fn require_with_a_root_cert_is_verify_ca() {
        let opts = options("postgres://u@h/d?sslmode=require&sslrootcert=/ca.pem").unwrap();
        assert!(matches!(opts.get_ssl_mode(), PgSslMode::VerifyCa));
    }

    #[test]
    fn bad_values_are_named_without_the_value() {
        let e = options("postgres://u@h/d?sslmode=s3cr3t-mode").unwrap_err();
        assert!(
            e.starts_with("TASKFLOW_DATABASE_URL: sslmode must be one of"),
            "{e}"
        );
        assert!(!e.contains("s3cr3t"), "{e}");
        let e = options("postgres://u@h/d?port=s3cr3t").unwrap_err();
        assert!(!e.contains("s3cr3t"), "{e}");
        assert_eq!(options("not a url").unwrap_err(), INVALID);
        assert!(settings("-c a=b --c=d -ce=f").is_some_and(|p| p.len() == 3));
        assert!(settings("a=b").is_none());
    }

    #[test]
    fn client_certificates_are_refused_in_the_verify_modes_only() {
        for query in [
            "sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem",
            "sslmode=verify-ca&sslrootcert=/ca.pem&sslkey=/k.pem",
            "sslmode=require&sslrootcert=/ca.pem&ssl-cert=/c.pem",
        ] {
            let e = options(&format!("postgres://u@h/d?{query}")).unwrap_err();
            assert_eq!(e, CLIENT_CERT_REFUSED, "{query}");
        }
        // sqlx's own TLS (prefer, require) presents them.
        assert!(options("postgres://u@h/d?sslmode=require&sslcert=/c.pem&sslkey=/k.pem").is_ok());
    }
}
