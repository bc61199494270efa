//! protoc's `--decode_raw`, `--decode=TYPE` and `--encode=TYPE`: binary messages read from
//! stdin and printed in text format, or text parsed and serialized, with protoc 36.2's output
//! and messages. Everything here is a pure function from bytes to an [`Outcome`]; the CLI does
//! the reading and writing.

pub mod print;
pub mod schema;
pub mod text;
pub mod wire;
pub mod write;

use crate::model::ErrorFormat;

use schema::{MessageType, Schema};
use wire::{Message, ParseError, Value};

/// Which conversion a run asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codec {
    /// `--decode_raw`: any bytes, printed as an unknown field set.
    DecodeRaw,
    /// `--decode=TYPE`.
    Decode(String),
    /// `--encode=TYPE`.
    Encode(String),
}

/// The flags besides the type that change a conversion.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `--deterministic_output`: map entries sorted by key when encoding.
    pub deterministic: bool,
    /// How `--encode`'s parse errors name their position.
    pub error_format: ErrorFormat,
}

/// What protoc would write and how it would exit.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// Whether a warning was printed (`--fatal_warnings` then fails the run).
    pub warned: bool,
    pub ok: bool,
}

impl Outcome {
    fn failed(stderr: String) -> Outcome {
        Outcome {
            stderr,
            ..Outcome::default()
        }
    }
}

const FAILED_TO_PARSE: &str = "Failed to parse input.\n";

/// Runs `codec` on `input` with the types of `schema`.
pub fn run(codec: &Codec, schema: &Schema, input: &[u8], options: Options) -> Outcome {
    match codec {
        Codec::DecodeRaw => decode_raw(input),
        Codec::Decode(name) => decode(schema, name, input),
        Codec::Encode(name) => encode(schema, name, input, options),
    }
}

/// `--decode_raw`: protoc decodes into an empty message, so every field is unknown.
pub fn decode_raw(input: &[u8]) -> Outcome {
    match wire::parse_unknown(input, wire::RECURSION_LIMIT, false) {
        Some(fields) => Outcome {
            stdout: print::unknown_fields(&fields),
            ok: true,
            ..Outcome::default()
        },
        None => Outcome::failed(FAILED_TO_PARSE.into()),
    }
}

fn lookup<'s>(schema: &'s Schema, name: &str) -> Result<&'s MessageType, Outcome> {
    schema
        .message(name)
        .ok_or_else(|| Outcome::failed(format!("Type not defined: {name}\n")))
}

/// `--decode=TYPE`.
pub fn decode(schema: &Schema, name: &str, input: &[u8]) -> Outcome {
    let mt = match lookup(schema, name) {
        Ok(mt) => mt,
        Err(o) => return o,
    };
    let message = match wire::parse_message(schema, mt, input) {
        Ok(m) => m,
        Err(ParseError::Malformed) => return Outcome::failed(FAILED_TO_PARSE.into()),
        Err(ParseError::InvalidUtf8(field)) => {
            return Outcome::failed(format!(
                "{}{FAILED_TO_PARSE}",
                utf8_log_line(&field, "parsing")
            ))
        }
    };
    let mut out = Outcome {
        ok: true,
        ..Outcome::default()
    };
    warn_missing(schema, mt, &message, &mut out);
    out.stdout = print::message(schema, mt, &message);
    out
}

/// `--encode=TYPE`: text in, the binary message out. The parse's errors and warnings come
/// first, as protoc prints them while it reads; then the missing-required warning (the message
/// is still written), then what serializing logs.
pub fn encode(schema: &Schema, name: &str, input: &[u8], options: Options) -> Outcome {
    let mt = match lookup(schema, name) {
        Ok(mt) => mt,
        Err(o) => return o,
    };
    let (message, notes) = text::parse(schema, mt, input);
    let mut stderr = String::new();
    for note in notes {
        stderr.push_str(&note_line(&note, options.error_format));
    }
    let Some(message) = message else {
        stderr.push_str(FAILED_TO_PARSE);
        return Outcome::failed(stderr);
    };
    let mut out = Outcome {
        stderr,
        ok: true,
        ..Outcome::default()
    };
    warn_missing(schema, mt, &message, &mut out);
    let serialized = write::message(schema, mt, &message, options.deterministic);
    for field in &serialized.invalid_utf8 {
        out.stderr.push_str(&utf8_log_line(field, "serializing"));
    }
    out.stdout = serialized.bytes;
    out
}

/// One line protoc's `ErrorPrinter` prints for the text parser (the file is `input`).
fn note_line(note: &text::Note, format: ErrorFormat) -> String {
    let (line, col, message, warning) = match note {
        text::Note::Error { line, col, message } => (line, col, message, false),
        text::Note::Warning { line, col, message } => (line, col, message, true),
        text::Note::InvalidUtf8(field) => return utf8_log_line(field, "serializing"),
    };
    let (line, col) = (line + 1, col + 1);
    let kind = if warning { "warning" } else { "error" };
    let at = match format {
        ErrorFormat::Gcc => format!("input:{line}:{col}"),
        ErrorFormat::Msvs => format!("input({line}) : {kind} in column={col}"),
    };
    if warning {
        format!("{at}: warning: {message}\n")
    } else {
        format!("{at}: {message}\n")
    }
}

fn warn_missing(schema: &Schema, mt: &MessageType, message: &Message, out: &mut Outcome) {
    let mut missing = Vec::new();
    missing_required(schema, mt, message, "", &mut missing);
    if !missing.is_empty() {
        out.warned = true;
        out.stderr.push_str(&format!(
            "warning:  Input message is missing required fields:  {}\n",
            missing.join(", ")
        ));
    }
}

/// `FindInitializationErrors`: this message's missing required fields in declaration order,
/// then those of its set message fields, by field number.
fn missing_required(
    schema: &Schema,
    mt: &MessageType,
    message: &Message,
    prefix: &str,
    out: &mut Vec<String>,
) {
    for field in mt.fields.iter().filter(|f| f.required) {
        if !message.fields.contains_key(&field.number) {
            out.push(format!("{prefix}{}", field.name));
        }
    }
    for (number, values) in &message.fields {
        let Some(field) = schema.field(mt, *number) else {
            continue;
        };
        let Some(sub_type) = schema
            .message(&field.type_name)
            .filter(|_| field.is_message())
        else {
            continue;
        };
        let name = if field.is_extension {
            format!("({})", field.full_name)
        } else {
            field.name.clone()
        };
        for (i, v) in values.iter().enumerate() {
            if let Value::Message(m) = v {
                let prefix = if field.repeated {
                    format!("{prefix}{name}[{i}].")
                } else {
                    format!("{prefix}{name}.")
                };
                missing_required(schema, sub_type, m, &prefix, out);
            }
        }
    }
}

/// The line absl's logging prints when C++ finds a string field's bytes are not UTF-8 while
/// `parsing` (it then rejects them) or `serializing` (it writes them anyway). Its time, thread
/// and source line are protoc's own; they are reproduced in form (tests compare the rest).
fn utf8_log_line(field: &str, doing: &str) -> String {
    absl_error_line(
        "wire_format_lite.cc:578",
        &format!("String field '{field}' contains invalid UTF-8 data when {doing} a protocol buffer. Use the 'bytes' type if you intend to send raw bytes. "),
    )
}

/// An error line as absl's logging prints it from protoc's C++ source `at` (`file.cc:LINE`):
/// the time and thread are this run's own.
pub(crate) fn absl_error_line(at: &str, message: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    let days = secs / 86400;
    let (month, day) = month_day(days);
    format!(
        "E{month:02}{day:02} {h:02}:{m:02}:{s:02}.{:06} {:>7} {at}] {message}\n",
        now.subsec_micros(),
        std::process::id()
    )
}

/// Month and day (UTC) of a count of days since 1970-01-01.
fn month_day(days: u64) -> (u64, u64) {
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (month as u64, day as u64)
}

#[cfg(test)]
mod tests;
