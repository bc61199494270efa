//! Loading and parsing ahead of the linker. Linking is sequential (each file links against
//! the pool of the files before it, in protoc's order), but reading and parsing a file needs
//! nothing else: while one thread links, the others read and parse the files it is going to
//! ask for, and the linker takes each one ready-made, or loads it itself when no one has
//! started it. Errors come out as before: the linker still meets every file in protoc's order.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex};

use super::descriptor::{FileDescriptorProto, SourceCodeInfo};
use super::set::{FileError, Source};
use super::{build, parse};

/// How many loaded files may wait for the linker. Without a bound the workers finish long
/// before the linker, and what the linker then frees of their allocations (unlinked options,
/// parse-time vectors) stays in their allocator pages instead of being reused: 50 MB more at
/// the peak on googleapis, for no gain in time.
const AHEAD: usize = 32;

/// What loading and parsing one file gave.
pub(super) enum Loaded {
    /// The unlinked descriptor, and the source info (`None` for an already compiled file).
    File(Box<FileDescriptorProto>, Option<SourceCodeInfo>),
    /// The loader's error, or the parser's.
    Failed(Vec<FileError>),
}

/// Loads `name` through `loader` and parses it.
pub(super) fn load(name: &str, loader: super::set::Loader<'_>) -> Loaded {
    match loader(name) {
        Err(message) => Loaded::Failed(vec![FileError::whole_file(name, message)]),
        Ok(Source::Proto(src)) => match parse(name, &src) {
            Ok(ast) => {
                let (fd, info) = build::build(&ast);
                Loaded::File(Box::new(fd), Some(info))
            }
            Err(diagnostics) => Loaded::Failed(
                diagnostics
                    .into_iter()
                    .map(|diagnostic| FileError {
                        file: name.to_string(),
                        diagnostic,
                    })
                    .collect(),
            ),
        },
        Ok(Source::Descriptor(mut fd)) => {
            let info = fd.source_code_info.take();
            Loaded::File(fd, info)
        }
    }
}

/// The files a file imports, in the order the linker visits them.
fn imports(loaded: &Loaded) -> Vec<String> {
    match loaded {
        Loaded::File(fd, _) => fd
            .dependency
            .iter()
            .chain(&fd.option_dependency)
            .cloned()
            .collect(),
        Loaded::Failed(_) => Vec::new(),
    }
}

enum Slot {
    /// A worker is loading it.
    Claimed,
    Ready(Loaded),
    /// Handed to the linker, or loaded by it.
    Taken,
}

#[derive(Default)]
struct State {
    slots: HashMap<String, Slot>,
    /// Files to load next, the most recently discovered imports first (roughly the order the
    /// linker's depth-first walk wants them).
    queue: VecDeque<String>,
    /// Files loaded and not yet taken.
    ready: usize,
    /// The linker is done: workers stop.
    done: bool,
}

/// Files being loaded ahead of the linker.
pub(super) struct Prefetch<'a> {
    loader: super::set::SyncLoader<'a>,
    state: Mutex<State>,
    changed: Condvar,
}

impl<'a> Prefetch<'a> {
    /// Starts with `names` (the inputs, in order) to load.
    pub fn new(names: &[&str], loader: super::set::SyncLoader<'a>) -> Self {
        let state = State {
            queue: names.iter().map(|n| n.to_string()).collect(),
            ..State::default()
        };
        Prefetch {
            loader,
            state: Mutex::new(state),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A worker: loads queued files until the linker is done.
    pub fn work(&self) {
        loop {
            let name = {
                let mut state = self.lock();
                loop {
                    if state.done {
                        return;
                    }
                    if state.ready >= AHEAD {
                        state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                        continue;
                    }
                    if let Some(n) = state.queue.pop_front() {
                        if state.slots.contains_key(&n) {
                            continue;
                        }
                        state.slots.insert(n.clone(), Slot::Claimed);
                        break n;
                    }
                    // The linker may still load a file whose imports are new.
                    state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                }
            };
            let loaded = load(&name, self.loader);
            let mut state = self.lock();
            queue_front(&mut state.queue, imports(&loaded));
            state.slots.insert(name, Slot::Ready(loaded));
            state.ready += 1;
            drop(state);
            self.changed.notify_all();
        }
    }

    /// `name` loaded and parsed, for the linker: a worker's result (waiting for it if a worker
    /// is on it), else loaded here.
    pub fn take(&self, name: &str) -> Loaded {
        let mut state = self.lock();
        loop {
            match state.slots.get_mut(name) {
                Some(Slot::Claimed) => {
                    state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                Some(slot @ Slot::Ready(_)) => {
                    let Slot::Ready(loaded) = std::mem::replace(slot, Slot::Taken) else {
                        unreachable!("matched Ready");
                    };
                    state.ready -= 1;
                    drop(state);
                    self.changed.notify_all();
                    return loaded;
                }
                // Not started (or, for a file met again, loaded once already): load it here,
                // and let the workers start on its imports.
                Some(Slot::Taken) | None => {
                    state.slots.insert(name.to_string(), Slot::Taken);
                    drop(state);
                    let loaded = load(name, self.loader);
                    let mut state = self.lock();
                    queue_front(&mut state.queue, imports(&loaded));
                    drop(state);
                    self.changed.notify_all();
                    return loaded;
                }
            }
        }
    }

    /// The linker is done: workers stop after the file they are on.
    pub fn finish(&self) {
        self.lock().done = true;
        self.changed.notify_all();
    }
}

/// Puts `names` at the front of `queue`, keeping their order.
fn queue_front(queue: &mut VecDeque<String>, names: Vec<String>) {
    for n in names.into_iter().rev() {
        queue.push_front(n);
    }
}
