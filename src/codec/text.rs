//! The text format as `--encode=TYPE` reads it: protoc's `TextFormat::Parser` with the settings
//! `EncodeOrDecode` gives it (partial messages allowed, a singular field or a oneof set twice
//! is an error, no unknown fields, extensions or enum names), into a [`Message`] that
//! [`super::write`] serializes. Errors are protoc's, at protoc's positions: the tokenizer's are
//! reported as they happen and parsing goes on; the parser's first one ends the parse.

use crate::compiler::lexer::{Lexer, TokenKind};
use crate::compiler::literals::{
    is_identifier, parse_float, parse_integer, safe_double_to_float, unescape_append,
};

use super::schema::{ty, Field, MessageType, Schema};
use super::wire::{has, Message, Value};
use super::write;

/// Nesting deeper than this is refused. protoc has no limit (its recursion limit is `INT_MAX`)
/// and runs out of stack somewhere past it; a message this deep is not a real input.
const DEPTH_LIMIT: usize = 5_000;

/// One line of what protoc prints while parsing, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// `input:LINE:COL: message` (0-based here).
    Error {
        line: i32,
        col: i32,
        message: String,
    },
    /// `input:LINE:COL: warning: message`.
    Warning {
        line: i32,
        col: i32,
        message: String,
    },
    /// A string field serialized as an `Any` value held invalid UTF-8: C++ logs the field.
    InvalidUtf8(String),
}

/// The message `text` describes, if it parsed, and what protoc would print on the way.
pub fn parse(schema: &Schema, mt: &MessageType, text: &[u8]) -> (Option<Message>, Vec<Note>) {
    let mut lx = Lexer::new(text);
    lx.sh_comments = true;
    lx.allow_f_after_float = true;
    lx.next();
    let mut p = Parser {
        schema,
        lx,
        notes: Vec::new(),
        had_errors: false,
        depth: 0,
    };
    let mut message = Message::default();
    let parsed = loop {
        if p.lx.current.kind == TokenKind::End {
            break true;
        }
        if p.field(mt, &mut message).is_err() {
            break false;
        }
    };
    p.sync();
    let ok = parsed && !p.had_errors;
    (ok.then_some(message), p.notes)
}

/// The parse stopped at an error (already recorded).
struct Stop;

type Step<T = ()> = Result<T, Stop>;

struct Parser<'s, 'a> {
    schema: &'s Schema,
    lx: Lexer<'a>,
    notes: Vec<Note>,
    had_errors: bool,
    depth: usize,
}

impl<'s> Parser<'s, '_> {
    /// Moves the tokenizer's errors so far into the notes: protoc prints each as it happens,
    /// so they come before anything the parser reports later.
    fn sync(&mut self) {
        for d in self.lx.errors.drain(..) {
            self.had_errors = true;
            self.notes.push(Note::Error {
                line: d.line,
                col: d.col,
                message: d.message,
            });
        }
    }

    /// Records an error at the current token.
    fn error(&mut self, message: impl Into<String>) -> Stop {
        self.sync();
        self.had_errors = true;
        self.notes.push(Note::Error {
            line: self.lx.current.line,
            col: self.lx.current.col,
            message: message.into(),
        });
        Stop
    }

    fn warning(&mut self, message: String) {
        self.sync();
        self.notes.push(Note::Warning {
            line: self.lx.current.line,
            col: self.lx.current.col,
            message,
        });
    }

    fn text(&self) -> String {
        self.lx.current.text_str()
    }

    fn looking_at(&self, s: &str) -> bool {
        self.lx.current.is(s)
    }

    fn looking_at_kind(&self, kind: TokenKind) -> bool {
        self.lx.current.kind == kind
    }

    fn next(&mut self) {
        self.lx.next();
    }

    fn try_consume(&mut self, s: &str) -> bool {
        if self.looking_at(s) {
            self.next();
            true
        } else {
            false
        }
    }

    fn consume(&mut self, s: &str) -> Step {
        if self.try_consume(s) {
            Ok(())
        } else {
            let found = self.text();
            Err(self.error(format!("Expected \"{s}\", found \"{found}\".")))
        }
    }

    /// `ConsumeBeforeWhitespace`: the token after `s` may be a whitespace token.
    fn consume_before_ws(&mut self, s: &str) -> Step {
        self.lx.set_report_whitespace(true);
        let r = self.consume(s);
        self.lx.set_report_whitespace(false);
        r
    }

    fn try_consume_before_ws(&mut self, s: &str) -> bool {
        self.lx.set_report_whitespace(true);
        let r = self.try_consume(s);
        self.lx.set_report_whitespace(false);
        r
    }

    fn try_ws(&mut self) {
        if self.looking_at_kind(TokenKind::Whitespace) {
            self.next();
        }
    }

    /// Fields may end in `;` or `,`.
    fn separator(&mut self) {
        let _ = self.try_consume(";") || self.try_consume(",");
    }

    fn identifier(&mut self) -> Step<String> {
        if self.looking_at_kind(TokenKind::Identifier) {
            let name = self.text();
            self.next();
            Ok(name)
        } else {
            let got = self.text();
            Err(self.error(format!("Expected identifier, got: {got}")))
        }
    }

    fn identifier_before_ws(&mut self) -> Step<String> {
        self.lx.set_report_whitespace(true);
        let r = self.identifier();
        self.lx.set_report_whitespace(false);
        r
    }

    /// `{` or `<`; returns the closing delimiter.
    fn open(&mut self) -> Step<&'static str> {
        if self.try_consume("<") {
            Ok(">")
        } else {
            self.consume("{")?;
            Ok("}")
        }
    }

    fn deeper(&mut self) -> Step {
        self.depth += 1;
        if self.depth > DEPTH_LIMIT {
            Err(self.error(format!(
                "Message is too deep: protowasm reads at most {DEPTH_LIMIT} levels of nesting."
            )))
        } else {
            Ok(())
        }
    }

    /// Fields until `close`.
    fn body(&mut self, mt: &MessageType, msg: &mut Message, close: &str) -> Step {
        self.deeper()?;
        while !self.looking_at(">") && !self.looking_at("}") {
            self.field(mt, msg)?;
        }
        self.consume(close)?;
        self.depth -= 1;
        Ok(())
    }

    /// `[...]`: an extension name, or a type URL `prefix/full.Name`. Returns (name, prefix).
    fn bracketed_name(&mut self) -> Step<(String, String)> {
        self.lx.report_url_chars = true;
        let _ = self.try_consume("[");
        let mut text = String::new();
        while self.looking_at_kind(TokenKind::UrlChars) {
            text.push_str(&self.text());
            self.next();
        }
        self.lx.report_url_chars = false;
        self.consume_before_ws("]")?;
        let (prefix, name) = match text.rfind('/') {
            None => (String::new(), text),
            Some(slash) => (text[..=slash].to_string(), text[slash + 1..].to_string()),
        };
        if prefix == "/" {
            return Err(self.error("Type URL prefix is empty"));
        }
        if prefix.starts_with('/') {
            return Err(self.error("Type URL starts with \"/\""));
        }
        let bytes = prefix.as_bytes();
        for (i, &c) in bytes.iter().enumerate() {
            let hex = |j: usize| bytes.get(j).is_some_and(|c| c.is_ascii_hexdigit());
            if c == b'%' && !(hex(i + 1) && hex(i + 2) && i + 2 < bytes.len()) {
                let end = (i + 3).min(bytes.len());
                let got = String::from_utf8_lossy(&bytes[i..end]).into_owned();
                return Err(self.error(format!("Invalid percent encode, got: \"{got}\"")));
            }
        }
        if let Some(bad) = name.split('.').find(|id| !is_identifier(id.as_bytes())) {
            let bad = bad.to_string();
            return Err(self.error(format!("Invalid identifier in type name, got: \"{bad}\"")));
        }
        Ok((name, prefix))
    }

    /// `FindExtensionByPrintableName`: an extension of `mt` by its full name, or, in a
    /// MessageSet, by the name of the message type it carries.
    fn extension(&self, mt: &MessageType, name: &str) -> Option<&'s Field> {
        if mt.extension_ranges.is_empty() {
            return None;
        }
        match self.schema.extension_by_name(name) {
            Some((extendee, field)) if extendee == mt.full_name => Some(field),
            _ if mt.message_set && self.schema.message(name).is_some() => {
                self.schema.message_set_extension(&mt.full_name, name)
            }
            _ => None,
        }
    }

    /// `ConsumeField`: one field of `mt` with its value(s), into `msg`.
    fn field(&mut self, mt: &MessageType, msg: &mut Message) -> Step {
        if mt.is_any() && self.looking_at("[") {
            return self.any(msg);
        }
        let (field, name) = if self.looking_at("[") {
            let (name, prefix) = self.bracketed_name()?;
            if !prefix.is_empty() {
                return Err(self.error("Extension name contains \"/\""));
            }
            self.try_ws();
            match self.extension(mt, &name) {
                Some(f) => (f, name),
                None => {
                    return Err(self.error(format!(
                        "Extension \"{name}\" is not defined or is not an extension of \"{}\".",
                        mt.full_name
                    )))
                }
            }
        } else {
            let name = self.identifier_before_ws()?;
            self.try_ws();
            let found = self.schema_field(mt, &name).or_else(|| {
                // A group-like field also answers to its type's name (`MyGroup { }`).
                mt.field_by_name(&name.to_ascii_lowercase())
                    .filter(|f| f.group_like && simple_name(&f.type_name) == name)
            });
            match found {
                Some(f) => (f, name),
                None if mt.reserved_names.contains(&name) => {
                    let r = self.skip_after_name();
                    self.separator();
                    return r;
                }
                None => {
                    return Err(self.error(format!(
                        "Message type \"{}\" has no field named \"{name}\".",
                        mt.full_name
                    )))
                }
            }
        };
        if field.deprecated {
            self.warning(format!("text format contains deprecated field \"{name}\""));
        }
        if !field.repeated && is_set(msg, field) {
            return Err(self.error(format!(
                "Non-repeated field \"{name}\" is specified multiple times."
            )));
        }
        if let Some(oneof) = field.oneof {
            let other = msg.fields.iter().find_map(|(&n, values)| {
                let f = mt.field_by_number(n)?;
                (f.oneof == Some(oneof) && f.number != field.number && !values.is_empty())
                    .then_some(f)
            });
            if let Some(other) = other {
                let oneof_name = mt.oneofs.get(oneof as usize).cloned().unwrap_or_default();
                return Err(self.error(format!(
                    "Field \"{name}\" is specified along with field \"{}\", another member of oneof \"{oneof_name}\".",
                    other.name
                )));
            }
        }
        if field.is_message() {
            if self.try_consume_before_ws(":") {
                self.try_ws();
            }
        } else {
            self.consume_before_ws(":")?;
            self.try_ws();
        }
        if field.repeated && self.try_consume("[") {
            if !self.try_consume("]") {
                loop {
                    self.value(field, msg)?;
                    if self.try_consume("]") {
                        break;
                    }
                    self.consume(",")?;
                }
            }
        } else {
            self.value(field, msg)?;
        }
        self.separator();
        Ok(())
    }

    fn schema_field(&self, mt: &'s MessageType, name: &str) -> Option<&'s Field> {
        mt.field_by_name(name)
    }

    /// `[type.googleapis.com/pkg.Type] { ... }` in an `Any`: the value parsed as that type and
    /// stored serialized.
    fn any(&mut self, msg: &mut Message) -> Step {
        let (name, prefix) = self.bracketed_name()?;
        if prefix.is_empty() {
            return Err(self.error("Type URL prefix is missing"));
        }
        self.try_ws();
        if self.try_consume_before_ws(":") {
            self.try_ws();
        }
        let schema = self.schema;
        let Some(value_type) = schema.message(&name) else {
            return Err(self.error(format!(
                "Could not find type \"{prefix}{name}\" stored in google.protobuf.Any."
            )));
        };
        let close = self.open()?;
        let mut value = Message::default();
        self.body(value_type, &mut value, close)?;
        let serialized = write::message(schema, value_type, &value, false);
        self.sync();
        self.notes
            .extend(serialized.invalid_utf8.into_iter().map(Note::InvalidUtf8));
        let set = |n: u32| {
            msg.fields
                .get(&n)
                .and_then(|v| v.last())
                .is_some_and(|v| !matches!(v, Value::Bytes(b) if b.is_empty()))
        };
        if set(1) || set(2) {
            return Err(self.error("Non-repeated Any specified multiple times."));
        }
        msg.fields.insert(
            1,
            vec![Value::Bytes(format!("{prefix}{name}").into_bytes())],
        );
        msg.fields.insert(2, vec![Value::Bytes(serialized.bytes)]);
        self.separator();
        Ok(())
    }

    /// One value of `field` (a message in braces, or a scalar), added to `msg`.
    fn value(&mut self, field: &Field, msg: &mut Message) -> Step {
        let value = if field.is_message() {
            let schema = self.schema;
            let close = self.open()?;
            let mut sub = Message::default();
            match schema.message(&field.type_name) {
                Some(sub_type) => self.body(sub_type, &mut sub, close)?,
                None => return Err(self.error(format!("Type not defined: {}", field.type_name))),
            }
            Value::Message(sub)
        } else {
            match self.scalar(field)? {
                Some(v) => v,
                None => return Ok(()),
            }
        };
        let values = msg.fields.entry(field.number).or_default();
        if !field.repeated {
            values.clear();
        }
        values.push(value);
        Ok(())
    }

    /// `ConsumeFieldValue` for a non-message field.
    fn scalar(&mut self, field: &Field) -> Step<Option<Value>> {
        Ok(Some(match field.ty {
            ty::INT32 | ty::SINT32 | ty::SFIXED32 => {
                Value::I32(self.signed(i32::MAX as u64)? as i32)
            }
            ty::INT64 | ty::SINT64 | ty::SFIXED64 => Value::I64(self.signed(i64::MAX as u64)?),
            ty::UINT32 | ty::FIXED32 => Value::U32(self.unsigned(u64::from(u32::MAX))? as u32),
            ty::UINT64 | ty::FIXED64 => Value::U64(self.unsigned(u64::MAX)?),
            ty::FLOAT => Value::F32(safe_double_to_float(self.double()?)),
            ty::DOUBLE => Value::F64(self.double()?),
            ty::STRING | ty::BYTES => Value::Bytes(self.string()?),
            ty::BOOL => {
                if self.looking_at_kind(TokenKind::Integer) {
                    Value::Bool(self.unsigned(1)? != 0)
                } else {
                    match self.identifier()?.as_str() {
                        "true" | "True" | "t" => Value::Bool(true),
                        "false" | "False" | "f" => Value::Bool(false),
                        other => {
                            let other = other.to_string();
                            return Err(self.error(format!(
                                "Invalid value for boolean field \"{}\". Value: \"{other}\".",
                                field.name
                            )));
                        }
                    }
                }
            }
            ty::ENUM => return self.enum_value(field),
            _ => return Err(self.error(format!("Field \"{}\" has no value type.", field.name))),
        }))
    }

    fn enum_value(&mut self, field: &Field) -> Step<Option<Value>> {
        let enum_type = self.schema.enum_type(&field.type_name);
        let (written, number, by_number) = if self.looking_at_kind(TokenKind::Identifier) {
            let name = self.identifier()?;
            let number = enum_type.and_then(|e| e.number_of(&name));
            (name, number, None)
        } else if self.looking_at("-") || self.looking_at_kind(TokenKind::Integer) {
            let n = self.signed(i32::MAX as u64)? as i32;
            let known = enum_type.and_then(|e| e.name_of(n)).map(|_| n);
            (n.to_string(), known, Some(n))
        } else {
            let got = self.text();
            return Err(self.error(format!("Expected integer or identifier, got: {got}")));
        };
        match (number, by_number) {
            (Some(n), _) => Ok(Some(Value::Enum(n))),
            // An open enum field takes any number.
            (None, Some(n)) if !field.closed_enum => Ok(Some(Value::Enum(n))),
            _ => Err(self.error(format!(
                "Unknown enumeration value of \"{written}\" for field \"{}\".",
                field.name
            ))),
        }
    }

    fn unsigned(&mut self, max: u64) -> Step<u64> {
        if !self.looking_at_kind(TokenKind::Integer) {
            let got = self.text();
            return Err(self.error(format!("Expected integer, got: {got}")));
        }
        match parse_integer(&self.lx.current.text, max) {
            Some(v) => {
                self.next();
                Ok(v)
            }
            None => {
                let text = self.text();
                Err(self.error(format!("Integer out of range ({text})")))
            }
        }
    }

    /// An optional `-` and an integer of at most `max` (one more when negative).
    fn signed(&mut self, max: u64) -> Step<i64> {
        let negative = self.try_consume("-");
        let v = self.unsigned(if negative { max + 1 } else { max })?;
        Ok(if negative {
            (v as i64).wrapping_neg()
        } else {
            v as i64
        })
    }

    fn double(&mut self) -> Step<f64> {
        let negative = self.try_consume("-");
        let v = match self.lx.current.kind {
            TokenKind::Integer => {
                let text = self.text();
                let b = text.as_bytes();
                let hex = b.len() >= 2 && b[0] == b'0' && matches!(b[1], b'x' | b'X');
                let oct = b.len() >= 2 && b[0] == b'0' && (b'0'..b'8').contains(&b[1]);
                if hex || oct {
                    return Err(self.error(format!("Expect a decimal number, got: {text}")));
                }
                let v = match parse_integer(b, u64::MAX) {
                    Some(i) => i as f64,
                    // Past u64: read as a double instead.
                    None => parse_float(b).unwrap_or(0.0),
                };
                self.next();
                v
            }
            TokenKind::Float => {
                let v = parse_float(&self.lx.current.text).unwrap_or(0.0);
                self.next();
                v
            }
            TokenKind::Identifier => {
                let text = self.text().to_ascii_lowercase();
                let v = match text.as_str() {
                    "inf" | "infinity" => f64::INFINITY,
                    "nan" => f64::NAN,
                    _ => return Err(self.error(format!("Expected double, got: {text}"))),
                };
                self.next();
                v
            }
            _ => {
                let got = self.text();
                return Err(self.error(format!("Expected double, got: {got}")));
            }
        };
        Ok(if negative { -v } else { v })
    }

    /// One or more adjacent string literals, concatenated.
    fn string(&mut self) -> Step<Vec<u8>> {
        if !self.looking_at_kind(TokenKind::String) {
            let got = self.text();
            return Err(self.error(format!("Expected string, got: {got}")));
        }
        let mut out = Vec::new();
        while self.looking_at_kind(TokenKind::String) {
            unescape_append(&self.lx.current.text, &mut out);
            self.next();
        }
        Ok(out)
    }

    /// A reserved field's value, read and dropped, as protoc guesses its shape: after `:` a
    /// scalar (unless a brace follows), else a message.
    fn skip_after_name(&mut self) -> Step {
        if self.try_consume_before_ws(":") {
            self.try_ws();
            if !self.looking_at("{") && !self.looking_at("<") {
                return self.skip_value();
            }
        }
        self.skip_message()
    }

    fn skip_field(&mut self) -> Step {
        if self.looking_at("[") {
            self.bracketed_name()?;
        } else {
            self.identifier_before_ws()?;
        }
        self.try_ws();
        self.skip_after_name()?;
        self.separator();
        Ok(())
    }

    fn skip_message(&mut self) -> Step {
        self.deeper()?;
        let close = self.open()?;
        while !self.looking_at(">") && !self.looking_at("}") {
            self.skip_field()?;
        }
        self.consume(close)?;
        self.depth -= 1;
        Ok(())
    }

    fn skip_value(&mut self) -> Step {
        self.deeper()?;
        if self.looking_at_kind(TokenKind::String) {
            while self.looking_at_kind(TokenKind::String) {
                self.next();
            }
        } else if self.try_consume("[") {
            if !self.try_consume("]") {
                loop {
                    if self.looking_at("{") || self.looking_at("<") {
                        self.skip_message()?;
                    } else {
                        self.skip_value()?;
                    }
                    if self.try_consume("]") {
                        break;
                    }
                    self.consume(",")?;
                }
            }
        } else {
            let minus = self.try_consume("-");
            let kind = self.lx.current.kind;
            if !matches!(
                kind,
                TokenKind::Integer | TokenKind::Float | TokenKind::Identifier
            ) {
                let got = self.text();
                return Err(self.error(format!("Cannot skip field value, unexpected token: {got}")));
            }
            if minus && kind == TokenKind::Identifier {
                let text = self.text().to_ascii_lowercase();
                if !matches!(text.as_str(), "inf" | "infinity" | "nan") {
                    return Err(self.error(format!("Invalid float number: {text}")));
                }
            }
            self.next();
        }
        self.depth -= 1;
        Ok(())
    }
}

/// Whether a singular field already holds a value (`HasField`: implicit-presence fields only
/// when not zero).
fn is_set(msg: &Message, field: &Field) -> bool {
    msg.fields
        .get(&field.number)
        .and_then(|v| v.last())
        .is_some_and(|v| has(field, v))
}

fn simple_name(full_name: &str) -> &str {
    full_name.rsplit('.').next().unwrap_or(full_name)
}
