//! `oci://` plugin references (issue #17): `oci://HOST[:PORT]/REPO[:TAG][@sha256:DIGEST]`, with the
//! distribution spec's grammar for repository names and tags. The client that pushes and pulls
//! Wasm OCI artifacts is still to come; this is the reference it will take.

use std::fmt;

/// A parsed `oci://` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `HOST` or `HOST:PORT`, as written.
    pub registry: String,
    /// The repository path, e.g. `acme/protoc-gen-go`.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:` and 64 lowercase hex digits.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `oci://HOST[:PORT]/REPO[:TAG][@sha256:DIGEST]`. A reference with neither tag nor
    /// digest means the tag `latest`, as with docker.
    pub fn parse(text: &str) -> Result<Reference, String> {
        let bad = |why: &str| format!("{text}: {why}");
        let rest = text
            .strip_prefix("oci://")
            .ok_or_else(|| bad("an OCI reference starts with oci://"))?;
        let (rest, digest) = match rest.split_once('@') {
            Some((r, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| bad("the digest must be sha256:<64 hex digits>"))?;
                if hex.len() != 64
                    || !hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return Err(bad("the digest must be sha256:<64 lowercase hex digits>"));
                }
                (r, Some(d.to_string()))
            }
            None => (rest, None),
        };
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("expected oci://HOST[:PORT]/REPOSITORY"))?;
        if registry.is_empty()
            || !registry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        {
            return Err(bad("the registry host is not a host name or host:port"));
        }
        // A tag follows the last ':' after the last '/'.
        let last = path.rsplit('/').next().unwrap_or(path);
        let (repository, tag) = match last.rsplit_once(':') {
            Some((_, tag)) => (&path[..path.len() - tag.len() - 1], Some(tag.to_string())),
            None => (path, None),
        };
        if repository.is_empty() || !repository.split('/').all(is_path_component) {
            return Err(bad(
                "the repository must be lowercase path components ([a-z0-9] joined by '.', '_', '__' or '-')",
            ));
        }
        if let Some(tag) = &tag {
            if !is_tag(tag) {
                return Err(bad(
                    "a tag is up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'",
                ));
            }
        }
        let tag = match (&tag, &digest) {
            (None, None) => Some("latest".to_string()),
            _ => tag,
        };
        Ok(Reference {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// Whether the registry is on loopback, where plain http is allowed without a flag.
    pub fn is_loopback(&self) -> bool {
        let host = match self.registry.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => self.registry.split(':').next().unwrap_or(""),
        };
        host == "localhost"
            || host == "::1"
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The same artifact pinned to `digest`, without the tag: what a registry entry records.
    pub fn pinned(&self, digest: &str) -> Reference {
        Reference {
            tag: None,
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci://{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or any number of `-` (the distribution spec).
fn is_path_component(c: &str) -> bool {
    let bytes = c.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-')) {
            return false;
        }
    }
    true
}

fn is_tag(t: &str) -> bool {
    let ok = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-';
    !t.is_empty() && t.len() <= 128 && !t.starts_with(['.', '-']) && t.bytes().all(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn references_parse_with_their_parts_and_print_back() {
        for (text, registry, repo, tag, digest) in [
            (
                "oci://ghcr.io/acme/protoc-gen-go:v1.36.5",
                "ghcr.io",
                "acme/protoc-gen-go",
                Some("v1.36.5"),
                None,
            ),
            (
                "oci://127.0.0.1:5000/plugins/go",
                "127.0.0.1:5000",
                "plugins/go",
                Some("latest"),
                None,
            ),
            (
                &format!("oci://localhost:5000/a/b@{D}"),
                "localhost:5000",
                "a/b",
                None,
                Some(D),
            ),
            (
                &format!("oci://r.example/a__b/c-d:t@{D}"),
                "r.example",
                "a__b/c-d",
                Some("t"),
                Some(D),
            ),
        ] {
            let r = Reference::parse(text).unwrap();
            assert_eq!(
                (
                    r.registry.as_str(),
                    r.repository.as_str(),
                    r.tag.as_deref(),
                    r.digest.as_deref()
                ),
                (registry, repo, tag, digest),
                "{text}"
            );
            if !text.ends_with("/plugins/go") {
                assert_eq!(r.to_string(), text);
            }
        }
    }

    #[test]
    fn bad_references_are_refused_naming_what_is_wrong() {
        for (text, why) in [
            ("https://ghcr.io/a/b", "starts with oci://"),
            ("oci://ghcr.io", "expected oci://HOST[:PORT]/REPOSITORY"),
            ("oci://ghcr.io/Acme/b", "lowercase path components"),
            ("oci://ghcr.io/a//b", "lowercase path components"),
            ("oci://ghcr.io/a/b:-x", "a tag is up to 128"),
            ("oci://ghcr.io/a/b@sha256:abc", "64 lowercase hex"),
            ("oci://ghcr.io/a/b@md5:abc", "sha256:"),
        ] {
            let e = Reference::parse(text).unwrap_err();
            assert!(e.starts_with(text) && e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn loopback_registries_and_pins() {
        assert!(Reference::parse("oci://127.0.0.1:5000/a")
            .unwrap()
            .is_loopback());
        assert!(Reference::parse("oci://localhost/a").unwrap().is_loopback());
        assert!(Reference::parse("oci://[::1]:5000/a")
            .unwrap()
            .is_loopback());
        assert!(!Reference::parse("oci://ghcr.io/a").unwrap().is_loopback());
        let r = Reference::parse("oci://ghcr.io/a/b:v1").unwrap();
        assert_eq!(r.pinned(D).to_string(), format!("oci://ghcr.io/a/b@{D}"));
    }
}
