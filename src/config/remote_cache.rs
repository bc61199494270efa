//! What configures the remote cache: the command line's `--remote-cache*` flags over the
//! `PROTOWASM_REMOTE_CACHE*` environment, resolved once into the cache's [`RemoteSettings`].
//!
//! Credentials come only from the environment, never from a flag or the URL: a command line shows
//! in process lists and CI logs.

use std::time::Duration;

pub use crate::cache::RemoteSettings;
use crate::plugins::parse_duration;

/// A request that takes longer is abandoned, and the run goes on with the local cache alone.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The flags as typed (protoc mode and `generate` share them). `None` leaves the environment's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteFlags {
    /// `--remote-cache=URL`; an empty URL turns off one the environment sets.
    pub url: Option<String>,
    /// `--remote-cache-read-only`
    pub read_only: bool,
    /// `--remote-cache-modules`
    pub modules: bool,
    /// `--remote-cache-timeout=DURATION`
    pub timeout: Option<Duration>,
}

pub const ENV_URL: &str = "PROTOWASM_REMOTE_CACHE";
pub const ENV_READ_ONLY: &str = "PROTOWASM_REMOTE_CACHE_READ_ONLY";
pub const ENV_MODULES: &str = "PROTOWASM_REMOTE_CACHE_MODULES";
pub const ENV_TIMEOUT: &str = "PROTOWASM_REMOTE_CACHE_TIMEOUT";
pub const ENV_TOKEN: &str = "PROTOWASM_REMOTE_CACHE_TOKEN";
pub const ENV_USER: &str = "PROTOWASM_REMOTE_CACHE_USER";
pub const ENV_PASSWORD: &str = "PROTOWASM_REMOTE_CACHE_PASSWORD";
pub const ENV_PLAIN_HTTP: &str = "PROTOWASM_REMOTE_CACHE_PLAIN_HTTP";

impl RemoteFlags {
    /// The settings these flags and the process environment give; `None` if no remote cache is
    /// set.
    pub fn resolve(&self) -> Result<Option<RemoteSettings>, String> {
        self.resolve_with(|name| std::env::var(name).ok())
    }

    /// As [`RemoteFlags::resolve`], with the environment given (for tests).
    pub fn resolve_with(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<RemoteSettings>, String> {
        let flags = self;
        let (url, origin) = match &flags.url {
            Some(url) => (url.clone(), "--remote-cache"),
            None => (env(ENV_URL).unwrap_or_default(), ENV_URL),
        };
        if url.is_empty() {
            return Ok(None);
        }
        let base = parse_base(&url, &env(ENV_PLAIN_HTTP).unwrap_or_default())
            .map_err(|why| format!("{origin}={}: {why}", redacted(&url)))?;
        let timeout = match (flags.timeout, env(ENV_TIMEOUT)) {
            (Some(timeout), _) => timeout,
            (None, Some(text)) if !text.is_empty() => parse_duration(ENV_TIMEOUT, &text)?,
            _ => DEFAULT_TIMEOUT,
        };
        Ok(Some(RemoteSettings {
            base,
            read_only: flags.read_only || env_flag(&env, ENV_READ_ONLY)?,
            modules: flags.modules || env_flag(&env, ENV_MODULES)?,
            timeout,
            authorization: authorization(&env)?,
        }))
    }
}

/// `http(s)://host[:port][/instance/prefix]`, checked, as the base of request URLs.
fn parse_base(url: &str, plain_http_hosts: &str) -> Result<String, String> {
    let uri: ureq::http::Uri = url.parse().map_err(|e| format!("not a URL ({e})"))?;
    let scheme = uri.scheme_str().unwrap_or_default();
    if scheme != "http" && scheme != "https" {
        return Err(match scheme {
            "grpc" | "grpcs" => "protowasm speaks Bazel's HTTP cache protocol, not gRPC: give the server's http:// or https:// address".into(),
            _ => "the remote cache's URL must start with https:// (or http:// on loopback)".into(),
        });
    }
    let Some(authority) = uri.authority() else {
        return Err("the URL has no host".into());
    };
    if authority.as_str().contains('@') {
        return Err(format!(
            "credentials in the URL are refused, since a command line shows in process lists and logs; set {ENV_USER} and {ENV_PASSWORD}, or {ENV_TOKEN}"
        ));
    }
    if uri.query().is_some() || url.contains('#') {
        return Err("the URL may have a path (the instance name) but no query or fragment".into());
    }
    if scheme == "http" && !super::plain_http_allowed(authority.as_str(), plain_http_hosts) {
        return Err(format!(
            "plain http is used only on loopback; use https://, or name {} in {ENV_PLAIN_HTTP} on a network you trust",
            authority.as_str()
        ));
    }
    let path = uri.path().trim_end_matches('/');
    Ok(format!("{scheme}://{}{path}", authority.as_str()))
}

/// The URL with any `user:password@` shown as `***@`, for messages.
fn redacted(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_string(),
    }
}

fn env_flag(env: &impl Fn(&str) -> Option<String>, name: &str) -> Result<bool, String> {
    match env(name).as_deref().map(str::trim) {
        None | Some("" | "0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => Err(format!("{name}={other}: expected 1 or 0 (true or false)")),
    }
}

/// Bearer from `$PROTOWASM_REMOTE_CACHE_TOKEN`, or Basic from the user and password variables.
fn authorization(env: &impl Fn(&str) -> Option<String>) -> Result<Option<String>, String> {
    use base64::Engine as _;
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    match (set(ENV_TOKEN), set(ENV_USER), set(ENV_PASSWORD)) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(format!(
            "{ENV_TOKEN} and {ENV_USER}/{ENV_PASSWORD} are both set: set one kind of credentials"
        )),
        (Some(token), None, None) => Ok(Some(format!("Bearer {}", token.trim()))),
        (None, Some(user), password) => {
            let pair = format!("{user}:{}", password.unwrap_or_default());
            Ok(Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )))
        }
        (None, None, Some(_)) => Err(format!("{ENV_PASSWORD} is set without {ENV_USER}")),
        (None, None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(
        flags: &RemoteFlags,
        env: &[(&str, &str)],
    ) -> Result<Option<RemoteSettings>, String> {
        flags.resolve_with(|name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    fn url(url: &str) -> RemoteFlags {
        RemoteFlags {
            url: Some(url.into()),
            ..RemoteFlags::default()
        }
    }

    #[test]
    fn the_flag_wins_over_the_environment_and_an_empty_flag_turns_it_off() {
        let env = [(ENV_URL, "https://cache.example.com/ci")];
        let from_env = resolve(&RemoteFlags::default(), &env).unwrap().unwrap();
        assert_eq!(from_env.base, "https://cache.example.com/ci");
        assert_eq!(from_env.timeout, DEFAULT_TIMEOUT);
        assert!(!from_env.read_only && !from_env.modules);
        let flag = resolve(&url("http://127.0.0.1:9090/"), &env)
            .unwrap()
            .unwrap();
        assert_eq!(flag.base, "http://127.0.0.1:9090");
        assert_eq!(resolve(&url(""), &env).unwrap(), None);
        assert_eq!(resolve(&RemoteFlags::default(), &[]).unwrap(), None);
    }

    #[test]
    fn bad_urls_are_refused_naming_where_they_came_from() {
        let cases = [
            ("grpc://cache:9092", "not gRPC"),
            ("ftp://cache", "must start with https://"),
            (
                "https://user:secret@cache.example.com",
                "credentials in the URL are refused",
            ),
            (
                "http://cache.example.com:8080",
                "plain http is used only on loopback",
            ),
            ("https://cache.example.com/?x=1", "no query"),
            ("https://", "not a URL"),
        ];
        for (text, why) in cases {
            let err = resolve(&url(text), &[]).unwrap_err();
            assert!(
                err.starts_with(&format!("--remote-cache={}: ", redacted(text))),
                "{err}"
            );
            assert!(err.contains(why), "{text}: {err}");
            assert!(!err.contains("secret"), "the password is not shown: {err}");
        }
        let err = resolve(&RemoteFlags::default(), &[(ENV_URL, "grpc://x")]).unwrap_err();
        assert!(
            err.starts_with("PROTOWASM_REMOTE_CACHE=grpc://x: "),
            "{err}"
        );
    }

    #[test]
    fn credentials_in_a_url_are_not_repeated() {
        assert_eq!(redacted("https://u:p@h/x@y"), "https://***@h/x@y");
        assert_eq!(redacted("https://h/a"), "https://h/a");
    }

    #[test]
    fn plain_http_on_loopback_or_on_the_hosts_named() {
        for ok in [
            "http://localhost:8080",
            "http://127.0.0.2/x",
            "http://[::1]:80",
        ] {
            assert!(resolve(&url(ok), &[]).is_ok(), "{ok}");
        }
        let env = [(ENV_PLAIN_HTTP, "a.lan:1, cache.lan:8080")];
        assert!(resolve(&url("http://cache.lan:8080/i"), &env).is_ok());
        assert!(resolve(&url("http://cache.lan:8081"), &env).is_err());
    }

    #[test]
    fn credentials_and_switches_come_from_the_environment() {
        let bearer = resolve(&url("https://c"), &[(ENV_TOKEN, "t0k\n")])
            .unwrap()
            .unwrap();
        assert_eq!(bearer.authorization.as_deref(), Some("Bearer t0k"));
        let basic = resolve(&url("https://c"), &[(ENV_USER, "ci"), (ENV_PASSWORD, "pw")])
            .unwrap()
            .unwrap();
        assert_eq!(basic.authorization.as_deref(), Some("Basic Y2k6cHc="));
        assert!(
            !format!("{basic:?}").contains("Y2k6cHc"),
            "Debug shows no credentials"
        );
        assert!(resolve(&url("https://c"), &[(ENV_TOKEN, "t"), (ENV_USER, "u")]).is_err());
        assert!(resolve(&url("https://c"), &[(ENV_PASSWORD, "p")]).is_err());

        let env = [
            (ENV_READ_ONLY, "1"),
            (ENV_MODULES, "true"),
            (ENV_TIMEOUT, "250ms"),
        ];
        let s = resolve(&url("https://c"), &env).unwrap().unwrap();
        assert!(s.read_only && s.modules);
        assert_eq!(s.timeout, Duration::from_millis(250));
        let err = resolve(&url("https://c"), &[(ENV_READ_ONLY, "maybe")]).unwrap_err();
        assert!(
            err.contains("PROTOWASM_REMOTE_CACHE_READ_ONLY=maybe"),
            "{err}"
        );
        // The flag (parsed by the front-end) wins over the environment's, which is checked.
        let flags = RemoteFlags {
            timeout: Some(Duration::from_secs(3)),
            ..url("https://c")
        };
        let s = resolve(&flags, &env).unwrap().unwrap();
        assert_eq!(s.timeout, Duration::from_secs(3));
        let err = resolve(&url("https://c"), &[(ENV_TIMEOUT, "0s")]).unwrap_err();
        assert!(
            err.starts_with("PROTOWASM_REMOTE_CACHE_TIMEOUT: invalid duration \"0s\""),
            "{err}"
        );
    }
}
