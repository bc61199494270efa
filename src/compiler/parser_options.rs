//! Option syntax: `option x = y;`, `[a = 1, b = 2]`, option names with `(ext).parts`, values,
//! and aggregate `{ ... }` values rebuilt as text the way protoc builds `aggregate_value`.

use super::ast::*;
use super::lexer::TokenKind;
use super::parser::{Parser, P};

impl<'a> Parser<'a> {
    /// `option name = value;`
    pub(super) fn parse_option_statement(&mut self) -> P<OptionStatement> {
        let start = self.pos();
        self.consume("option")?;
        let mut option = self.parse_option_body(start)?;
        let comments = self.end_decl(";")?;
        option.span = self.span_from(start);
        Ok(OptionStatement { option, comments })
    }

    /// `[a = 1, b = 2]` after an enum value or extension range.
    pub(super) fn parse_compact_options(&mut self) -> P<Option<CompactOptions>> {
        if !self.looking_at("[") {
            return Ok(None);
        }
        let start = self.pos();
        self.consume("[")?;
        let mut options = Vec::new();
        loop {
            let s = self.pos();
            options.push(self.parse_option_body(s)?);
            if !self.try_consume(",") {
                break;
            }
        }
        self.consume("]")?;
        Ok(Some(CompactOptions {
            span: self.span_from(start),
            options,
        }))
    }

    /// `name = value` (protoc's ParseOption after the `option` keyword).
    pub(super) fn parse_option_body(&mut self, start: Pos) -> P<OptionAssignment> {
        let name_start = self.pos();
        let mut name = vec![self.parse_option_name_part()?];
        while self.looking_at(".") {
            self.consume(".")?;
            name.push(self.parse_option_name_part()?);
        }
        let name_span = self.span_from(name_start);
        self.consume("=")?;
        let value_start = self.pos();
        let negative = self.try_consume("-");
        let (value, value_field) = match self.lx.current.kind {
            TokenKind::End => {
                return self.fail("Unexpected end of stream while parsing option value.")
            }
            TokenKind::Identifier => {
                let id = self.consume_identifier("Expected identifier.")?;
                // protoc records the identifier path (3) even for `-inf` / `-nan`.
                let v = if !negative {
                    OptionValue::Identifier(id)
                } else if id == "inf" {
                    OptionValue::Double(f64::NEG_INFINITY)
                } else if id == "nan" {
                    OptionValue::Double(f64::NAN)
                } else {
                    return self.fail("Identifier after '-' symbol must be inf or nan.");
                };
                (v, 3)
            }
            TokenKind::Integer | TokenKind::Float => self.parse_numeric_value(negative)?,
            TokenKind::String => {
                if negative {
                    return self.fail("Invalid '-' symbol before string.");
                }
                (
                    OptionValue::String(self.consume_string("Expected string.")?),
                    7,
                )
            }
            _ => {
                if !self.looking_at("{") {
                    return self.fail("Expected option value.");
                }
                (OptionValue::Aggregate(self.parse_aggregate()?), 8)
            }
        };
        let value_span = self.span_from(value_start);
        Ok(OptionAssignment {
            name,
            name_span,
            value,
            value_field,
            value_span,
            span: self.span_from(start),
        })
    }

    fn parse_numeric_value(&mut self, negative: bool) -> P<(OptionValue, i32)> {
        if self.looking_at_kind(TokenKind::Integer) {
            let max = if negative {
                i64::MAX as u64 + 1
            } else {
                u64::MAX
            };
            if let Some(v) = super::literals::parse_integer(&self.lx.current.text, max) {
                self.lx.next();
                return Ok(if negative {
                    (OptionValue::NegativeInt((v as i64).wrapping_neg()), 5)
                } else {
                    (OptionValue::PositiveInt(v), 4)
                });
            }
        }
        let v = self.consume_number("Expected number.")?;
        Ok((OptionValue::Double(if negative { -v } else { v }), 6))
    }

    fn parse_option_name_part(&mut self) -> P<OptionNamePart> {
        let start = self.pos();
        if self.looking_at("(") {
            self.consume("(")?;
            let inner = self.pos();
            let mut name = String::new();
            if self.looking_at_kind(TokenKind::Identifier) {
                name.push_str(&self.consume_identifier("Expected identifier.")?);
            }
            while self.looking_at(".") {
                self.consume(".")?;
                name.push('.');
                name.push_str(&self.consume_identifier("Expected identifier.")?);
            }
            let name_part_span = self.span_from(inner);
            self.consume(")")?;
            Ok(OptionNamePart {
                name,
                is_extension: true,
                span: self.span_from(start),
                name_part_span,
            })
        } else {
            let name = self.consume_identifier("Expected identifier.")?;
            let span = self.span_from(start);
            Ok(OptionNamePart {
                name,
                is_extension: false,
                span,
                name_part_span: span,
            })
        }
    }

    /// protoc's ParseUninterpretedBlock: the tokens between the braces, re-read with whitespace
    /// tokens on; gaps (comments) become newlines plus indentation, or spaces.
    fn parse_aggregate(&mut self) -> P<Vec<u8>> {
        let mut value = Vec::new();
        let mut depth = 1;
        self.lx.set_report_whitespace_and_newlines(true);
        self.lx.next();
        while !self.at_end() {
            if self.looking_at("{") {
                depth += 1;
            } else if self.looking_at("}") {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            let cur = &self.lx.current;
            let prev = &self.lx.previous;
            let prev_end_line = if prev.kind == TokenKind::Newline {
                prev.line + 1
            } else {
                prev.line
            };
            if cur.line > prev_end_line {
                value.extend(std::iter::repeat_n(
                    b'\n',
                    (cur.line - prev_end_line) as usize,
                ));
                value.extend(std::iter::repeat_n(b' ', cur.col.max(0) as usize));
            } else if cur.line == prev_end_line && cur.col > prev.end_col {
                value.extend(std::iter::repeat_n(b' ', (cur.col - prev.end_col) as usize));
            }
            value.extend_from_slice(&cur.text);
            self.lx.next();
        }
        self.lx.set_report_whitespace_and_newlines(false);
        if depth == 0 {
            self.lx.next();
            Ok(value)
        } else {
            self.fail("Unexpected end of stream while parsing aggregate value.")
        }
    }
}
