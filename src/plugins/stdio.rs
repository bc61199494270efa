//! The guest's stdout and stderr: stdout captured in memory up to a cap, stderr relayed to ours line
//! by line with the plugin's name in front, up to a cap after which it is dropped with a marker.

use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

/// Largest single write the guest is offered; WASI streams conventionally use ~64 KiB.
const WRITE_BUDGET: usize = 64 << 10;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means another thread panicked mid-write; the bytes are still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A byte sink with a fixed capacity, shared between the store and the host.
#[derive(Clone)]
pub struct CappedPipe {
    buf: Arc<Mutex<Vec<u8>>>,
    cap: usize,
    overflowed: Arc<AtomicBool>,
}

impl CappedPipe {
    pub fn new(cap: u64) -> Self {
        CappedPipe {
            buf: Arc::default(),
            cap: usize::try_from(cap).unwrap_or(usize::MAX),
            overflowed: Arc::default(),
        }
    }

    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Takes the captured bytes without copying them.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *lock(&self.buf))
    }

    fn push(&self, bytes: &[u8]) -> StreamResult<()> {
        let mut buf = lock(&self.buf);
        if bytes.len() > self.cap - buf.len() {
            self.overflowed.store(true, Ordering::Relaxed);
            return Err(StreamError::trap("plugin output exceeded the output limit"));
        }
        buf.extend_from_slice(bytes);
        Ok(())
    }
}

/// Relays stderr to the host's stderr, each line prefixed with `NAME: `.
#[derive(Clone)]
pub struct StderrRelay {
    state: Arc<Mutex<RelayState>>,
}

struct RelayState {
    prefix: String,
    partial: Vec<u8>,
    cap: u64,
    remaining: u64,
    truncated: bool,
    /// Everything written to our stderr so far, for the output cache to print again.
    transcript: Vec<u8>,
}

impl RelayState {
    fn emit(&mut self, line: &[u8]) {
        let _ = std::io::stderr().lock().write_all(line);
        self.transcript.extend_from_slice(line);
    }
}

impl StderrRelay {
    pub fn new(plugin: &str, cap: u64) -> Self {
        let state = RelayState {
            prefix: format!("{plugin}: "),
            partial: Vec::new(),
            cap,
            remaining: cap,
            truncated: false,
            transcript: Vec::new(),
        };
        StderrRelay {
            state: Arc::new(Mutex::new(state)),
        }
    }

    pub(super) fn push(&self, bytes: &[u8]) {
        let mut s = lock(&self.state);
        if s.truncated {
            return;
        }
        let keep = usize::try_from(s.remaining)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        s.remaining -= keep as u64;
        s.partial.extend_from_slice(&bytes[..keep]);
        while let Some(nl) = s.partial.iter().position(|&b| b == b'\n') {
            let mut line = s.prefix.clone().into_bytes();
            line.extend(s.partial.drain(..=nl));
            s.emit(&line);
        }
        if keep < bytes.len() {
            s.truncated = true;
            let rest = std::mem::take(&mut s.partial);
            if !rest.is_empty() {
                let line = format!("{}{}\n", s.prefix, String::from_utf8_lossy(&rest));
                s.emit(line.as_bytes());
            }
            let marker = format!(
                "{}[stderr truncated: more than {} written]\n",
                s.prefix,
                super::format_size(s.cap)
            );
            s.emit(marker.as_bytes());
        }
    }

    /// Prints a last line that had no newline. Called once the plugin has finished.
    pub fn finish(&self) {
        let mut s = lock(&self.state);
        let rest = std::mem::take(&mut s.partial);
        if !rest.is_empty() {
            let line = format!("{}{}\n", s.prefix, String::from_utf8_lossy(&rest));
            s.emit(line.as_bytes());
        }
    }

    /// What was written to our stderr, prefixes included.
    pub fn transcript(&self) -> Vec<u8> {
        std::mem::take(&mut lock(&self.state).transcript)
    }
}

macro_rules! output_stream {
    ($ty:ty) => {
        impl IsTerminal for $ty {
            fn is_terminal(&self) -> bool {
                false
            }
        }

        impl StdoutStream for $ty {
            fn p2_stream(&self) -> Box<dyn OutputStream> {
                Box::new(self.clone())
            }
            fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
                Box::new(self.clone())
            }
        }

        #[wasmtime_wasi::async_trait]
        impl Pollable for $ty {
            async fn ready(&mut self) {}
        }

        impl tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<std::io::Result<usize>> {
                match OutputStream::write(self.get_mut(), Bytes::copy_from_slice(buf)) {
                    Ok(()) => Poll::Ready(Ok(buf.len())),
                    Err(e) => Poll::Ready(Err(std::io::Error::other(e.to_string()))),
                }
            }
            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_shutdown(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
            ) -> Poll<std::io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
    };
}

output_stream!(CappedPipe);
output_stream!(StderrRelay);

impl OutputStream for CappedPipe {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes)
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        // Offer room even at the cap, so an oversized write reaches `write` and is reported as an
        // overflow instead of the guest seeing a closed stream.
        Ok(WRITE_BUDGET)
    }
}

impl OutputStream for StderrRelay {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_pipe_refuses_past_its_cap() {
        let p = CappedPipe::new(10);
        assert!(p.push(b"0123456789").is_ok());
        assert!(!p.overflowed());
        assert!(p.push(b"x").is_err());
        assert!(p.overflowed());
        assert_eq!(p.take(), b"0123456789");
    }
}
