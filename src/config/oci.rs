//! Wasm plugins as OCI artifacts (issue #17): `oci://HOST[:PORT]/REPO[:TAG][@sha256:DIGEST]`
//! references, with the distribution spec's grammar, and a small synchronous client on ureq that
//! pushes and pulls the CNCF TAG-Runtime layout: an OCI image manifest, a
//! `application/vnd.wasm.config.v0+json` config, one `application/wasm` layer.
//!
//! Every pull is checked: the manifest against the digest asked for (and the registry's
//! `Docker-Content-Digest`), the layer against the manifest's digest and size. Auth: anonymous,
//! the bearer-token challenge (ghcr.io, Docker Hub), and Basic credentials (docker's config).
//! Plain http only for loopback registries and those `$PROTOWASM_OCI_PLAIN_HTTP` names.

use std::fmt;
use std::io::Read;
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

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
        super::is_loopback(&self.registry)
    }

    /// The same artifact pinned to `digest`: what a registry entry records. The tag stays, to
    /// say where the digest came from (`plugin update` resolves it again); a pull with a digest
    /// asks for the digest only.
    pub fn pinned(&self, digest: &str) -> Reference {
        Reference {
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }

    /// The reference without its digest: the tag, to resolve again.
    pub fn unpinned(&self) -> Reference {
        Reference {
            digest: None,
            tag: Some(self.tag.clone().unwrap_or_else(|| "latest".to_string())),
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

/// The annotations `plugin push` writes and `plugin add` reads: the plugin's name, version, and
/// the buf remote plugins it serves (comma-separated).
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";
pub const VERSION_ANNOTATION: &str = "org.opencontainers.image.version";
pub const SERVES_ANNOTATION: &str = "dev.protowasm.serves";

pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
pub const LAYER_MEDIA_TYPE: &str = "application/wasm";
/// Layer media types older tools still push (oci-client and Spin; Trivy and older wasmCloud).
pub const OLDER_LAYER_MEDIA_TYPES: &[&str] = &[
    "application/vnd.wasm.content.layer.v1+wasm",
    "application/vnd.module.wasm.content.layer.v1+wasm",
];
/// The default cap on a wasm layer; `$PROTOWASM_OCI_MAX_LAYER` (a size: `64MiB`) changes it.
const LAYER_LIMIT: u64 = 512 << 20;

fn layer_limit() -> u64 {
    let Ok(value) = std::env::var("PROTOWASM_OCI_MAX_LAYER") else {
        return LAYER_LIMIT;
    };
    crate::plugins::parse_size("PROTOWASM_OCI_MAX_LAYER", &value).unwrap_or_else(|e| {
        tracing::warn!("{e}; the default, 512 MiB, applies");
        LAYER_LIMIT
    })
}

/// The largest manifest read.
const MANIFEST_LIMIT: u64 = 4 << 20;

/// Who the client is to the registry.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub basic: Option<(String, String)>,
}

impl Credentials {
    /// What docker would use for `registry` (`HOST[:PORT]`): `~/.docker/config.json` (or
    /// `$DOCKER_CONFIG/config.json`), its `auths` or a credential helper. None: anonymous.
    pub fn for_registry(registry: &str) -> Credentials {
        // Docker Hub's credentials are stored under its index URL.
        let server = match registry {
            "docker.io" | "registry-1.docker.io" => "https://index.docker.io/v1/",
            other => other,
        };
        let basic = match docker_credential::get_credential(server) {
            Ok(docker_credential::DockerCredential::UsernamePassword(user, password)) => {
                Some((user, password))
            }
            // An identity token is a refresh token for the token service: sent as the password
            // of the user "<token>", as docker does.
            Ok(docker_credential::DockerCredential::IdentityToken(token)) => {
                Some(("<token>".to_string(), token))
            }
            Err(_) => None,
        };
        Credentials { basic }
    }
}

/// What a pull brings back.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    /// `sha256:...` of the manifest's bytes.
    pub manifest_digest: String,
    pub annotations: std::collections::BTreeMap<String, String>,
    pub module: Vec<u8>,
}

pub struct Client {
    agent: ureq::Agent,
    credentials: Credentials,
    /// A bearer token from a challenge, reused for the client's later requests.
    token: std::sync::Mutex<Option<String>>,
    /// The cap on a layer's size.
    pub layer_limit: u64,
}

/// A response's status, headers we use, and body.
struct Reply {
    status: u16,
    header: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn get(&self, name: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Client {
    pub fn new(credentials: Credentials) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(600)))
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            agent,
            credentials,
            token: std::sync::Mutex::new(None),
            layer_limit: layer_limit(),
        }
    }

    /// `http` for loopback registries and those `$PROTOWASM_OCI_PLAIN_HTTP` names (a comma-separated
    /// list of `HOST[:PORT]`), else `https`.
    fn base(r: &Reference) -> String {
        let listed = std::env::var("PROTOWASM_OCI_PLAIN_HTTP").unwrap_or_default();
        let scheme = if super::plain_http_allowed(&r.registry, &listed) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{}/v2/{}", r.registry, r.repository)
    }

    /// The client docker's credentials for `registry` make.
    pub fn for_registry(registry: &str) -> Client {
        Client::new(Credentials::for_registry(registry))
    }

    /// One request, with the bearer token or else the Basic credentials. A 401 with a bearer
    /// challenge gets a token from its realm and one retry; any other 401 is the answer (Basic
    /// credentials, if any, went with the first request).
    fn send(
        &self,
        r: &Reference,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        limit: u64,
    ) -> Result<Reply, String> {
        let request = || {
            let auth = self.authorization();
            self.once(method, url, headers, auth.as_deref(), body, limit)
                .map_err(|e| format!("{r}: {e}"))
        };
        let reply = request()?;
        let challenge = match reply.status {
            401 => reply.get("www-authenticate").unwrap_or(""),
            _ => return Ok(reply),
        };
        let Some(params) = challenge.strip_prefix("Bearer ") else {
            return Ok(reply);
        };
        let token = self.token_for(r, params)?;
        *self.token.lock().unwrap() = Some(token);
        request()
    }

    fn authorization(&self) -> Option<String> {
        match self.token.lock().unwrap().clone() {
            Some(token) => Some(format!("Bearer {token}")),
            None => self.basic(),
        }
    }

    /// The Basic `Authorization` value of the credentials, if there are any.
    fn basic(&self) -> Option<String> {
        self.credentials.basic.as_ref().map(|(user, password)| {
            let pair =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Basic {pair}")
        })
    }

    fn once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        auth: Option<&str>,
        body: Option<&[u8]>,
        limit: u64,
    ) -> Result<Reply, String> {
        let mut request = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let request = request
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let response = self.agent.run(request).map_err(|e| match e {
            ureq::Error::Io(io) => format!("the registry is unreachable: {io}"),
            e => e.to_string(),
        })?;
        let status = response.status().as_u16();
        let header = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let mut bytes = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading the response of {method} {url}: {e}"))?;
        if bytes.len() as u64 > limit {
            return Err(format!(
                "{method} {url}: the response is over the {limit}-byte limit"
            ));
        }
        Ok(Reply {
            status,
            header,
            body: bytes,
        })
    }

    /// A bearer token from the challenge's realm, with the credentials if any.
    fn token_for(&self, r: &Reference, params: &str) -> Result<String, String> {
        let field = |name: &str| {
            params.split(',').find_map(|kv| {
                let (k, v) = kv.trim().split_once('=')?;
                (k == name).then(|| v.trim_matches('"').to_string())
            })
        };
        let realm =
            field("realm").ok_or_else(|| format!("{r}: a bearer challenge without a realm"))?;
        let mut url = realm.clone();
        let mut sep = if realm.contains('?') { '&' } else { '?' };
        for name in ["service", "scope"] {
            if let Some(v) = field(name) {
                url.push_str(&format!("{sep}{name}={v}"));
                sep = '&';
            }
        }
        let reply = self
            .once(
                "GET",
                &url,
                &[],
                self.basic().as_deref(),
                None,
                MANIFEST_LIMIT,
            )
            .map_err(|e| format!("{r}: getting a token: {e}"))?;
        if reply.status != 200 {
            return Err(format!("{r}: the token service answered {}", reply.status));
        }
        let json: serde_json::Value = serde_json::from_slice(&reply.body)
            .map_err(|e| format!("{r}: the token service's answer is not JSON: {e}"))?;
        json.get("token")
            .or_else(|| json.get("access_token"))
            .and_then(|t| t.as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("{r}: the token service gave no token"))
    }

    /// Pulls `r`: the manifest (by tag or digest), then its one wasm layer, each checked.
    pub fn pull(&self, r: &Reference) -> Result<Pulled, String> {
        let base = Client::base(r);
        let wanted = r.digest.as_deref().or(r.tag.as_deref()).unwrap_or("latest");
        let accept =
            format!("{MANIFEST_MEDIA_TYPE}, application/vnd.docker.distribution.manifest.v2+json");
        let reply = self.send(
            r,
            "GET",
            &format!("{base}/manifests/{wanted}"),
            &[("Accept", &accept)],
            None,
            MANIFEST_LIMIT,
        )?;
        status_ok(r, &reply, "the manifest")?;
        let manifest_digest = sha256_digest(&reply.body);
        if let Some(digest) = &r.digest {
            if *digest != manifest_digest {
                return Err(format!(
                    "{r}: the manifest's digest is {manifest_digest}, not the {digest} asked for"
                ));
            }
        }
        if let Some(said) = reply.get("docker-content-digest") {
            if said != manifest_digest {
                return Err(format!("{r}: the registry says the manifest is {said}, but its bytes are {manifest_digest}"));
            }
        }
        let manifest: serde_json::Value = serde_json::from_slice(&reply.body)
            .map_err(|e| format!("{r}: the manifest is not JSON: {e}"))?;
        let layers: Vec<&serde_json::Value> = manifest
            .get("layers")
            .and_then(|l| l.as_array())
            .map(|l| {
                l.iter()
                    .filter(|layer| {
                        layer
                            .get("mediaType")
                            .and_then(|m| m.as_str())
                            .is_some_and(|m| {
                                m == LAYER_MEDIA_TYPE || OLDER_LAYER_MEDIA_TYPES.contains(&m)
                            })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let layer = match layers.as_slice() {
            [one] => *one,
            [] => {
                return Err(format!(
                    "{r}: the manifest has no wasm layer ({LAYER_MEDIA_TYPE})"
                ))
            }
            _ => {
                return Err(format!(
                    "{r}: the manifest has {} wasm layers; a plugin is one",
                    layers.len()
                ))
            }
        };
        let digest = layer.get("digest").and_then(|d| d.as_str()).unwrap_or("");
        let size = layer.get("size").and_then(|s| s.as_u64()).unwrap_or(0);
        if !digest.starts_with("sha256:") {
            return Err(format!(
                "{r}: the wasm layer's digest {digest:?} is not sha256"
            ));
        }
        if size > self.layer_limit {
            return Err(format!(
                "{r}: the wasm layer is {size} bytes, over the {}-byte limit",
                self.layer_limit
            ));
        }
        let reply = self.send(
            r,
            "GET",
            &format!("{base}/blobs/{digest}"),
            &[],
            None,
            self.layer_limit,
        )?;
        status_ok(r, &reply, "the wasm layer")?;
        if reply.body.len() as u64 != size {
            return Err(format!(
                "{r}: the wasm layer is {} bytes, not the {size} its manifest says (truncated?)",
                reply.body.len()
            ));
        }
        let got = sha256_digest(&reply.body);
        if got != digest {
            return Err(format!(
                "{r}: the wasm layer's bytes are {got}, not the {digest} its manifest says"
            ));
        }
        let annotations = manifest
            .get("annotations")
            .and_then(|a| a.as_object())
            .map(|a| {
                a.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Pulled {
            manifest_digest,
            annotations,
            module: reply.body,
        })
    }

    /// Pushes `module` as `r` (its tag, else its digest form is refused: a push names a tag),
    /// with `annotations`; returns the manifest's digest.
    pub fn push(
        &self,
        r: &Reference,
        module: &[u8],
        annotations: &std::collections::BTreeMap<String, String>,
        created: &str,
    ) -> Result<String, String> {
        let tag = r
            .tag
            .as_deref()
            .filter(|_| r.digest.is_none())
            .ok_or_else(|| format!("{r}: push to a tag (oci://HOST/REPO:TAG), not a digest"))?;
        let layer_digest = sha256_digest(module);
        let config = serde_json::json!({
            "created": created,
            "architecture": "wasm",
            "os": "wasip1",
            "layerDigests": [layer_digest],
        });
        let config = serde_json::to_vec(&config).expect("a JSON value serializes");
        self.upload(r, module)?;
        self.upload(r, &config)?;
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": sha256_digest(&config), "size": config.len()},
            "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": layer_digest, "size": module.len()}],
            "annotations": annotations,
        });
        let manifest = serde_json::to_vec(&manifest).expect("a JSON value serializes");
        let url = format!("{}/manifests/{tag}", Client::base(r));
        let reply = self.send(
            r,
            "PUT",
            &url,
            &[("Content-Type", MANIFEST_MEDIA_TYPE)],
            Some(&manifest),
            MANIFEST_LIMIT,
        )?;
        status_ok(r, &reply, "pushing the manifest")?;
        Ok(sha256_digest(&manifest))
    }

    /// A blob, unless the registry has it: a monolithic upload (POST, then PUT with the digest).
    fn upload(&self, r: &Reference, blob: &[u8]) -> Result<(), String> {
        let base = Client::base(r);
        let digest = sha256_digest(blob);
        let head = self.send(r, "HEAD", &format!("{base}/blobs/{digest}"), &[], None, 0)?;
        if head.status == 200 {
            return Ok(());
        }
        let start = self.send(
            r,
            "POST",
            &format!("{base}/blobs/uploads/"),
            &[],
            None,
            MANIFEST_LIMIT,
        )?;
        status_ok(r, &start, "starting an upload")?;
        let location = start
            .get("location")
            .ok_or_else(|| format!("{r}: the registry gave no upload location"))?;
        let location = if location.starts_with('/') {
            let scheme_host = base.split("/v2/").next().unwrap_or(&base);
            format!("{scheme_host}{location}")
        } else {
            location.to_string()
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = self.send(
            r,
            "PUT",
            &format!("{location}{sep}digest={digest}"),
            &[("Content-Type", "application/octet-stream")],
            Some(blob),
            MANIFEST_LIMIT,
        )?;
        status_ok(r, &put, "uploading a blob")
    }
}

fn status_ok(r: &Reference, reply: &Reply, what: &str) -> Result<(), String> {
    match reply.status {
        200..=299 => Ok(()),
        401 => Err(format!("{r}: {what}: 401 Unauthorized (give credentials)")),
        403 => Err(format!("{r}: {what}: 403 Forbidden")),
        404 => Err(format!(
            "{r}: {what}: 404 Not Found (no such repository, tag or blob)"
        )),
        s => Err(format!("{r}: {what}: the registry answered {s}")),
    }
}

/// `sha256:` and the hex digest of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
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
    fn plain_http_only_for_loopback_or_the_hosts_named() {
        let base = |text: &str| Client::base(&Reference::parse(text).unwrap());
        assert_eq!(base("oci://127.0.0.1:5000/a"), "http://127.0.0.1:5000/v2/a");
        assert_eq!(base("oci://reg.lan:5000/a"), "https://reg.lan:5000/v2/a");
        // SAFETY: no other test reads or writes this variable.
        unsafe { std::env::set_var("PROTOWASM_OCI_PLAIN_HTTP", "other:1, reg.lan:5000") };
        assert_eq!(base("oci://reg.lan:5000/a"), "http://reg.lan:5000/v2/a");
        assert_eq!(base("oci://reg.lan/a"), "https://reg.lan/v2/a");
        unsafe { std::env::remove_var("PROTOWASM_OCI_PLAIN_HTTP") };
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
        assert_eq!(r.pinned(D).to_string(), format!("oci://ghcr.io/a/b:v1@{D}"));
        assert_eq!(r.pinned(D).unpinned(), r);
    }
}
