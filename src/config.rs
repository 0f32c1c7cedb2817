//! Layered configuration: built-in defaults < TOML file < `TASKFLOW_*`
//! environment < command-line flags, loaded with figment so that every value
//! remembers where it came from (`taskflowd print-config` shows it, and an
//! invalid value is reported with its source).
//!
//! [`Settings::load`] takes every input explicitly (flags, an environment
//! snapshot): no `current_dir()` lookups and no hidden globals, so tests can
//! load settings for a temporary folder.

pub mod policy;
pub mod test_hooks;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};

use crate::security::secret_value::SecretValue;

/// File name looked up in the config folder when `--config` is not given.
pub const CONFIG_FILE_NAME: &str = "taskflowd.toml";
/// The log file's name in its folder (`log_dir`).
pub const LOG_FILE_NAME: &str = "taskflowd.log";
/// Prefix of every environment variable taskflowd reads.
pub const ENV_PREFIX: &str = "TASKFLOW_";

/// Log line format on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// How a setting's value is read from the environment and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string, taken as it is (so a token of digits stays a string).
    Text,
    /// A number or a boolean: the environment string is parsed (a value that
    /// does not parse stays a string, and the type error names the variable).
    Typed,
    /// A list: comma-separated in the environment, an array in the file.
    List,
    /// A string that is never echoed: not in errors, `[set]` in print-config.
    Secret,
}

/// One setting, as [`settings!`] declares it.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// The TOML key and field name; upper-cased behind [`ENV_PREFIX`] it is
    /// the environment variable.
    pub key: &'static str,
    /// How its value is read and shown.
    pub kind: Kind,
}

impl Setting {
    /// The environment variable, e.g. `TASKFLOW_PORT`.
    pub fn env_name(&self) -> String {
        format!("{ENV_PREFIX}{}", self.key.to_ascii_uppercase())
    }
}

/// Declares every setting once: its field (name = TOML key = environment
/// name), type, doc line, built-in default and [`Kind`]. From that one list
/// come the [`Settings`] struct, its `Default`, the defaults layer, the
/// environment parsing, the secret keys and print-config's lines; a test
/// checks that `config/taskflowd.toml` documents exactly these keys. Adding
/// a setting is one entry here (plus its range check in `validate` if any).
macro_rules! settings {
    ($( $(#[doc = $doc:literal])+ $key:ident : $ty:ty = $default:expr, $kind:ident; )+) => {
        /// The daemon's effective configuration (see [`settings!`]).
        #[derive(Debug, Clone, Deserialize)]
        pub struct Settings {
            $( $(#[doc = $doc])+ pub $key: $ty, )+
        }

        impl Default for Settings {
            fn default() -> Self {
                Self { $( $key: $default, )+ }
            }
        }

        /// Every setting, in declaration order.
        pub const SETTINGS: &[Setting] = &[
            $( Setting { key: stringify!($key), kind: Kind::$kind }, )+
        ];

        impl Settings {
            /// The built-in defaults as figment's lowest layer (unset
            /// optional settings are left out, so they show as unset).
            fn defaults_layer() -> Dict {
                let d = Settings::default();
                let mut dict = Dict::new();
                $(
                    if let Ok(v) = figment::value::Value::serialize(&d.$key) {
                        if !matches!(v, figment::value::Value::Empty(..)) {
                            dict.insert(stringify!($key).to_owned(), v);
                        }
                    }
                )+
                dict
            }

            /// Each setting's value as print-config shows it (secrets as `[set]`).
            fn shown(&self) -> Vec<(&'static str, serde_json::Value)> {
                vec![ $( (stringify!($key), Show::show(&self.$key)) ),+ ]
            }
        }
    };
}

settings! {
    /// Bind address (`TASKFLOW_HOST`). `localhost` means 127.0.0.1.
    host: String = "127.0.0.1".to_owned(), Text;
    /// Port (`TASKFLOW_PORT`); 0 picks a free port (tests).
    port: u16 = 8000, Typed;
    /// Folder holding the key, the credentials and the optional `taskflowd.toml`.
    /// `None`: the platform's local config folder for TaskFlow.
    config_dir: Option<PathBuf> = None, Text;
    /// Development fallback used only when no credentials are saved.
    database_url: Option<SecretValue> = None, Secret;
    /// Failed attempts before `/health` reports "Database startup failed" (retries go on).
    db_startup_retry_attempts: u32 = 3, Typed;
    /// First retry delay.
    db_retry_backoff_base_ms: u64 = 250, Typed;
    /// Longest retry delay; bounds recovery time once the database is back.
    db_retry_backoff_cap_ms: u64 = 5000, Typed;
    /// Connect timeout for test-connection and the daemon's own connects.
    db_connect_timeout_secs: u64 = 5, Typed;
    /// Liveness ping period while ready.
    db_ping_interval_ms: u64 = 2000, Typed;
    /// Deadline for applying migrations (including the wait for another
    /// daemon's migration lock); past it the attempt fails and is retried.
    db_migration_timeout_secs: u64 = 60, Typed;
    /// Most server sessions the daemon's pool opens under a burst; idle ones
    /// close after 30 s, so an idle daemon holds at most one (the team shares
    /// the server's `max_connections`).
    db_pool_max: u32 = 1, Typed;
    /// tracing filter (RUST_LOG syntax). `None`: `RUST_LOG`, else `info`.
    log: Option<String> = None, Text;
    /// `text` or `json` (stderr and the log file alike).
    log_format: LogFormat = LogFormat::Text, Text;
    /// Folder of `taskflowd.log`; `none` turns the file off. `None`: the
    /// platform's per-user log folder ([`crate::platform::default_log_dir`]).
    log_dir: Option<PathBuf> = None, Text;
    /// Size at which `taskflowd.log` is rotated (a few old files are kept,
    /// so the folder stays bounded).
    log_max_bytes: u64 = crate::config::policy::LOG_MAX_BYTES, Typed;
    /// Exit when this process is gone (the desktop shell).
    parent_pid: Option<u32> = None, Typed;
    /// When set, `/api/v1/*` requires `Authorization: Bearer <token>`.
    api_token: Option<SecretValue> = None, Secret;
    /// A 0600 file holding the token (alternative to `api_token`).
    api_token_file: Option<PathBuf> = None, Text;
    /// Must be true (with a token) to bind a non-loopback address.
    allow_remote: bool = false, Typed;
    /// Refuse connections from processes of other OS users (loopback peers;
    /// all but the health checks get 403). See `http::same_user`.
    same_user_only: bool = true, Typed;
    /// test-connection probes in flight at once; more get 429.
    max_concurrent_probes: usize = 4, Typed;
    /// Extra `Host` header names accepted besides the loopback names.
    allowed_hosts: Vec<String> = Vec::new(), List;
    /// Extra `Origin`s accepted besides `http://localhost[:port]` and `http://127.0.0.1[:port]`.
    allowed_origins: Vec<String> = Vec::new(), List;
    /// How long in-flight requests may take to finish at shutdown.
    shutdown_grace_secs: u64 = 5, Typed;
}

/// How print-config shows a value of a setting's type.
trait Show {
    fn show(&self) -> serde_json::Value;
}

macro_rules! show_as_json {
    ($($t:ty),+) => {
        $(impl Show for $t {
            fn show(&self) -> serde_json::Value {
                serde_json::json!(self)
            }
        })+
    };
}
show_as_json!(String, u16, u32, u64, usize, bool, LogFormat, Vec<String>);

impl Show for PathBuf {
    fn show(&self) -> serde_json::Value {
        self.display().to_string().into()
    }
}

impl Show for SecretValue {
    fn show(&self) -> serde_json::Value {
        "[set]".into()
    }
}

impl<T: Show> Show for Option<T> {
    fn show(&self) -> serde_json::Value {
        self.as_ref().map_or(serde_json::Value::Null, Show::show)
    }
}

/// The declaration of `key`, if it is a setting.
fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// Values given as command-line flags; `None` means "not given".
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagOverrides {
    /// `--host`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `--port`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `--config-dir`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_dir: Option<PathBuf>,
    /// `--log`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// `--parent-pid`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_pid: Option<u32>,
}

/// Why the configuration could not be loaded. Displays as one line naming the
/// setting and its source; `main` prints it and exits with code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file given with `--config` (or found in the config folder) cannot be read or parsed.
    #[error("cannot read config file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O or TOML error.
        reason: String,
    },
    /// A setting has a value of the wrong type or out of range.
    #[error("invalid value for {key} (from {origin}): {reason}")]
    Invalid {
        /// The setting (TOML key).
        key: String,
        /// Where the value came from, e.g. "environment variable TASKFLOW_PORT".
        origin: String,
        /// What is wrong (never the value of a secret).
        reason: String,
    },
    /// The settings are individually valid but not together (e.g. remote bind without a token).
    #[error("{0}")]
    Policy(String),
}

/// The environment snapshot: only `TASKFLOW_*` (and `RUST_LOG`) matter.
pub type EnvVars = Vec<(String, String)>;

/// Provider for `TASKFLOW_*` variables taken from an explicit snapshot, so
/// tests and the binary use the same code without touching the process env.
struct EnvProvider {
    vars: EnvVars,
}

impl Provider for EnvProvider {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment").interpolater(|_: &Profile, keys: &[&str]| {
            format!("{ENV_PREFIX}{}", keys.join("_").to_ascii_uppercase())
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (name, value) in &self.vars {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            if key.is_empty() {
                continue;
            }
            let value = env_value(&key, value);
            dict.insert(key, value);
        }
        Ok(Profile::Default.collect(dict))
    }
}

/// Environment values are strings; [`Kind::List`] values are comma-separated
/// and [`Kind::Typed`] ones parsed (a value that does not parse stays a
/// string, and the type error then names the variable).
fn env_value(key: &str, raw: &str) -> figment::value::Value {
    use figment::value::Value;
    match setting(key).map(|s| s.kind) {
        Some(Kind::List) => {
            let items: Vec<Value> = raw
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::from(s.to_owned()))
                .collect();
            Value::from(items)
        }
        Some(Kind::Typed) => {
            let trimmed = raw.trim();
            if let Ok(n) = trimmed.parse::<u64>() {
                Value::from(n)
            } else if let Ok(b) = trimmed.parse::<bool>() {
                Value::from(b)
            } else {
                Value::from(raw.to_owned())
            }
        }
        _ => Value::from(raw.to_owned()),
    }
}

/// Gives a provider the name that print-config and errors show as the source.
struct Named<P> {
    name: String,
    inner: P,
}

impl<P: Provider> Provider for Named<P> {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.inner.data()
    }
}

impl Settings {
    /// Loads the layers. `config_file` is `--config`; `env` is the process
    /// environment (or a test's); `flags` are the command-line overrides.
    pub fn load(
        config_file: Option<&Path>,
        env: EnvVars,
        flags: &FlagOverrides,
    ) -> Result<(Self, Figment), ConfigError> {
        let env_provider = EnvProvider { vars: env };
        // The folder holding the optional taskflowd.toml is known before the
        // file is read: flag, else environment, else the platform default.
        let pre = Figment::new()
            .merge(Serialized::defaults(Settings::defaults_layer()))
            .merge(&env_provider)
            .merge(Serialized::defaults(flags));
        let config_dir: Option<PathBuf> = pre.extract_inner("config_dir").ok();

        let file = match config_file {
            Some(path) => Some(check_readable(path)?),
            None => default_file(config_dir.as_deref()),
        };

        let mut figment = Figment::new().merge(Serialized::defaults(Settings::defaults_layer()));
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            // Parse once here so that a syntax error names the file clearly.
            toml::from_str::<toml::Table>(&text).map_err(|e| ConfigError::File {
                path: path.clone(),
                reason: e.message().to_owned(),
            })?;
            figment = figment.merge(Named {
                name: path.display().to_string(),
                inner: Toml::string(&text),
            });
        }
        let figment = figment.merge(env_provider).merge(Named {
            name: "command line".to_owned(),
            inner: Serialized::defaults(flags),
        });
        let settings: Settings = figment.extract().map_err(|e| invalid(&figment, e))?;
        settings.validate()?;
        Ok((settings, figment))
    }

    /// Cross-field rules and ranges that serde cannot express.
    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, reason: &str| ConfigError::Invalid {
            key: key.to_owned(),
            origin: "configuration".to_owned(),
            reason: reason.to_owned(),
        };
        let ip = self.bind_ip().map_err(|r| bad("host", &r))?;
        if self.db_connect_timeout_secs == 0 {
            return Err(bad("db_connect_timeout_secs", "must be at least 1"));
        }
        if self.db_retry_backoff_base_ms == 0 {
            return Err(bad("db_retry_backoff_base_ms", "must be at least 1"));
        }
        if self.db_retry_backoff_cap_ms < self.db_retry_backoff_base_ms {
            return Err(bad(
                "db_retry_backoff_cap_ms",
                "must be at least db_retry_backoff_base_ms",
            ));
        }
        if self.db_migration_timeout_secs == 0 {
            return Err(bad("db_migration_timeout_secs", "must be at least 1"));
        }
        if self.db_pool_max == 0 {
            return Err(bad("db_pool_max", "must be at least 1"));
        }
        if self.db_ping_interval_ms < 10 {
            return Err(bad("db_ping_interval_ms", "must be at least 10"));
        }
        if self.log_max_bytes < policy::LOG_MIN_BYTES {
            return Err(bad(
                "log_max_bytes",
                &format!("must be at least {}", policy::LOG_MIN_BYTES),
            ));
        }
        if self.max_concurrent_probes == 0 {
            return Err(bad("max_concurrent_probes", "must be at least 1"));
        }
        if !ip.is_loopback() {
            let has_token = self.api_token.is_some() || self.api_token_file.is_some();
            if !self.allow_remote || !has_token {
                return Err(ConfigError::Policy(format!(
                    "refusing to listen on non-loopback address {ip}: set TASKFLOW_ALLOW_REMOTE=true and an API token (TASKFLOW_API_TOKEN or TASKFLOW_API_TOKEN_FILE) to allow remote access"
                )));
            }
        }
        Ok(())
    }

    /// The address to bind (`localhost` → 127.0.0.1).
    pub fn bind_ip(&self) -> Result<IpAddr, String> {
        if self.host.eq_ignore_ascii_case("localhost") {
            return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        self.host
            .trim_matches(|c| c == '[' || c == ']')
            .parse()
            .map_err(|_| "must be an IP address or `localhost`".to_owned())
    }

    /// The socket address to bind.
    pub fn bind_addr(&self) -> SocketAddr {
        SocketAddr::new(
            self.bind_ip().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            self.port,
        )
    }

    /// The config folder in force: the configured one, else the platform's.
    pub fn resolved_config_dir(&self) -> Option<PathBuf> {
        crate::security::config_dir::resolve(self.config_dir.as_deref()).ok()
    }

    /// Where `taskflowd.log` goes: `None` when `log_dir` is `none`, or when
    /// it is unset and the platform names no per-user folder (no home).
    pub fn log_file(&self) -> Option<PathBuf> {
        let dir = match &self.log_dir {
            Some(dir) if dir.as_os_str().eq_ignore_ascii_case("none") => return None,
            Some(dir) => dir.clone(),
            None => crate::platform::default_log_dir()?,
        };
        Some(dir.join(LOG_FILE_NAME))
    }

    /// `db_connect_timeout_secs` as a Duration.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.db_connect_timeout_secs)
    }

    /// The configured log filter, else `RUST_LOG` from `env`, else `info`.
    pub fn log_filter(&self, env: &EnvVars) -> String {
        self.log
            .clone()
            .or_else(|| {
                env.iter()
                    .find(|(k, _)| k == "RUST_LOG")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_else(|| "info".to_owned())
    }
}

fn check_readable(path: &Path) -> Result<PathBuf, ConfigError> {
    std::fs::metadata(path)
        .map_err(|e| ConfigError::File {
            path: path.to_owned(),
            reason: e.to_string(),
        })
        .map(|_| path.to_owned())
}

fn default_file(config_dir: Option<&Path>) -> Option<PathBuf> {
    let dir = crate::security::config_dir::resolve(config_dir).ok()?;
    let path = dir.join(CONFIG_FILE_NAME);
    path.is_file().then_some(path)
}

/// Turns figment's error into one line naming the key and its source.
fn invalid(figment: &Figment, err: figment::Error) -> ConfigError {
    let key = err.path.join(".");
    let source = err
        .metadata
        .as_ref()
        .map(|m| {
            let path: Vec<&str> = err.path.iter().map(String::as_str).collect();
            let name = m.interpolate(&Profile::Default, &path);
            if m.name == "environment" {
                format!("environment variable {name}")
            } else {
                m.name.to_string()
            }
        })
        .unwrap_or_else(|| {
            figment
                .find_metadata(&key)
                .map(|m| m.name.to_string())
                .unwrap_or_else(|| "configuration".to_owned())
        });
    let reason = if setting(&key).is_some_and(|s| s.kind == Kind::Secret) {
        "invalid value".to_owned()
    } else {
        err.kind.to_string()
    };
    ConfigError::Invalid {
        key,
        origin: source,
        reason,
    }
}

/// One line per setting: `key = value  (source)`. Secrets show as `[set]`.
pub fn describe(settings: &Settings, figment: &Figment) -> String {
    let mut out = String::new();
    for (key, value) in settings.shown() {
        let source = figment
            .find_metadata(key)
            .map(|m| {
                if m.name == "environment" {
                    let name = m.interpolate(&Profile::Default, &[key]);
                    format!("environment variable {name}")
                } else {
                    m.name.to_string()
                }
            })
            .unwrap_or_else(|| "built-in default (unset)".to_owned());
        let value = if value.is_null() {
            "(none)".to_owned()
        } else {
            value.to_string()
        };
        out.push_str(&format!("{key} = {value}  # {source}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvVars {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn load(
        file: Option<&Path>,
        e: &[(&str, &str)],
        flags: FlagOverrides,
    ) -> Result<Settings, ConfigError> {
        Settings::load(file, env(e), &flags).map(|(s, _)| s)
    }

    #[test]
    fn defaults_match_the_contract() {
        let dir = tempfile::tempdir().unwrap();
        let s = load(
            None,
            &[("TASKFLOW_CONFIG_DIR", dir.path().to_str().unwrap())],
            FlagOverrides::default(),
        )
        .unwrap();
        assert_eq!(s.host, "127.0.0.1");
        assert_eq!(s.port, 8000);
        assert_eq!(s.db_startup_retry_attempts, 3);
        assert_eq!(
            (s.db_retry_backoff_base_ms, s.db_retry_backoff_cap_ms),
            (250, 5000)
        );
        assert_eq!(s.db_connect_timeout_secs, 5);
        assert_eq!(s.db_ping_interval_ms, 2000);
        assert_eq!(s.log_format, LogFormat::Text);
        assert_eq!(s.max_concurrent_probes, 4);
        assert!(!s.allow_remote);
    }

    #[test]
    fn layers_file_then_env_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.toml");
        std::fs::write(
            &file,
            "port = 1111\ndb_ping_interval_ms = 700\nlog_format = \"json\"\n",
        )
        .unwrap();
        let s = load(Some(&file), &[], FlagOverrides::default()).unwrap();
        assert_eq!(
            (s.port, s.db_ping_interval_ms, s.log_format),
            (1111, 700, LogFormat::Json)
        );
        let s = load(
            Some(&file),
            &[("TASKFLOW_PORT", "2222")],
            FlagOverrides::default(),
        )
        .unwrap();
        assert_eq!(s.port, 2222);
        let flags = FlagOverrides {
            port: Some(3333),
            ..Default::default()
        };
        let s = load(Some(&file), &[("TASKFLOW_PORT", "2222")], flags).unwrap();
        assert_eq!(s.port, 3333);
    }

    #[test]
    fn config_dir_file_is_read_when_present() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            "db_startup_retry_attempts = 9\n",
        )
        .unwrap();
        let s = load(
            None,
            &[("TASKFLOW_CONFIG_DIR", dir.path().to_str().unwrap())],
            FlagOverrides::default(),
        )
        .unwrap();
        assert_eq!(s.db_startup_retry_attempts, 9);
    }

    #[test]
    fn invalid_env_value_names_the_variable() {
        let err = load(None, &[("TASKFLOW_PORT", "abc")], FlagOverrides::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("TASKFLOW_PORT"), "{msg}");
        assert!(msg.contains("port"), "{msg}");
        let err = load(
            None,
            &[("TASKFLOW_LOG_FORMAT", "xml")],
            FlagOverrides::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("TASKFLOW_LOG_FORMAT"), "{err}");
    }

    #[test]
    fn pool_max_defaults_to_one_and_must_be_at_least_one() {
        let s = load(None, &[], FlagOverrides::default()).unwrap();
        assert_eq!(s.db_pool_max, 1);
        let s = load(
            None,
            &[("TASKFLOW_DB_POOL_MAX", "4")],
            FlagOverrides::default(),
        )
        .unwrap();
        assert_eq!(s.db_pool_max, 4);
        let err = load(
            None,
            &[("TASKFLOW_DB_POOL_MAX", "0")],
            FlagOverrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("db_pool_max") && err.contains("at least 1"),
            "{err}"
        );
    }

    #[test]
    fn missing_or_broken_file_is_an_error_naming_it() {
        let err = load(
            Some(Path::new("/nonexistent/t.toml")),
            &[],
            FlagOverrides::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/t.toml"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "port = [").unwrap();
        assert!(matches!(
            load(Some(&file), &[], FlagOverrides::default()),
            Err(ConfigError::File { .. })
        ));
    }

    #[test]
    fn remote_bind_needs_opt_in_and_token() {
        let remote = ("TASKFLOW_HOST", "0.0.0.0");
        let opt_in = ("TASKFLOW_ALLOW_REMOTE", "true");
        let token = ("TASKFLOW_API_TOKEN", "t");
        for refused in [vec![remote], vec![remote, opt_in], vec![remote, token]] {
            assert!(
                matches!(
                    load(None, &refused, FlagOverrides::default()),
                    Err(ConfigError::Policy(_))
                ),
                "{refused:?}"
            );
        }
        assert!(load(None, &[remote, opt_in, token], FlagOverrides::default()).is_ok());
    }

    #[test]
    fn describe_hides_secrets_and_names_sources() {
        let (s, fig) = Settings::load(
            None,
            env(&[
                ("TASKFLOW_API_TOKEN", "sekret-token"),
                ("TASKFLOW_PORT", "9"),
            ]),
            &FlagOverrides::default(),
        )
        .unwrap();
        let text = describe(&s, &fig);
        assert!(!text.contains("sekret-token"));
        assert!(text.contains("api_token = \"[set]\""), "{text}");
        assert!(
            text.contains("port = 9  # environment variable TASKFLOW_PORT"),
            "{text}"
        );
        assert!(format!("{s:?}").contains("[redacted]"));
    }

    /// The documented file must load, state exactly the built-in defaults, and
    /// mention every setting once (set, or commented out when it has no
    /// default) and nothing else.
    #[test]
    fn shipped_config_file_lists_exactly_the_settings_with_their_defaults() {
        let file = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/config/taskflowd.toml"
        ));
        let (s, _) = Settings::load(Some(file), Vec::new(), &FlagOverrides::default()).unwrap();
        assert_eq!(s.shown(), Settings::default().shown());

        let text = std::fs::read_to_string(file).unwrap();
        let key_line = regex::Regex::new(r"^(?:# )?([a-z_]+) = ").unwrap();
        let mut documented: Vec<&str> = text
            .lines()
            .filter_map(|l| key_line.captures(l))
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        documented.sort_unstable();
        let mut declared: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
        declared.sort_unstable();
        assert_eq!(documented, declared, "config/taskflowd.toml vs settings!");
    }

    /// The README's configuration table names every setting's variable.
    #[test]
    fn readme_names_every_setting() {
        let readme = include_str!("../README.md");
        for s in SETTINGS {
            let env = s.env_name();
            assert!(
                readme.contains(&format!("| `{env}` |")),
                "README.md's configuration table does not document {env}"
            );
        }
    }

    /// Environment strings are parsed by kind: a typed setting's digits are a
    /// number, a text setting's digits stay a string.
    #[test]
    fn env_values_follow_the_declared_kind() {
        assert_eq!(
            env_value("port", " 8100 "),
            figment::value::Value::from(8100u64)
        );
        assert_eq!(
            env_value("allow_remote", "true"),
            figment::value::Value::from(true)
        );
        assert_eq!(
            env_value("api_token", "1234"),
            figment::value::Value::from("1234".to_owned())
        );
        assert_eq!(
            env_value("host", "1234"),
            figment::value::Value::from("1234".to_owned())
        );
    }

    #[test]
    fn lists_come_comma_separated_from_env() {
        let s = load(
            None,
            &[("TASKFLOW_ALLOWED_ORIGINS", "app://taskflow, http://x")],
            FlagOverrides::default(),
        )
        .unwrap();
        assert_eq!(s.allowed_origins, vec!["app://taskflow", "http://x"]);
    }
}
