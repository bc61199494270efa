//! A plugin run's bounds: memory, output and time limits, the flags and registry keys that set
//! them, and how sizes and durations are written and read (`3GiB`, `300s`).

use std::time::Duration;

/// Bounds on one plugin run.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Linear memory cap for wasm plugins. protoc-gen-go needs ~1.6 GiB on a 5 MB request, so the
    /// default leaves room for that and stays below wasm32's 4 GiB ceiling.
    pub memory_bytes: u64,
    /// Cap on what a plugin may write to stdout (its response).
    pub stdout_bytes: u64,
    /// Cap on stderr kept and relayed; the rest is dropped with a marker.
    pub stderr_bytes: u64,
    /// Wall-clock limit for one plugin run.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: default_memory_bytes(),
            stdout_bytes: 256 << 20,
            stderr_bytes: 1 << 20,
            timeout: Duration::from_secs(300),
        }
    }
}

fn default_memory_bytes() -> u64 {
    3 << 30
}

/// Limits chosen explicitly (on the command line or in a registry entry); unset ones fall back.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LimitFlags {
    pub memory_bytes: Option<u64>,
    pub stdout_bytes: Option<u64>,
    pub timeout: Option<Duration>,
}

impl LimitFlags {
    /// These flags, then `fallback`'s, then the defaults.
    pub fn resolve(&self, fallback: LimitFlags) -> Limits {
        let d = Limits::default();
        Limits {
            memory_bytes: self
                .memory_bytes
                .or(fallback.memory_bytes)
                .unwrap_or(d.memory_bytes),
            stdout_bytes: self
                .stdout_bytes
                .or(fallback.stdout_bytes)
                .unwrap_or(d.stdout_bytes),
            stderr_bytes: d.stderr_bytes,
            timeout: self.timeout.or(fallback.timeout).unwrap_or(d.timeout),
        }
    }
}

/// Human sizes for messages: `3 GiB`, `512 MiB`, `100 bytes`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let value = bytes as f64 / unit as f64;
            return if bytes.is_multiple_of(unit) {
                format!("{} {name}", bytes / unit)
            } else {
                format!("{value:.1} {name}")
            };
        }
    }
    format!("{bytes} bytes")
}

/// Sizes: a number of bytes with an optional KiB/MiB/GiB (or K/M/G) suffix.
pub fn parse_size(flag: &str, value: &str) -> Result<u64, String> {
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if multiplier != 0 => n
            .checked_mul(multiplier)
            .ok_or_else(|| format!("{flag}: size \"{value}\" is too large")),
        _ => Err(format!(
            "{flag}: invalid size \"{value}\": expected e.g. 512MiB, 3GiB or a number of bytes"
        )),
    }
}

/// Durations: `90s`, `500ms`, `2m`, `12h`, `7d`, or a plain number of seconds.
pub fn parse_duration(flag: &str, value: &str) -> Result<Duration, String> {
    let v = value.trim();
    let split = v
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let seconds: Option<f64> = number.parse::<f64>().ok().and_then(|n| match unit {
        "" | "s" => Some(n),
        "ms" => Some(n / 1000.0),
        "m" | "min" => Some(n * 60.0),
        "h" => Some(n * 3600.0),
        "d" => Some(n * 86400.0),
        _ => None,
    });
    match seconds {
        Some(s) if s > 0.0 && s.is_finite() => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "{flag}: invalid duration \"{value}\": expected e.g. 60s, 500ms or 2m"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(format_size(3 << 30), "3 GiB");
        assert_eq!(format_size(1536 << 20), "1.5 GiB");
        assert_eq!(format_size(100), "100 bytes");
    }
}
