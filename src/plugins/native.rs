//! Native plugins: plain executables run as subprocesses, as protoc runs them. They are not
//! sandboxed; the time and output limits still apply, and stderr is relayed like a wasm plugin's.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::stdio::StderrRelay;
use super::wasm::timeout_message;
use super::{
    format_size, watchdog, Limits, Plugin, PluginError, PluginRunner, ResponseSource, RunOutput,
};

pub struct NativeRunner;

impl PluginRunner for NativeRunner {
    fn run(
        &self,
        plugin: &Plugin,
        label: &str,
        request: Vec<u8>,
        limits: &Limits,
    ) -> Result<RunOutput, PluginError> {
        let started = Instant::now();
        let mut child = Command::new(&plugin.path)
            .args(&plugin.args)
            .envs(plugin.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                    PluginError::NotFound
                }
                _ => PluginError::Io(format!("starting {}: {e}", plugin.path.display())),
            })?;
        let _deadline = watchdog::arm(
            limits.timeout,
            timeout_message(label, limits),
            Some(child.id()),
        );

        // Feed stdin and drain stderr on their own threads so a plugin that writes a lot before
        // reading everything cannot deadlock against us.
        let mut stdin = child.stdin.take().expect("stdin was piped");
        let writer = std::thread::spawn(move || {
            // A plugin may exit without reading its input; a broken pipe is not our error.
            let _ = stdin.write_all(&request);
        });
        let mut stderr = child.stderr.take().expect("stderr was piped");
        let relay = StderrRelay::new(&plugin.name, limits.stderr_bytes);
        let relay_thread = {
            let relay = relay.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = stderr.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    relay.push(&buf[..n]);
                }
            })
        };

        let mut stdout = Vec::new();
        let cap = limits.stdout_bytes;
        let mut pipe = child.stdout.take().expect("stdout was piped");
        let read = (&mut pipe)
            .take(cap.saturating_add(1))
            .read_to_end(&mut stdout);
        if stdout.len() as u64 > cap {
            // Kill before closing our end: a plugin that saw the pipe close would print its own
            // "Broken pipe" complaint first, in a race with the kill.
            let _ = child.kill();
        }
        let status = child
            .wait()
            .map_err(|e| PluginError::Io(format!("waiting for {}: {e}", plugin.path.display())))?;
        let _ = writer.join();
        let _ = relay_thread.join();
        relay.finish();
        let timings = vec![("run", started.elapsed())];

        if stdout.len() as u64 > cap {
            return Err(PluginError::OutputLimit(format_size(cap)));
        }
        read.map_err(|e| {
            PluginError::Io(format!(
                "reading the output of {}: {e}",
                plugin.path.display()
            ))
        })?;
        if let Some(code) = status.code() {
            if code != 0 {
                return Err(PluginError::Exit(code));
            }
        } else {
            use std::os::unix::process::ExitStatusExt;
            return Err(PluginError::Signal(status.signal().unwrap_or(0)));
        }
        Ok(RunOutput {
            stdout,
            stderr: Vec::new(),
            timings,
            source: ResponseSource::Ran,
        })
    }
}
