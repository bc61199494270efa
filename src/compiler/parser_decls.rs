//! Declarations: messages, fields (maps, groups, defaults), oneofs, extension ranges, reserved,
//! extend blocks, enums and services, with protoc's error messages and recovery.

use super::ast::*;
use super::lexer::TokenKind;
use super::literals;
use super::parser::{Parser, EDITION_UNSTABLE, P};

fn fixed_wire_scalar(name: &[u8]) -> Option<ScalarType> {
    Some(match name {
        b"double" => ScalarType::Double,
        b"float" => ScalarType::Float,
        b"uint64" => ScalarType::Fixed64,
        b"bool" => ScalarType::Bool,
        b"string" => ScalarType::String,
        b"group" => ScalarType::Group,
        b"bytes" => ScalarType::Bytes,
        b"uint32" => ScalarType::Fixed32,
        b"int32" => ScalarType::Sfixed32,
        b"int64" => ScalarType::Sfixed64,
        b"varint32" => ScalarType::Int32,
        b"varint64" => ScalarType::Int64,
        b"uvarint32" => ScalarType::Uint32,
        b"uvarint64" => ScalarType::Uint64,
        b"zigzag32" => ScalarType::Sint32,
        b"zigzag64" => ScalarType::Sint64,
        _ => return None,
    })
}

fn obsolete_replacement(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"fixed32" => "uint32",
        b"fixed64" => "uint64",
        b"sfixed32" => "int32",
        b"sfixed64" => "int64",
        b"sint32" => "zigzag32",
        b"sint64" => "zigzag64",
        _ => return None,
    })
}

impl<'a> Parser<'a> {
    fn editions(&self) -> bool {
        self.syntax == "editions"
    }

    // ---- messages ----------------------------------------------------------------------------

    pub(super) fn parse_message(&mut self, visibility: Option<Visibility>) -> P<Message> {
        let start = self.pos();
        self.depth -= 1;
        let r = self.parse_message_inner(visibility, start);
        self.depth += 1;
        r
    }

    fn parse_message_inner(&mut self, visibility: Option<Visibility>, start: Pos) -> P<Message> {
        if self.depth <= 0 {
            return self.fail("Reached maximum recursion limit for nested messages.");
        }
        self.consume("message")?;
        let name = self.consume_ident("Expected message name.")?;
        let (comments, body) = self.parse_message_block()?;
        Ok(Message {
            visibility,
            name,
            span: self.span_from(start),
            comments,
            body,
        })
    }

    fn parse_message_block(&mut self) -> P<(Comments, Vec<MessageItem>)> {
        let comments = self.end_decl("{")?;
        let mut body = Vec::new();
        while self.try_end_decl("}", false).is_none() {
            if self.at_end() {
                return self.fail("Reached end of input in message definition (missing '}').");
            }
            match self.parse_message_statement(&body) {
                Ok(Some(item)) => body.push(item),
                Ok(None) => {}
                Err(()) => self.skip_statement(),
            }
        }
        self.validate_message(&body)?;
        Ok((comments, body))
    }

    fn validate_message(&mut self, body: &[MessageItem]) -> P<()> {
        for item in body {
            if let MessageItem::Option(o) = item {
                let n = &o.option.name[0];
                if !n.is_extension && n.name == "map_entry" {
                    self.lx.error_at(
                        n.span.start.line,
                        n.span.start.col,
                        "map_entry should not be set explicitly. Use map<KeyType, ValueType> \
                         instead.",
                    );
                    return Err(());
                }
            }
        }
        Ok(())
    }

    fn oneof_count(body: &[MessageItem]) -> usize {
        body.iter()
            .filter(|i| matches!(i, MessageItem::Oneof(_)))
            .count()
    }

    fn parse_message_statement(&mut self, body: &[MessageItem]) -> P<Option<MessageItem>> {
        if self.try_end_decl(";", false).is_some() {
            return Ok(None);
        }
        let visibility = self.parse_visibility()?;
        let item = if self.looking_at("message") {
            MessageItem::Message(self.parse_message(visibility)?)
        } else if self.looking_at("enum") {
            MessageItem::Enum(self.parse_enum(visibility)?)
        } else if self.looking_at("extensions") {
            MessageItem::Extensions(self.parse_extensions()?)
        } else if self.looking_at("reserved") {
            MessageItem::Reserved(self.parse_reserved(false)?)
        } else if self.looking_at("extend") {
            MessageItem::Extend(self.parse_extend()?)
        } else if self.looking_at("option") {
            MessageItem::Option(self.parse_option_statement()?)
        } else if self.looking_at("oneof") {
            let index = Self::oneof_count(body);
            MessageItem::Oneof(self.parse_oneof(index)?)
        } else {
            MessageItem::Field(Box::new(self.parse_field(None, None)?))
        };
        Ok(Some(item))
    }

    // ---- fields ------------------------------------------------------------------------------

    /// A field with an optional label (message body or extend block).
    fn parse_field(&mut self, oneof: Option<usize>, extendee: Option<(String, Span)>) -> P<Field> {
        let start = self.pos();
        let mut label = None;
        if self.looking_at("optional") || self.looking_at("repeated") || self.looking_at("required")
        {
            if self.looking_at("optional") && self.editions() {
                self.error(
                    "Label \"optional\" is not supported in editions. By default, all singular \
                     fields have presence unless features.field_presence is set.",
                );
            }
            if self.looking_at("required") && self.editions() {
                self.error(
                    "Label \"required\" is not supported in editions, use \
                     features.field_presence = LEGACY_REQUIRED.",
                );
            }
            let span = self.token_span();
            let l = match &self.lx.current.text[..] {
                b"optional" => Label::Optional,
                b"repeated" => Label::Repeated,
                _ => Label::Required,
            };
            self.lx.next();
            label = Some((l, span));
        }
        self.parse_field_no_label(start, label, oneof, extendee)
    }

    fn parse_field_no_label(
        &mut self,
        start: Pos,
        label: Option<(Label, Span)>,
        oneof: Option<usize>,
        extendee: Option<(String, Span)>,
    ) -> P<Field> {
        let type_start = self.pos();
        let mut ty = None;
        if self.try_consume("map") {
            if self.looking_at("<") {
                if oneof.is_some() {
                    return self.fail("Map fields are not allowed in oneofs.");
                }
                if label.is_some() {
                    return self.fail(
                        "Field labels (required/optional/repeated) are not allowed on map fields.",
                    );
                }
                if extendee.is_some() {
                    return self.fail("Map fields are not allowed to be extensions.");
                }
                self.consume("<")?;
                let key = self.parse_type()?;
                self.consume(",")?;
                let value = self.parse_type()?;
                self.consume(">")?;
                ty = Some(FieldType::Map { key, value });
            } else {
                ty = Some(FieldType::Single(TypeName::Named("map".into())));
            }
        }
        if !matches!(ty, Some(FieldType::Map { .. })) {
            let implicit = self.syntax == "proto3" || self.editions() || oneof.is_some();
            if label.is_none() && !implicit {
                self.error("Expected \"required\", \"optional\", or \"repeated\".");
            }
            if ty.is_none() {
                ty = Some(match self.parse_type()? {
                    TypeName::Scalar(ScalarType::Group) => FieldType::Group,
                    t => FieldType::Single(t),
                });
            }
        }
        let ty = ty.expect("set on every path above");
        let type_span = self.span_from(type_start);
        let name_token = self.token_span();
        let mut name = self.consume_ident("Expected field name.")?;
        self.consume_msg("=", "Missing field number.")?;
        let number_span = self.token_span();
        let number = self.consume_integer("Expected field number.")?;
        let options = self.parse_field_options(&ty)?;
        let mut field = Field {
            label,
            ty,
            type_span,
            name: name.clone(),
            number,
            number_span,
            options,
            span: Span::default(),
            comments: Comments::default(),
            extendee,
            oneof_index: oneof,
            group: None,
        };
        if field.ty == FieldType::Group {
            if !name.name.as_bytes()[0].is_ascii_uppercase() {
                let s = name_token.start;
                self.lx.error_at(
                    s.line,
                    s.col,
                    "Group names must start with a capital letter.",
                );
            }
            let group_name = name.name.clone();
            name.name.make_ascii_lowercase();
            field.name.name = name.name;
            if !self.looking_at("{") {
                return self.fail("Missing group body.");
            }
            self.depth -= 1;
            let r = if self.depth <= 0 {
                self.fail("Reached maximum recursion limit for nested messages.")
            } else {
                self.parse_message_block()
            };
            self.depth += 1;
            let (comments, body) = r?;
            field.group = Some(GroupBody {
                name: group_name,
                comments,
                body,
            });
        } else {
            field.comments = self.end_decl(";")?;
        }
        field.span = self.span_from(start);
        Ok(field)
    }

    fn parse_type(&mut self) -> P<TypeName> {
        let text = self.lx.current.text.clone();
        let unstable = self.editions() && self.edition == EDITION_UNSTABLE;
        let scalar = if unstable {
            fixed_wire_scalar(&text)
        } else {
            ScalarType::from_name(&text)
        };
        if let Some(s) = scalar {
            if self.editions() && s == ScalarType::Group {
                self.error(
                    "Group syntax is no longer supported in editions. To get group behavior you \
                     can specify features.message_encoding = DELIMITED on a message field.",
                );
            }
            self.lx.next();
            return Ok(TypeName::Scalar(s));
        }
        if unstable {
            if let Some(r) = obsolete_replacement(&text) {
                let t = String::from_utf8_lossy(&text).into_owned();
                self.error(format!(
                    "Type '{t}' is obsolete in unstable editions, use '{r}' instead."
                ));
                self.lx.next();
                return Ok(TypeName::Scalar(ScalarType::Int32));
            }
        }
        Ok(TypeName::Named(self.parse_user_type()?))
    }

    /// A message or enum type name, `.a.b.C` or `a.B`.
    pub(super) fn parse_user_type(&mut self) -> P<String> {
        if ScalarType::from_name(&self.lx.current.text).is_some() {
            self.error("Expected message type.");
            let t = self.lx.current.text_str();
            self.lx.next();
            return Ok(t);
        }
        let mut name = String::new();
        if self.try_consume(".") {
            name.push('.');
        }
        name.push_str(&self.consume_identifier("Expected type name.")?);
        while self.try_consume(".") {
            name.push('.');
            name.push_str(&self.consume_identifier("Expected identifier.")?);
        }
        Ok(name)
    }

    fn parse_field_options(&mut self, ty: &FieldType) -> P<Option<FieldOptions>> {
        if !self.looking_at("[") {
            return Ok(None);
        }
        let start = self.pos();
        self.consume("[")?;
        let mut entries = Vec::new();
        let (mut has_default, mut has_json) = (false, false);
        loop {
            if self.looking_at("default") {
                if has_default {
                    self.error("Already set option \"default\".");
                }
                has_default = true;
                entries.push(self.parse_default(ty)?);
            } else if self.looking_at("json_name") {
                if has_json {
                    self.error("Already set option \"json_name\".");
                }
                has_json = true;
                let s = self.pos();
                self.consume("json_name")?;
                self.consume("=")?;
                let vs = self.pos();
                let value = self.consume_string("Expected string for JSON name.")?;
                let value_span = self.span_from(vs);
                entries.push(FieldOption::JsonName {
                    value,
                    span: self.span_from(s),
                    value_span,
                });
            } else {
                let s = self.pos();
                entries.push(FieldOption::Option(self.parse_option_body(s)?));
            }
            if !self.try_consume(",") {
                break;
            }
        }
        self.consume("]")?;
        Ok(Some(FieldOptions {
            span: self.span_from(start),
            entries,
        }))
    }

    /// `default = ...`, formatted into protoc's `default_value` string.
    fn parse_default(&mut self, ty: &FieldType) -> P<FieldOption> {
        self.consume("default")?;
        self.consume("=")?;
        let start = self.pos();
        let scalar = match ty {
            FieldType::Single(TypeName::Scalar(s)) => *s,
            FieldType::Group => ScalarType::Group,
            _ => {
                // Type not known yet: protoc keeps the raw text of one token.
                let value = self.lx.current.text.clone();
                self.lx.next();
                return Ok(FieldOption::Default {
                    value,
                    span: self.span_from(start),
                });
            }
        };
        use ScalarType as S;
        let mut value = Vec::new();
        match scalar {
            S::Int32 | S::Int64 | S::Sint32 | S::Sint64 | S::Sfixed32 | S::Sfixed64 => {
                let mut max = if matches!(scalar, S::Int32 | S::Sint32 | S::Sfixed32) {
                    i32::MAX as u64
                } else {
                    i64::MAX as u64
                };
                if self.try_consume("-") {
                    value.push(b'-');
                    max += 1;
                }
                let v = self.consume_integer64(max, "Expected integer for field default value.")?;
                value.extend_from_slice(v.to_string().as_bytes());
            }
            S::Uint32 | S::Uint64 | S::Fixed32 | S::Fixed64 => {
                let max = if matches!(scalar, S::Uint32 | S::Fixed32) {
                    u32::MAX as u64
                } else {
                    u64::MAX
                };
                if self.try_consume("-") {
                    self.error("Unsigned field can't have negative default value.");
                }
                let v = self.consume_integer64(max, "Expected integer for field default value.")?;
                value.extend_from_slice(v.to_string().as_bytes());
            }
            S::Float | S::Double => {
                if self.try_consume("-") {
                    value.push(b'-');
                }
                let v = self.consume_number("Expected number.")?;
                value.extend_from_slice(literals::simple_dtoa(v).as_bytes());
            }
            S::Bool => {
                if self.try_consume("true") {
                    value = b"true".to_vec();
                } else if self.try_consume("false") {
                    value = b"false".to_vec();
                } else {
                    return self.fail("Expected \"true\" or \"false\".");
                }
            }
            S::String => value = self.consume_string("Expected string for field default value.")?,
            S::Bytes => value = literals::c_escape(&self.consume_string("Expected string.")?),
            S::Group => return self.fail("Messages can't have default values."),
        }
        Ok(FieldOption::Default {
            value,
            span: self.span_from(start),
        })
    }

    // ---- oneof, extensions, reserved, extend -------------------------------------------------

    fn parse_oneof(&mut self, index: usize) -> P<Oneof> {
        let start = self.pos();
        self.consume("oneof")?;
        let name = self.consume_ident("Expected oneof name.")?;
        let comments = self.end_decl("{")?;
        let mut items = Vec::new();
        loop {
            if self.at_end() {
                return self.fail("Reached end of input in oneof definition (missing '}').");
            }
            if self.looking_at("option") {
                items.push(OneofItem::Option(self.parse_option_statement()?));
            } else {
                if self.looking_at("required")
                    || self.looking_at("optional")
                    || self.looking_at("repeated")
                {
                    self.error(
                        "Fields in oneofs must not have labels (required / optional / repeated).",
                    );
                    self.lx.next();
                }
                let fstart = self.pos();
                match self.parse_field_no_label(fstart, None, Some(index), None) {
                    Ok(f) => items.push(OneofItem::Field(Box::new(f))),
                    Err(()) => self.skip_statement(),
                }
            }
            if self.try_end_decl("}", false).is_some() {
                break;
            }
        }
        Ok(Oneof {
            name,
            span: self.span_from(start),
            comments,
            items,
        })
    }

    /// `N`, `N to M` or `N to max`, signed for enums.
    fn parse_range(&mut self, first_msg: &str, signed: bool) -> P<Range> {
        let start = self.pos();
        let start_tok = self.token_span();
        let value = if signed {
            self.consume_signed_integer(first_msg)?
        } else {
            let v = self.consume_integer(first_msg)?;
            if v == i32::MAX {
                return self.fail("Field number out of bounds.");
            }
            v
        };
        let start_span = self.span_from(start);
        let (end, end_span) = if self.try_consume("to") {
            let es = self.pos();
            let end = if self.try_consume("max") {
                RangeEnd::Max
            } else if signed {
                RangeEnd::Value(self.consume_signed_integer("Expected integer.")?)
            } else {
                let v = self.consume_integer("Expected integer.")?;
                if v == i32::MAX {
                    return self.fail("Field number out of bounds.");
                }
                RangeEnd::Value(v)
            };
            (end, self.span_from(es))
        } else {
            (RangeEnd::Single, start_tok)
        };
        Ok(Range {
            start: value,
            end,
            span: self.span_from(start),
            start_span,
            end_span,
        })
    }

    fn parse_extensions(&mut self) -> P<Extensions> {
        let start = self.pos();
        self.consume("extensions")?;
        let mut ranges = Vec::new();
        loop {
            ranges.push(self.parse_range("Expected field number range.", false)?);
            if !self.try_consume(",") {
                break;
            }
        }
        let options = self.parse_compact_options()?;
        let comments = self.end_decl(";")?;
        Ok(Extensions {
            ranges,
            options,
            span: self.span_from(start),
            comments,
        })
    }

    pub(super) fn parse_reserved(&mut self, in_enum: bool) -> P<Reserved> {
        let start = self.pos();
        self.consume("reserved")?;
        let (what, kind) = if in_enum {
            ("enum value", "enum")
        } else {
            ("field name", "field")
        };
        let kind = if self.looking_at_kind(TokenKind::String) {
            if self.editions() {
                return self
                    .fail("Reserved names must be identifiers in editions, not string literals.");
            }
            let mut names = Vec::new();
            loop {
                let s = self.pos();
                let v = self.consume_string(&format!("Expected {what} string literal."))?;
                if !literals::is_identifier(&v) {
                    let message = format!(
                        "Reserved name \"{}\" is not a valid identifier.",
                        String::from_utf8_lossy(&v)
                    );
                    self.lx.warnings.push(super::Diagnostic {
                        line: s.line,
                        col: s.col,
                        message,
                    });
                }
                names.push((v, self.span_from(s)));
                if !self.try_consume(",") {
                    break;
                }
            }
            ReservedKind::Names(names)
        } else if self.looking_at_kind(TokenKind::Identifier) {
            if !self.editions() {
                return self.fail(
                    "Reserved names must be string literals. (Only editions supports \
                     identifiers.)",
                );
            }
            let mut names = Vec::new();
            loop {
                let id = self.consume_ident(&format!("Expected {what} identifier."))?;
                names.push((id.name.into_bytes(), id.span));
                if !self.try_consume(",") {
                    break;
                }
            }
            ReservedKind::Names(names)
        } else {
            let mut ranges = Vec::new();
            let first = format!("Expected {what} or number range.");
            let rest = format!("Expected {kind} number range.");
            loop {
                let msg = if ranges.is_empty() { &first } else { &rest };
                ranges.push(self.parse_range(msg, in_enum)?);
                if !self.try_consume(",") {
                    break;
                }
            }
            ReservedKind::Ranges(ranges)
        };
        let comments = self.end_decl(";")?;
        Ok(Reserved {
            kind,
            span: self.span_from(start),
            comments,
        })
    }

    pub(super) fn parse_extend(&mut self) -> P<Extend> {
        let start = self.pos();
        self.consume("extend")?;
        let es = self.pos();
        let extendee = self.parse_user_type()?;
        let extendee_span = self.span_from(es);
        let comments = self.end_decl("{")?;
        let mut fields = Vec::new();
        loop {
            if self.at_end() {
                return self.fail("Reached end of input in extend definition (missing '}').");
            }
            match self.parse_field(None, Some((extendee.clone(), extendee_span))) {
                Ok(f) => fields.push(f),
                Err(()) => self.skip_statement(),
            }
            if self.try_end_decl("}", false).is_some() {
                break;
            }
        }
        Ok(Extend {
            extendee,
            extendee_span,
            span: self.span_from(start),
            comments,
            fields,
        })
    }
}
