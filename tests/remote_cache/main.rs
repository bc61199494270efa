//! The remote cache (`--remote-cache`) against real servers on loopback, started by the tests
//! (testdata/remote-cache.sh): Debian's nginx with WebDAV PUT, Bazel's documented HTTP cache,
//! which verifies nothing; and a server applying bazel-remote's validation rules on the REAPI
//! schema with Google's protobuf runtime. Faults a real server can't be made to show (slow, cut
//! short, 5xx, full) come from loopback servers of the tests' own.
//!
//! A "machine" is a working directory with its own local cache: machine B starting with an empty
//! cache is a fresh CI runner.

#[path = "../it/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "../common/loopback.rs"]
#[allow(dead_code)]
mod loopback;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use support::*;

/// A remote-cache server on a loopback port, stopped when dropped.
struct Server {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    fn nginx() -> Server {
        Server::start(&["nginx"], &[])
    }

    /// nginx requiring Basic auth for `user`.
    fn nginx_with_user(user: &str, password: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("htpasswd");
        let status = Command::new("bash")
            .arg(repo().join("testdata/oci-registry.sh"))
            .args(["htpasswd", file.to_str().unwrap(), user, password])
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "oci-registry.sh htpasswd failed");
        Server::start_in(dir, &["nginx"], &[file.to_str().unwrap()])
    }

    fn validating() -> Server {
        Server::start(&["validating"], &[])
    }

    fn start(kind: &[&str], extra: &[&str]) -> Server {
        Server::start_in(tempfile::tempdir().unwrap(), kind, extra)
    }

    fn start_in(dir: tempfile::TempDir, kind: &[&str], extra: &[&str]) -> Server {
        let port = free_port();
        let child = Command::new("bash")
            .arg(repo().join("testdata/remote-cache.sh"))
            .args(kind)
            .args([dir.path().to_str().unwrap(), &port.to_string()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("running testdata/remote-cache.sh");
        let deadline = Instant::now() + Duration::from_secs(300);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the {kind:?} server did not start on port {port} (testdata/remote-cache.sh fetches it with apt-get and pip)"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child: Some(child),
            port,
            dir,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// nginx's files under `store/`, by path relative to it.
    fn stored(&self) -> BTreeMap<String, Vec<u8>> {
        read_tree(&self.dir.path().join("store"))
    }

    /// nginx's access log, one request per line.
    fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("logs/access.log")).unwrap_or_default()
    }

    /// What the validating server refused.
    fn rejected(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("rejected.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A machine: its own working directory and local cache. Its module cache is shared with the
/// other warm machines of the test run (compiling prost costs seconds), unless it is cold.
struct Machine {
    dir: tempfile::TempDir,
}

fn warm_modules() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// The plugins every run uses: prost, and testplug under several names (each its own request
/// and key); tp0 prints two lines on stderr, which a replay must print again.
const TESTPLUGS: [&str; 4] = ["tp0", "tp1", "tp2", "tp3"];

impl Machine {
    fn warm() -> Machine {
        let m = Machine::cold();
        std::fs::create_dir_all(m.cache()).unwrap();
        std::os::unix::fs::symlink(warm_modules(), m.cache().join("modules")).unwrap();
        m
    }

    fn cold() -> Machine {
        Machine {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn out(&self) -> BTreeMap<String, Vec<u8>> {
        read_tree(&self.dir.path().join("out"))
    }

    /// `protowasm protoc` on the example with every plugin, `--timings`, and `extra`.
    fn run(&self, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let mut args = s(&["protoc", "--timings"]);
        args.push(format!("--descriptor_set_in={}", example_set().display()));
        args.push(format!(
            "--plugin=protoc-gen-prost={}",
            wasm_plugin("prost").display()
        ));
        args.push("--prost_out=out/prost".into());
        for (i, name) in TESTPLUGS.iter().enumerate() {
            let dir = self.dir.path().join("out").join(name);
            std::fs::create_dir_all(&dir).unwrap();
            args.push(format!(
                "--plugin=protoc-gen-{name}={}",
                wasm_plugin("testplug").display()
            ));
            let param = if i == 0 { "stderr=2" } else { "list" };
            args.push(format!("--{name}_out={param}:out/{name}"));
        }
        std::fs::create_dir_all(self.dir.path().join("out/prost")).unwrap();
        args.extend(s(extra));
        args.extend(EXAMPLE_FILES.iter().map(|f| f.to_string()));
        self.protowasm(&args, env)
    }

    fn protowasm(&self, args: &[String], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_protowasm"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("PROTOWASM_CACHE_DIR", self.cache())
            .env_remove("PROTOWASM_LOG")
            .stdin(Stdio::null());
        for (key, _) in std::env::vars() {
            if key.starts_with("PROTOWASM_REMOTE_CACHE") || key.to_lowercase().ends_with("_proxy") {
                cmd.env_remove(key);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().unwrap())
    }
}

/// Each plugin's response source from `--timings` (`run`, `local cache`, `remote cache`).
fn sources(run: &Run) -> BTreeMap<String, String> {
    run.stderr
        .lines()
        .filter_map(|l| {
            l.strip_prefix("timing: protoc-gen-")?
                .split_once(" response from: ")
        })
        .map(|(plugin, source)| (plugin.to_string(), source.to_string()))
        .collect()
}

fn all_from(source: &str) -> BTreeMap<String, String> {
    std::iter::once("prost")
        .chain(TESTPLUGS)
        .map(|p| (p.to_string(), source.to_string()))
        .collect()
}

/// The lines of a run's stderr that speak of the remote cache.
fn remote_warnings(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.contains("remote cache") && !l.starts_with("timing: "))
        .collect()
}

/// The tree a run without any cache makes: what every replay must equal.
fn expected_tree() -> &'static BTreeMap<String, Vec<u8>> {
    static TREE: std::sync::OnceLock<BTreeMap<String, Vec<u8>>> = std::sync::OnceLock::new();
    TREE.get_or_init(|| {
        let m = Machine::warm();
        m.run(&["--no-cache"], &[]).assert_ok();
        let tree = m.out();
        assert!(
            tree.len() > TESTPLUGS.len(),
            "the plugins wrote too little: {tree:?}"
        );
        tree
    })
}

#[track_caller]
fn assert_tree(m: &Machine) {
    assert_trees_equal(&m.out(), expected_tree(), "");
}

fn remote_flag(url: &str) -> String {
    format!("--remote-cache={url}")
}

/// Machine A fills the cache; machine B, with an empty local cache, replays every response from
/// it (the plugin's stderr included) and writes the same tree; B's own re-run is then local.
fn fill_and_replay(url: &str) {
    let flag = remote_flag(url);
    let a = Machine::warm();
    let ran = a.run(&[&flag], &[]);
    ran.assert_ok();
    assert_eq!(sources(&ran), all_from("run"), "{}", ran.stderr);
    assert!(remote_warnings(&ran).is_empty(), "{}", ran.stderr);
    assert_tree(&a);

    let b = Machine::warm();
    let replayed = b.run(&[&flag], &[]);
    replayed.assert_ok();
    assert_eq!(
        sources(&replayed),
        all_from("remote cache"),
        "{}",
        replayed.stderr
    );
    assert!(remote_warnings(&replayed).is_empty(), "{}", replayed.stderr);
    let plugin_lines = |r: &Run| {
        r.stderr
            .lines()
            .filter(|l| l.starts_with("protoc-gen-tp0: "))
            .count()
    };
    assert_eq!(plugin_lines(&replayed), 2, "{}", replayed.stderr);
    assert_eq!(plugin_lines(&replayed), plugin_lines(&ran));
    assert_tree(&b);

    let again = b.run(&[&flag], &[]);
    again.assert_ok();
    assert_eq!(sources(&again), all_from("local cache"), "{}", again.stderr);
}

#[test]
fn a_fresh_machine_replays_what_another_stored_in_nginx() {
    let server = Server::nginx();
    fill_and_replay(&server.url());
    // Five plugins, five action-cache entries; tp1 to tp3 answer the same bytes, which the CAS
    // holds once.
    let stored = server.stored();
    let count = |kind: &str| stored.keys().filter(|k| k.starts_with(kind)).count();
    assert_eq!((count("ac/"), count("cas/")), (5, 3), "{:?}", stored.keys());
    for (name, blob) in &stored {
        if let Some(hash) = name.strip_prefix("cas/") {
            assert_eq!(hex::encode(Sha256::digest(blob)), hash, "{name}");
        }
    }
}

#[test]
fn a_validating_server_accepts_every_entry_and_replays_them() {
    let server = Server::validating();
    fill_and_replay(&server.url());
    assert_eq!(
        server.rejected(),
        "",
        "the validating server refused uploads"
    );
    // It does validate: a CAS blob under another digest, and an entry that is no ActionResult.
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let put = |path: &str, body: &[u8]| {
        agent
            .put(&format!("{}/{path}", server.url()))
            .send(body)
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(put(&format!("cas/{}", "0".repeat(64)), b"x"), 400);
    assert_eq!(put(&format!("ac/{}", "0".repeat(64)), b"\xff\xff"), 400);
    assert!(
        server.rejected().contains("hashsum mismatch"),
        "{}",
        server.rejected()
    );
}

#[test]
fn an_instance_name_is_a_path_prefix() {
    let server = Server::nginx();
    fill_and_replay(&format!("{}/team-a/protowasm", server.url()));
    let stored = server.stored();
    assert!(!stored.is_empty());
    assert!(
        stored.keys().all(
            |k| k.starts_with("team-a/protowasm/ac/") || k.starts_with("team-a/protowasm/cas/")
        ),
        "{:?}",
        stored.keys()
    );
}

/// The action-cache entry decoded by another implementation of the REAPI schema: Google's
/// Python runtime, through the validating server's own decoder.
#[test]
fn entries_are_reapi_action_results_pointing_at_their_blobs() {
    let server = Server::nginx();
    let a = Machine::warm();
    a.run(&[&remote_flag(&server.url())], &[]).assert_ok();
    let stored = server.stored();
    let (entry_name, entry) = stored.iter().find(|(k, _)| k.starts_with("ac/")).unwrap();
    let decoded = decode_action_result(entry);
    let path = decoded["output_files"][0]["path"].as_str().unwrap();
    assert_eq!(path, "response.pb", "{decoded}");
    let hash = decoded["output_files"][0]["digest"]["hash"]
        .as_str()
        .unwrap();
    let size: usize = decoded["output_files"][0]["digest"]["size_bytes"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let blob = &stored[&format!("cas/{hash}")];
    assert_eq!(blob.len(), size, "{entry_name}: {decoded}");
    assert!(decoded["execution_metadata"]["worker"]
        .as_str()
        .unwrap()
        .starts_with("protowasm "));
}

fn decode_action_result(entry: &[u8]) -> serde_json::Value {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), entry).unwrap();
    let out = Command::new("bash")
        .arg(repo().join("testdata/remote-cache.sh"))
        .args(["decode", file.path().to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_corrupted_blob_is_a_miss_and_is_overwritten() {
    let server = Server::nginx();
    let flag = remote_flag(&server.url());
    Machine::warm().run(&[&flag], &[]).assert_ok();
    let (name, good) = server
        .stored()
        .into_iter()
        .find(|(k, _)| k.starts_with("cas/"))
        .unwrap();
    let on_disk = server.dir.path().join("store").join(&name);
    let mut bad = good.clone();
    bad[0] ^= 0xff;
    std::fs::write(&on_disk, &bad).unwrap();

    let b = Machine::warm();
    let run = b.run(&[&flag], &[]);
    run.assert_ok();
    let damaged: Vec<_> = run
        .stderr
        .lines()
        .filter(|l| l.contains("is damaged"))
        .collect();
    assert_eq!(damaged.len(), 1, "{}", run.stderr);
    let ran: Vec<_> = sources(&run)
        .into_iter()
        .filter(|(_, s)| s == "run")
        .collect();
    assert_eq!(ran.len(), 1, "one plugin ran: {}", run.stderr);
    assert_tree(&b);
    assert_eq!(
        std::fs::read(&on_disk).unwrap(),
        good,
        "the blob was overwritten after the run"
    );

    // A blob that is whole but no CodeGeneratorResponse is refused too.
    let garbage = b"\xff\xff\xff";
    let hash = hex::encode(Sha256::digest(garbage));
    let store = server.dir.path().join("store");
    let entry_name = server
        .stored()
        .into_keys()
        .find(|k| k.starts_with("ac/"))
        .unwrap();
    let entry = protowasm::cache::remote::action_result("response.pb", &hash, garbage, b"");
    std::fs::write(store.join(&entry_name), entry).unwrap();
    std::fs::write(store.join(format!("cas/{hash}")), garbage).unwrap();
    let c = Machine::warm();
    let run = c.run(&[&flag], &[]);
    run.assert_ok();
    assert!(run.stderr.contains("does not decode"), "{}", run.stderr);
    let ran = sources(&run).into_values().filter(|s| s == "run").count();
    assert_eq!(ran, 1, "{}", run.stderr);
    assert_tree(&c);
}

#[test]
fn a_server_that_stops_mid_run_costs_one_warning() {
    let mut server = Server::nginx();
    let flag = remote_flag(&server.url());
    // A cold machine compiles its modules, so the run outlasts the first lookups.
    let a = Machine::cold();
    let log = server.dir.path().join("logs/access.log");
    let child = Arc::new(Mutex::new(server.child.take()));
    let killer = {
        let child = child.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while std::fs::metadata(&log).map_or(0, |m| m.len()) == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            if let Some(mut c) = child.lock().unwrap().take() {
                c.kill().unwrap();
                c.wait().unwrap();
            }
        })
    };
    let run = a.run(&[&flag], &[]);
    killer.join().unwrap();
    run.assert_ok();
    assert!(child.lock().unwrap().is_none(), "the server was stopped");
    assert!(
        !server.access_log().is_empty(),
        "the server answered before it stopped"
    );
    assert_eq!(remote_warnings(&run).len(), 1, "{}", run.stderr);
    assert_tree(&a);
    server.stop();
}

#[test]
fn an_unreachable_server_costs_one_warning() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let m = Machine::warm();
    let run = m.run(&[&remote_flag(&url)], &[]);
    run.assert_ok();
    let warnings = remote_warnings(&run);
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(warnings[0].contains(&url), "{}", warnings[0]);
    assert_eq!(sources(&run), all_from("run"));
    assert_tree(&m);
}

/// A request a fake saw: method, path, Authorization header.
type Seen = (String, String, Option<String>);

/// A loopback server of the test's own: `answer` gives (status, body) for (method, path); every
/// request is recorded with its Authorization header.
struct Fake {
    addr: String,
    requests: Arc<Mutex<Vec<Seen>>>,
}

fn fake(answer: impl Fn(&str, &str) -> (u16, Vec<u8>) + Send + Sync + 'static) -> Fake {
    use std::io::Read;
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let addr = loopback::on_loopback(move |mut stream, mut reader, head| {
        let method = head.line.first().cloned().unwrap_or_default();
        let path = head.line.get(1).cloned().unwrap_or_default();
        let header = |name: &str| {
            head.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let length: u64 = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let _ = std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink());
        seen.lock()
            .unwrap()
            .push((method.clone(), path.clone(), header("authorization")));
        let (status, body) = answer(&method, &path);
        let _ = write!(
            stream,
            "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(&body);
    });
    Fake { addr, requests }
}

impl Fake {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn count(&self, method: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.0 == method)
            .count()
    }
}

#[test]
fn server_errors_and_a_full_disk_cost_one_warning_each_run() {
    // 503 on every read: one warning, and reads stop.
    let unavailable = fake(|_, _| (503, b"down".to_vec()));
    let m = Machine::warm();
    let run = m.run(&[&remote_flag(&unavailable.url())], &[]);
    run.assert_ok();
    let warnings = remote_warnings(&run);
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(warnings[0].contains("HTTP 503"), "{}", warnings[0]);
    assert!(
        unavailable.count("GET") < 5,
        "reads went on after the failure"
    );
    assert_eq!(
        unavailable.count("PUT"),
        0,
        "nothing is uploaded to a server that failed"
    );
    assert_tree(&m);

    // A miss on every read and 507 on every write, as bazel-remote answers when its disk is full.
    let full = fake(|method, _| match method {
        "PUT" => (507, b"Insufficient Storage".to_vec()),
        _ => (404, Vec::new()),
    });
    let m = Machine::warm();
    let run = m.run(&[&remote_flag(&full.url())], &[]);
    run.assert_ok();
    let warnings = remote_warnings(&run);
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(warnings[0].contains("storage is full"), "{}", warnings[0]);
    assert_eq!(full.count("GET"), 5);
    assert!(full.count("PUT") < 5, "uploads went on after the failure");
    assert_tree(&m);
}

#[test]
fn a_body_cut_short_is_a_warning_not_a_failure() {
    // Every entry exists, and every body stops halfway through its declared length.
    let addr = loopback::on_loopback(|mut stream, _, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
    });
    let m = Machine::warm();
    let run = m.run(&[&remote_flag(&format!("http://{addr}"))], &[]);
    run.assert_ok();
    assert_eq!(remote_warnings(&run).len(), 1, "{}", run.stderr);
    assert_eq!(sources(&run), all_from("run"));
    assert_tree(&m);
}

/// A proxy of the test's own in front of a real server: each answer is held back by `delay`.
fn slow_proxy(upstream: u16, delay: Duration) -> String {
    loopback::on_loopback(move |mut client, mut reader, head| {
        let mut up = std::net::TcpStream::connect(("127.0.0.1", upstream)).unwrap();
        let mut request = format!("{}\r\n", head.line.join(" "));
        for (k, v) in &head.headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        up.write_all(request.as_bytes()).unwrap();
        let mut up_write = up.try_clone().unwrap();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut reader, &mut up_write);
        });
        std::thread::sleep(delay);
        let _ = std::io::copy(&mut up, &mut client);
    })
}

#[test]
fn a_slow_server_is_given_up_on_after_the_timeout() {
    let server = Server::nginx();
    let flag = remote_flag(&server.url());
    let a = Machine::warm();
    a.run(&[&flag], &[]).assert_ok();

    let proxy = slow_proxy(server.port, Duration::from_secs(20));
    let b = Machine::warm();
    let started = Instant::now();
    let run = b.run(
        &[
            &remote_flag(&format!("http://{proxy}")),
            "--remote-cache-timeout=500ms",
        ],
        &[],
    );
    let took = started.elapsed();
    run.assert_ok();
    assert_eq!(remote_warnings(&run).len(), 1, "{}", run.stderr);
    assert!(
        took < Duration::from_secs(15),
        "the run waited for the slow server: {took:?}"
    );
    assert_eq!(sources(&run), all_from("run"));
    assert_tree(&b);
}

#[test]
fn uploads_that_hang_hold_the_exit_back_at_most_the_timeout() {
    // Lookups miss at once; every upload hangs far longer than the timeout.
    let hanging = fake(|method, _| {
        if method == "PUT" {
            std::thread::sleep(Duration::from_secs(30));
        }
        (404, Vec::new())
    });
    let m = Machine::warm();
    let started = Instant::now();
    let run = m.run(
        &[&remote_flag(&hanging.url()), "--remote-cache-timeout=1s"],
        &[],
    );
    let took = started.elapsed();
    run.assert_ok();
    assert!(
        took < Duration::from_secs(10),
        "the exit waited for the uploads: {took:?}"
    );
    assert_eq!(remote_warnings(&run).len(), 1, "{}", run.stderr);
    assert!(hanging.count("PUT") >= 1, "nothing was uploaded");
    assert_tree(&m);
}

#[test]
fn read_only_reads_and_never_writes() {
    let server = Server::nginx();
    let flag = remote_flag(&server.url());
    let dev = Machine::warm();
    let run = dev.run(&[&flag, "--remote-cache-read-only"], &[]);
    run.assert_ok();
    assert!(
        server.stored().is_empty(),
        "a read-only run stored {:?}",
        server.stored().keys()
    );
    assert!(
        !server.access_log().contains("\"PUT "),
        "{}",
        server.access_log()
    );

    Machine::warm().run(&[&flag], &[]).assert_ok();
    let filled = server.stored();
    let dev = Machine::warm();
    let puts_before = server.access_log().matches("\"PUT ").count();
    let run = dev.run(&[&flag], &[("PROTOWASM_REMOTE_CACHE_READ_ONLY", "1")]);
    run.assert_ok();
    assert_eq!(sources(&run), all_from("remote cache"), "{}", run.stderr);
    assert_eq!(server.access_log().matches("\"PUT ").count(), puts_before);
    assert_eq!(server.stored(), filled);
    assert_tree(&dev);
}

#[test]
fn two_processes_filling_one_key_leave_a_valid_entry() {
    let server = Server::validating();
    let flag = remote_flag(&server.url());
    let (a, b) = (Machine::warm(), Machine::warm());
    let (ra, rb) = std::thread::scope(|scope| {
        let ta = scope.spawn(|| a.run(&[&flag], &[]));
        let tb = scope.spawn(|| b.run(&[&flag], &[]));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    ra.assert_ok();
    rb.assert_ok();
    assert_tree(&a);
    assert_tree(&b);
    assert_eq!(server.rejected(), "");
    let c = Machine::warm();
    let run = c.run(&[&flag], &[]);
    run.assert_ok();
    assert_eq!(sources(&run), all_from("remote cache"), "{}", run.stderr);
    assert_tree(&c);
}

/// The module lines of `--timings` (`module from remote cache`, `module compiled and cached`).
fn module_sources(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("timing: protoc-gen-"))
        .filter_map(|l| {
            l.split_once(" module ")
                .map(|(_, rest)| rest.split(':').next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn compiled_modules_are_shared_only_when_opted_in() {
    let server = Server::validating();
    let flag = remote_flag(&server.url());
    // Responses off, so that every plugin needs its module.
    let a = Machine::cold();
    let run = a.run(&[&flag, "--no-cache", "--remote-cache-modules"], &[]);
    run.assert_ok();
    assert!(
        module_sources(&run)
            .iter()
            .all(|s| s == "compiled and cached" || s == "in memory"),
        "{}",
        run.stderr
    );

    let not_opted_in = Machine::cold();
    let run = not_opted_in.run(&[&flag, "--no-cache"], &[]);
    run.assert_ok();
    assert!(
        !module_sources(&run)
            .iter()
            .any(|s| s == "from remote cache"),
        "{}",
        run.stderr
    );

    let b = Machine::cold();
    let run = b.run(
        &[&flag, "--no-cache"],
        &[("PROTOWASM_REMOTE_CACHE_MODULES", "1")],
    );
    run.assert_ok();
    let from_remote = module_sources(&run)
        .iter()
        .filter(|s| *s == "from remote cache")
        .count();
    assert_eq!(from_remote, 2, "prost and testplug: {}", run.stderr);
    assert_tree(&b);
    assert_eq!(server.rejected(), "");
}

#[test]
fn basic_auth_and_bearer_tokens_come_from_the_environment() {
    let server = Server::nginx_with_user("ci", "s3cret");
    let flag = remote_flag(&server.url());
    let creds = [
        ("PROTOWASM_REMOTE_CACHE_USER", "ci"),
        ("PROTOWASM_REMOTE_CACHE_PASSWORD", "s3cret"),
    ];
    let a = Machine::warm();
    let run = a.run(&[&flag], &creds);
    run.assert_ok();
    assert!(remote_warnings(&run).is_empty(), "{}", run.stderr);
    let b = Machine::warm();
    let run = b.run(&[&flag], &creds);
    run.assert_ok();
    assert_eq!(sources(&run), all_from("remote cache"), "{}", run.stderr);

    let anonymous = Machine::warm();
    let run = anonymous.run(&[&flag], &[]);
    run.assert_ok();
    let warnings = remote_warnings(&run);
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(warnings[0].contains("HTTP 401"), "{}", warnings[0]);
    assert!(!run.stderr.contains("s3cret"));

    let recorder = fake(|_, _| (404, Vec::new()));
    let m = Machine::warm();
    m.run(
        &[&remote_flag(&recorder.url())],
        &[("PROTOWASM_REMOTE_CACHE_TOKEN", "t0ken")],
    )
    .assert_ok();
    let requests = recorder.requests.lock().unwrap();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.2.as_deref() == Some("Bearer t0ken")),
        "{requests:?}"
    );
}

#[test]
fn requests_go_through_the_proxy_the_environment_names() {
    let server = Server::nginx();
    let (proxy, tunnels) = loopback::tunnelling_proxy();
    let proxy = format!("http://{proxy}");
    let env = [
        ("http_proxy", proxy.as_str()),
        ("HTTP_PROXY", proxy.as_str()),
        ("NO_PROXY", ""),
        ("no_proxy", ""),
    ];
    let m = Machine::warm();
    m.run(&[&remote_flag(&server.url())], &env).assert_ok();
    assert!(
        tunnels.load(Ordering::SeqCst) >= 1,
        "nothing went through the proxy"
    );
    assert!(!server.stored().is_empty());
}

#[test]
fn generate_takes_the_flags_and_the_environment() {
    let server = Server::nginx();
    let template =
        "version: v2\nplugins:\n  - local: protoc-gen-testplug\n    out: gen\n    opt: list\n";
    let setup = |m: &Machine| {
        write_file(m.dir.path(), "buf.yaml", "version: v2\n");
        write_file(m.dir.path(), "buf.gen.yaml", template);
        write_file(
            m.dir.path(),
            "a/v1/a.proto",
            "syntax = \"proto3\";\npackage a.v1;\nmessage A { string name = 1; }\n",
        );
        let bin = m.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::copy(wasm_plugin("testplug"), bin.join("protoc-gen-testplug")).unwrap();
        bin
    };
    let a = Machine::warm();
    let bin = setup(&a);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = a.protowasm(
        &s(&["generate", "--timings", &remote_flag(&server.url())]),
        &[("PATH", &path)],
    );
    run.assert_ok();
    let b = Machine::warm();
    let bin = setup(&b);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let url = server.url();
    let run = b.protowasm(
        &s(&["generate", "--timings"]),
        &[("PATH", &path), ("PROTOWASM_REMOTE_CACHE", &url)],
    );
    run.assert_ok();
    assert!(
        run.stderr
            .contains("timing: protoc-gen-testplug response from: remote cache"),
        "{}",
        run.stderr
    );
    assert_eq!(
        read_tree(&a.dir.path().join("gen")),
        read_tree(&b.dir.path().join("gen"))
    );
    let bad = b.protowasm(
        &s(&["generate", "--remote-cache=grpc://cache:9092"]),
        &[("PATH", &path)],
    );
    bad.assert_failed();
    assert!(
        bad.stderr.contains("--remote-cache=grpc://cache:9092: "),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_bad_url_or_setting_is_refused_before_anything_runs() {
    let m = Machine::warm();
    for (args, env, expect) in [
        (
            vec!["--remote-cache=https://u:pw@cache.example.com"],
            vec![],
            "credentials in the URL are refused",
        ),
        (
            vec!["--remote-cache=http://cache.example.com"],
            vec![],
            "plain http is used only on loopback",
        ),
        (
            vec![],
            vec![("PROTOWASM_REMOTE_CACHE", "ftp://x")],
            "PROTOWASM_REMOTE_CACHE=ftp://x: ",
        ),
        (
            vec!["--remote-cache=https://c", "--remote-cache-timeout=soon"],
            vec![],
            "--remote-cache-timeout: invalid duration",
        ),
    ] {
        let run = m.run(&args, &env);
        run.assert_failed();
        assert!(run.stderr.contains(expect), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains(":pw@"), "{}", run.stderr);
        assert!(m.out().is_empty(), "{args:?} wrote files");
    }
}
