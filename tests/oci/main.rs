//! The OCI client (`protowasm::config::oci`) against a real registry: Debian's distribution server
//! (testdata/oci-registry.sh), started on a loopback port by the test. Push, pull by tag and by
//! digest, a moved tag, and the faults a pull must refuse.

#[path = "../it/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "../common/loopback.rs"]
mod loopback;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use loopback::{on_loopback, tunnelling_proxy};
use protowasm::config::oci::{sha256_digest, Client, Credentials, Reference};
use support::*;

/// A registry on loopback, stopped when dropped.
struct Registry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        Registry::start_with(None)
    }

    /// With `user` (name, password), the registry requires Basic auth.
    fn start_with(user: Option<(&str, &str)>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let script = repo().join("testdata/oci-registry.sh");
        let mut auth = Vec::new();
        if let Some((name, password)) = user {
            let file = dir.path().join("htpasswd");
            let status = Command::new("bash")
                .arg(&script)
                .args(["htpasswd", file.to_str().unwrap(), name, password])
                .stdin(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "oci-registry.sh htpasswd failed");
            auth.push(file.to_str().unwrap().to_string());
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("bash")
            .arg(&script)
            .args(["serve", dir.path().to_str().unwrap(), &port.to_string()])
            .args(&auth)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // The server logs every 404 (a HEAD before each upload) at level error.
            .stderr(Stdio::null())
            .spawn()
            .expect("running testdata/oci-registry.sh");
        let deadline = Instant::now() + Duration::from_secs(120);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the registry did not start on port {port} (testdata/oci-registry.sh fetches Debian's docker-registry with apt-get)"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry { child, port, dir }
    }

    fn reference(&self, rest: &str) -> Reference {
        Reference::parse(&format!("oci://127.0.0.1:{}/{rest}", self.port)).unwrap()
    }

    /// Where the server keeps blob `digest` (`sha256:...`).
    fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // bash exec'd the server, so this is the server's pid.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn module(name: &str) -> Vec<u8> {
    std::fs::read(wasm_plugin(name)).unwrap()
}

/// Pushes the prost plugin as `reference`, anonymously.
fn push_prost(reference: &Reference) -> String {
    Client::new(Credentials::default())
        .push(
            reference,
            &module("prost"),
            &annotations("prost"),
            "2026-12-02T00:00:00Z",
        )
        .unwrap()
}

/// `protowasm ARGS` in `cwd` with the shared cache, no registry from the environment, and `env`.
fn protowasm_with(cwd: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_protowasm"));
    command
        .args(args)
        .current_dir(cwd)
        .env("PROTOWASM_CACHE_DIR", shared_cache())
        .env_remove("PROTOWASM_REGISTRY")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    Run::from(command.output().unwrap())
}

fn annotations(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(
        "org.opencontainers.image.title".to_string(),
        name.to_string(),
    )])
}

#[test]
fn a_pushed_plugin_pulls_back_by_tag_and_by_digest_and_a_moved_tag_leaves_the_digest() {
    let registry = Registry::start();
    let client = Client::new(Credentials::default());
    let prost = module("prost");
    let tagged = registry.reference("plugins/prost:0.5.0");
    let digest = client
        .push(
            &tagged,
            &prost,
            &annotations("prost"),
            "2026-12-02T00:00:00Z",
        )
        .unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );

    let pulled = client.pull(&tagged).unwrap();
    assert_eq!(pulled.manifest_digest, digest);
    assert_eq!(pulled.module, prost);
    assert_eq!(pulled.annotations, annotations("prost"));
    let pinned = tagged.pinned(&digest);
    assert_eq!(client.pull(&pinned).unwrap().module, prost);

    // The tag moves to another module: the digest still names the first.
    let testplug = module("testplug");
    let moved = client
        .push(
            &tagged,
            &testplug,
            &annotations("testplug"),
            "2026-12-02T00:00:01Z",
        )
        .unwrap();
    assert_ne!(moved, digest);
    assert_eq!(client.pull(&tagged).unwrap().module, testplug);
    assert_eq!(client.pull(&pinned).unwrap().module, prost);
}

#[test]
fn pulls_refuse_a_tampered_layer_a_missing_tag_and_a_wrong_digest() {
    let registry = Registry::start();
    let client = Client::new(Credentials::default());
    let prost = module("prost");
    let tagged = registry.reference("plugins/prost:v1");
    client
        .push(
            &tagged,
            &prost,
            &annotations("prost"),
            "2026-12-02T00:00:00Z",
        )
        .unwrap();

    let missing = registry.reference("plugins/prost:nope");
    let e = client.pull(&missing).unwrap_err();
    assert!(
        e.starts_with(&missing.to_string()) && e.contains("404"),
        "{e}"
    );

    let wrong = tagged.pinned(&sha256_digest(b"not the manifest"));
    let e = client.pull(&wrong).unwrap_err();
    assert!(e.contains("404") || e.contains("not the"), "{e}");

    // Flip a byte of the stored layer: the server serves it, the client refuses it.
    let blob = registry.blob_path(&sha256_digest(&prost));
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&blob, &bytes).unwrap();
    let e = client.pull(&tagged).unwrap_err();
    assert!(
        e.contains("the wasm layer's bytes are") && e.contains("not the"),
        "{e}"
    );

    let unreachable = Reference::parse("oci://127.0.0.1:1/plugins/prost:v1").unwrap();
    let e = client.pull(&unreachable).unwrap_err();
    assert!(e.contains("unreachable"), "{e}");
}

#[test]
fn a_manifest_without_one_wasm_layer_is_refused() {
    let registry = Registry::start();
    let client = Client::new(Credentials::default());
    // A manifest whose only layer is not wasm, pushed by hand.
    let reference = registry.reference("plugins/odd:v1");
    let blob = b"not a module".to_vec();
    let url = format!("http://127.0.0.1:{}/v2/plugins/odd", registry.port);
    let agent = ureq::Agent::new_with_defaults();
    let start = agent
        .post(&format!("{url}/blobs/uploads/"))
        .send_empty()
        .unwrap();
    let location = start
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let location = if location.starts_with('/') {
        format!("http://127.0.0.1:{}{location}", registry.port)
    } else {
        location
    };
    let sep = if location.contains('?') { '&' } else { '?' };
    agent
        .put(&format!("{location}{sep}digest={}", sha256_digest(&blob)))
        .send(&blob[..])
        .unwrap();
    let manifest = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"{}\",\"size\":{}}},\"layers\":[{{\"mediaType\":\"application/octet-stream\",\"digest\":\"{}\",\"size\":{}}}]}}",
        sha256_digest(&blob),
        blob.len(),
        sha256_digest(&blob),
        blob.len()
    );
    agent
        .put(&format!("{url}/manifests/v1"))
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .send(manifest.as_bytes())
        .unwrap();
    let e = client.pull(&reference).unwrap_err();
    assert!(e.contains("has no wasm layer"), "{e}");
}

/// `protowasm ARGS` in `cwd`, with the shared cache and no registry from the environment.
fn protowasm(cwd: &std::path::Path, args: &[&str]) -> Run {
    protowasm_with(cwd, args, &[])
}

/// `plugin push`, then `plugin add oci://...:TAG`: the entry records the reference pinned to
/// the manifest digest and the layer's sha256; `--prost_out` runs it; a fresh clone (no store)
/// pulls it again by digest; a moved tag changes nothing.
#[test]
fn plugin_push_and_add_pin_the_digest_and_a_fresh_clone_pulls_it_again() {
    let registry = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let tag = registry
        .reference("team/protoc-gen-prost:0.5.0")
        .to_string();
    let prost = wasm_plugin("prost");
    let pushed = protowasm(
        work.path(),
        &[
            "plugin",
            "push",
            prost.to_str().unwrap(),
            &tag,
            "--version",
            "0.5.0",
            "--serves",
            "buf.build/community/neoeinstein-prost",
        ],
    );
    pushed.assert_ok();
    let digest = pushed.stdout.lines().last().unwrap().to_string();
    assert!(digest.starts_with("sha256:"), "{}", pushed.stdout);

    protowasm(work.path(), &["plugin", "add", &tag]).assert_ok();
    let text = std::fs::read_to_string(work.path().join("plugins-registry.toml")).unwrap();
    let pinned = format!("{tag}@{digest}");
    assert!(text.contains("[plugins.prost]"), "{text}");
    assert!(text.contains(&format!("source = \"{pinned}\"")), "{text}");
    let layer_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(&prost).unwrap(),
    ));
    assert!(text.contains(&layer_sha), "{text}");
    // The artifact's annotations fill in what the command line left out.
    assert!(text.contains("version = \"0.5.0\""), "{text}");
    assert!(
        text.contains("serves = [\"buf.build/community/neoeinstein-prost\"]"),
        "{text}"
    );

    let generate = |out: &str| {
        std::fs::create_dir_all(work.path().join(out)).unwrap();
        let set = format!("--descriptor_set_in={}", example_set().display());
        let flag = format!("--prost_out={out}");
        protowasm(work.path(), &["protoc", &set, &flag, EXAMPLE_FILES[0]]).assert_ok();
        read_tree(&work.path().join(out))
    };
    let first = generate("out1");
    assert!(!first.is_empty());

    // The tag moves, and the store is gone (a fresh clone): the pinned digest is pulled.
    let testplug = wasm_plugin("testplug");
    protowasm(
        work.path(),
        &["plugin", "push", testplug.to_str().unwrap(), &tag],
    )
    .assert_ok();
    std::fs::remove_dir_all(work.path().join(".protowasm")).unwrap();
    assert_eq!(generate("out2"), first);
}

/// A registry that requires Basic auth: anonymous and wrong credentials get 401 naming the
/// reference; the right ones push and pull; `plugin add` finds them in $DOCKER_CONFIG.
#[test]
fn basic_auth_from_credentials_and_from_the_docker_config() {
    let registry = Registry::start_with(Some(("alice", "s3cret")));
    let tagged = registry.reference("private/protoc-gen-prost:1");
    let prost = module("prost");
    let stamp = "2026-12-02T00:00:00Z";
    let e = Client::new(Credentials::default())
        .push(&tagged, &prost, &annotations("prost"), stamp)
        .unwrap_err();
    assert!(
        e.starts_with(&tagged.to_string()) && e.contains("401"),
        "{e}"
    );
    let wrong = Credentials {
        basic: Some(("alice".into(), "nope".into())),
    };
    let e = Client::new(wrong).pull(&tagged).unwrap_err();
    assert!(e.contains("401"), "{e}");

    let right = || Credentials {
        basic: Some(("alice".into(), "s3cret".into())),
    };
    let digest = Client::new(right())
        .push(&tagged, &prost, &annotations("prost"), stamp)
        .unwrap();
    assert_eq!(
        Client::new(right()).pull(&tagged).unwrap().manifest_digest,
        digest
    );

    // The CLI reads docker's config for the registry's host:port.
    let work = tempfile::tempdir().unwrap();
    let docker = work.path().join("docker");
    std::fs::create_dir(&docker).unwrap();
    let auth = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "alice:s3cret");
    std::fs::write(
        docker.join("config.json"),
        format!(
            "{{\"auths\": {{\"127.0.0.1:{}\": {{\"auth\": \"{auth}\"}}}}}}",
            registry.port
        ),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        work.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let add = |config: &std::path::Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_protowasm"))
            .args(["plugin", "add", &tagged.to_string()])
            .current_dir(work.path())
            .env("PROTOWASM_CACHE_DIR", shared_cache())
            .env("PATH", &path)
            .env("DOCKER_CONFIG", config)
            .env_remove("PROTOWASM_REGISTRY")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run::from(output)
    };
    let anonymous = add(&work.path().join("no-docker-config"));
    assert_eq!(anonymous.status, 1);
    assert!(anonymous.stderr.contains("401"), "{}", anonymous.stderr);
    assert!(!work.path().join("plugins-registry.toml").exists());
    add(&docker).assert_ok();
    let text = std::fs::read_to_string(work.path().join("plugins-registry.toml")).unwrap();
    assert!(text.contains(&digest), "{text}");

    // A credential helper (`credHelpers`), as docker runs it: the server on stdin, JSON out.
    std::fs::remove_file(work.path().join("plugins-registry.toml")).unwrap();
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let helper = bin.join("docker-credential-protowasm-test");
    std::fs::write(
        &helper,
        "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}' \"$server\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let helped = work.path().join("helped");
    std::fs::create_dir(&helped).unwrap();
    std::fs::write(
        helped.join("config.json"),
        format!(
            "{{\"credHelpers\": {{\"127.0.0.1:{}\": \"protowasm-test\"}}}}",
            registry.port
        ),
    )
    .unwrap();
    add(&helped).assert_ok();
    let text = std::fs::read_to_string(work.path().join("plugins-registry.toml")).unwrap();
    assert!(text.contains(&digest), "{text}");
}

/// What the fake registry answers: (status, extra headers, body) for a request's path (with its
/// query) and Authorization header.
type Handler = dyn Fn(&str, Option<&str>) -> (u16, Vec<(String, String)>, Vec<u8>) + Send + Sync;

/// A minimal HTTP/1.1 server on loopback, for what the distribution server can't be made to do
/// (a bearer-token service, a truncated blob, 403). Returns its base URL's host:port.
fn fake_registry(handler: std::sync::Arc<Handler>) -> String {
    use std::io::Write;
    on_loopback(move |mut stream, _, head| {
        let path = head.line.get(1).map_or("/", String::as_str);
        let auth = head
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.as_str());
        let (status, headers, body) = handler(path, auth);
        let mut reply = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
        for (k, v) in headers {
            reply.push_str(&format!("{k}: {v}\r\n"));
        }
        reply.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let _ = stream.write_all(reply.as_bytes());
        let _ = stream.write_all(&body);
    })
}

/// A manifest with one wasm layer of `digest` and `size`.
fn wasm_manifest(digest: &str, size: usize) -> Vec<u8> {
    format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.wasm.config.v0+json\",\"digest\":\"{digest}\",\"size\":2}},\"layers\":[{{\"mediaType\":\"application/wasm\",\"digest\":\"{digest}\",\"size\":{size}}}]}}"
    )
    .into_bytes()
}

/// The bearer challenge: the client gets a token from the realm, once, and retries with it.
#[test]
fn a_bearer_challenge_is_answered_with_a_token_from_its_realm() {
    let module = module("testplug");
    let digest = sha256_digest(&module);
    let manifest = wasm_manifest(&digest, module.len());
    let tokens = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = tokens.clone();
    let realm = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let realm_url = realm.clone();
    let addr = fake_registry(std::sync::Arc::new(
        move |path: &str, auth: Option<&str>| {
            if path.starts_with("/token?") {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                assert!(
                    path.contains("service=fake") && path.contains("scope=repository:p/x:pull"),
                    "{path}"
                );
                return (200, vec![], b"{\"token\": \"t0k\"}".to_vec());
            }
            if auth != Some("Bearer t0k") {
                let challenge = format!(
                    "Bearer realm=\"{}\",service=\"fake\",scope=\"repository:p/x:pull\"",
                    realm_url.lock().unwrap()
                );
                return (401, vec![("WWW-Authenticate".into(), challenge)], vec![]);
            }
            if path.ends_with("/manifests/v1") {
                return (200, vec![], manifest.clone());
            }
            (200, vec![], module.clone())
        },
    ));
    *realm.lock().unwrap() = format!("http://{addr}/token");
    let reference = Reference::parse(&format!("oci://{addr}/p/x:v1")).unwrap();
    let pulled = Client::new(Credentials::default())
        .pull(&reference)
        .unwrap();
    assert_eq!(pulled.module, self::module("testplug"));
    assert_eq!(
        tokens.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one token, reused"
    );
}

/// A truncated blob, a layer over the cap and a 403 are refused, each naming the reference.
#[test]
fn truncated_oversized_and_forbidden_pulls_are_refused() {
    let module = module("testplug");
    let digest = sha256_digest(&module);
    let size = module.len();
    let manifest = wasm_manifest(&digest, size);
    let addr = fake_registry(std::sync::Arc::new(move |path: &str, _| {
        if path.contains("/forbidden/") {
            return (403, vec![], vec![]);
        }
        if path.ends_with("/manifests/v1") {
            return (200, vec![], manifest.clone());
        }
        // The blob, cut short.
        (200, vec![], module[..size - 10].to_vec())
    }));
    let reference = |repo: &str| Reference::parse(&format!("oci://{addr}/{repo}:v1")).unwrap();
    let e = Client::new(Credentials::default())
        .pull(&reference("p/x"))
        .unwrap_err();
    assert!(
        e.starts_with(&reference("p/x").to_string()) && e.contains("truncated"),
        "{e}"
    );
    let mut small = Client::new(Credentials::default());
    small.layer_limit = 1000;
    let e = small.pull(&reference("p/x")).unwrap_err();
    assert!(e.contains("over the 1000-byte limit"), "{e}");
    let e = Client::new(Credentials::default())
        .pull(&reference("forbidden/x"))
        .unwrap_err();
    assert!(e.contains("403 Forbidden"), "{e}");
}

/// A manifest with `layers` (media type, digest, size).
fn manifest_with(layers: &[(&str, &str, usize)]) -> Vec<u8> {
    let layers: Vec<String> = layers
        .iter()
        .map(|(m, d, n)| format!("{{\"mediaType\":\"{m}\",\"digest\":\"{d}\",\"size\":{n}}}"))
        .collect();
    format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.wasm.config.v0+json\",\"digest\":\"sha256:{}\",\"size\":2}},\"layers\":[{}]}}",
        "0".repeat(64),
        layers.join(",")
    )
    .into_bytes()
}

/// The older layer media types are accepted; two wasm layers are refused; a manifest that is not
/// the digest asked for, or not the digest the registry names, is refused.
#[test]
fn layer_media_types_and_manifest_digests_are_checked() {
    let module = module("testplug");
    let digest = sha256_digest(&module);
    let n = module.len();
    let older = manifest_with(&[("application/vnd.wasm.content.layer.v1+wasm", &digest, n)]);
    let oldest = manifest_with(&[(
        "application/vnd.module.wasm.content.layer.v1+wasm",
        &digest,
        n,
    )]);
    let two = manifest_with(&[
        ("application/wasm", &digest, n),
        ("application/wasm", &digest, n),
    ]);
    let (older_d, two_c) = (sha256_digest(&older), two.clone());
    let addr = fake_registry(std::sync::Arc::new(move |path: &str, _| {
        let tagged = |name: &str| path.ends_with(&format!("/manifests/{name}"));
        let lying = vec![("Docker-Content-Digest".to_string(), sha256_digest(b"other"))];
        match () {
            _ if tagged("older") || path.ends_with(&older_d) => (200, vec![], older.clone()),
            _ if tagged("oldest") => (200, vec![], oldest.clone()),
            _ if tagged("two") => (200, vec![], two_c.clone()),
            _ if tagged("lying") => (200, lying, older.clone()),
            // Any other digest gets the `older` manifest: not the one asked for.
            _ if path.contains("/manifests/sha256:") => (200, vec![], older.clone()),
            _ => (200, vec![], module.clone()),
        }
    }));
    let r = |rest: &str| Reference::parse(&format!("oci://{addr}/p/x{rest}")).unwrap();
    let client = Client::new(Credentials::default());
    for tag in [":older", ":oldest"] {
        assert_eq!(
            client.pull(&r(tag)).unwrap().module,
            self::module("testplug"),
            "{tag}"
        );
    }
    let e = client.pull(&r(":two")).unwrap_err();
    assert!(e.contains("has 2 wasm layers"), "{e}");
    let e = client.pull(&r(":lying")).unwrap_err();
    assert!(e.contains("the registry says the manifest is"), "{e}");
    let asked = sha256_digest(b"some other manifest");
    let e = client.pull(&r(&format!("@{asked}"))).unwrap_err();
    assert!(e.contains(&format!("not the {asked} asked for")), "{e}");
}

/// `plugin add` of an artifact whose layer is not a WASI command refuses it, and writes neither
/// the store nor the registry file; `plugin push` refuses one before sending anything.
#[test]
fn what_is_not_a_wasi_command_is_refused_both_ways() {
    let registry = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let reference = registry.reference("plugins/not-wasi:v1");
    Client::new(Credentials::default())
        .push(
            &reference,
            b"\0asm\x01\0\0\0",
            &annotations("x"),
            "2026-12-02T00:00:00Z",
        )
        .unwrap();
    let add = protowasm(work.path(), &["plugin", "add", &reference.to_string()]);
    assert_eq!(add.status, 1, "{}", add.stderr);
    assert!(
        add.stderr.contains(&reference.to_string()) || add.stderr.contains("_start"),
        "{}",
        add.stderr
    );
    assert!(!work.path().join("plugins-registry.toml").exists());
    assert!(!work.path().join(".protowasm").exists());

    std::fs::write(work.path().join("bad.wasm"), b"not wasm").unwrap();
    let other = registry.reference("plugins/bad:v1");
    let push = protowasm(
        work.path(),
        &["plugin", "push", "bad.wasm", &other.to_string()],
    );
    assert_eq!(push.status, 1);
    assert!(push.stderr.contains("bad.wasm"), "{}", push.stderr);
    let e = Client::new(Credentials::default())
        .pull(&other)
        .unwrap_err();
    assert!(e.contains("404"), "nothing was pushed: {e}");
}

/// `$PROTOWASM_OCI_MAX_LAYER` caps the layer a pull accepts.
#[test]
fn the_layer_cap_is_configurable() {
    let registry = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let reference = registry.reference("plugins/prost:v1");
    push_prost(&reference);
    let run = protowasm_with(
        work.path(),
        &["plugin", "add", &reference.to_string()],
        &[("PROTOWASM_OCI_MAX_LAYER", "64KiB")],
    );
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("over the 65536-byte limit"),
        "{}",
        run.stderr
    );
    assert!(!work.path().join("plugins-registry.toml").exists());
}

/// `http_proxy` applies to OCI pulls, as to URL sources.
#[test]
fn pulls_go_through_the_proxy_the_environment_names() {
    let registry = Registry::start();
    let reference = registry.reference("plugins/prost:v1");
    push_prost(&reference);
    let (proxy, tunnels) = tunnelling_proxy();
    let work = tempfile::tempdir().unwrap();
    let proxy = format!("http://{proxy}");
    protowasm_with(
        work.path(),
        &["plugin", "add", &reference.to_string()],
        &[
            ("http_proxy", &proxy),
            ("HTTP_PROXY", &proxy),
            ("NO_PROXY", ""),
            ("no_proxy", ""),
        ],
    )
    .assert_ok();
    assert!(
        tunnels.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "nothing went through the proxy"
    );
}
