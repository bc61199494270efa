//! Text format parsing for `--encode` (placeholder until the parser lands).

use super::schema::{MessageType, Schema};
use super::wire::Message;

/// Parses `input` as a text-format `mt`; `Err` holds protoc's error lines.
pub fn parse(_schema: &Schema, _mt: &MessageType, _input: &[u8]) -> Result<Message, String> {
    Err(String::new())
}
