//! Recursive-descent parser for `.proto` files: protoc's grammar, errors, recovery and comment
//! attachment. Declarations (messages, fields, enums, services) are in `parser_decls.rs`.

use super::ast::*;
use super::lexer::{Lexer, TokenKind};
use super::literals;
use super::Diagnostic;

/// `Err(())` means an error was recorded and the caller should unwind (protoc's `DO(...)`).
pub(super) type P<T> = Result<T, ()>;

/// protoc's `MaxMessageDeclarationNestingDepth()`.
const MAX_NESTING: i32 = 32;

pub(super) const EDITION_2023: i32 = 1000;
pub(super) const EDITION_2024: i32 = 1001;
pub(super) const EDITION_UNSTABLE: i32 = 9999;

pub(super) fn edition_number(name: &str) -> Option<i32> {
    Some(match name {
        "UNKNOWN" => 0,
        "LEGACY" => 900,
        "PROTO2" => 998,
        "PROTO3" => 999,
        "2023" => EDITION_2023,
        "2024" => EDITION_2024,
        "2026" => 1002,
        "UNSTABLE" => EDITION_UNSTABLE,
        "1_TEST_ONLY" => 1,
        "2_TEST_ONLY" => 2,
        "99997_TEST_ONLY" => 99997,
        "99998_TEST_ONLY" => 99998,
        "99999_TEST_ONLY" => 99999,
        "MAX" => 0x7FFF_FFFF,
        _ => return None,
    })
}

pub(super) struct Parser<'a> {
    pub(super) lx: Lexer<'a>,
    /// "proto2", "proto3" or "editions" (protoc's `syntax_identifier_`).
    pub(super) syntax: String,
    pub(super) edition: i32,
    upcoming_doc: Option<Vec<u8>>,
    upcoming_detached: Vec<Vec<u8>>,
    pub(super) depth: i32,
    seen_option_import: bool,
    seen_package: bool,
}

pub fn parse_file(file_name: &str, source: &[u8]) -> Result<File, Vec<Diagnostic>> {
    let mut p = Parser {
        lx: Lexer::new(source),
        syntax: String::new(),
        edition: 0,
        upcoming_doc: None,
        upcoming_detached: Vec::new(),
        depth: MAX_NESTING,
        seen_option_import: false,
        seen_package: false,
    };
    let file = p.parse(file_name);
    match file {
        Some(f) if p.lx.errors.is_empty() => Ok(f),
        _ => {
            let mut errors = p.lx.errors;
            if errors.is_empty() {
                errors.push(Diagnostic {
                    line: -1,
                    col: 0,
                    message: "Parse failed.".into(),
                });
            }
            Err(errors)
        }
    }
}

impl<'a> Parser<'a> {
    // ---- token helpers -------------------------------------------------------------------

    pub(super) fn looking_at(&self, s: &str) -> bool {
        self.lx.current.is(s)
    }
    pub(super) fn looking_at_kind(&self, k: TokenKind) -> bool {
        self.lx.current.kind == k
    }
    pub(super) fn at_end(&self) -> bool {
        self.looking_at_kind(TokenKind::End)
    }
    pub(super) fn pos(&self) -> Pos {
        Pos {
            line: self.lx.current.line,
            col: self.lx.current.col,
        }
    }
    /// A span from `start` to the end of the last consumed token (protoc's `EndAt(previous)`).
    pub(super) fn span_from(&self, start: Pos) -> Span {
        let p = &self.lx.previous;
        Span {
            start,
            end: Pos {
                line: p.line,
                col: p.end_col,
            },
        }
    }
    pub(super) fn token_span(&self) -> Span {
        let t = &self.lx.current;
        Span {
            start: Pos {
                line: t.line,
                col: t.col,
            },
            end: Pos {
                line: t.line,
                col: t.end_col,
            },
        }
    }
    pub(super) fn error(&mut self, msg: impl Into<String>) {
        let (l, c) = (self.lx.current.line, self.lx.current.col);
        self.lx.error_at(l, c, msg);
    }
    pub(super) fn fail<T>(&mut self, msg: impl Into<String>) -> P<T> {
        self.error(msg);
        Err(())
    }
    pub(super) fn try_consume(&mut self, s: &str) -> bool {
        if self.looking_at(s) {
            self.lx.next();
            true
        } else {
            false
        }
    }
    pub(super) fn consume_msg(&mut self, s: &str, msg: &str) -> P<()> {
        if self.try_consume(s) {
            Ok(())
        } else {
            self.fail(msg)
        }
    }
    pub(super) fn consume(&mut self, s: &str) -> P<()> {
        if self.try_consume(s) {
            Ok(())
        } else {
            self.fail(format!("Expected \"{s}\"."))
        }
    }
    pub(super) fn consume_identifier(&mut self, msg: &str) -> P<String> {
        if self.looking_at_kind(TokenKind::Identifier) {
            let s = self.lx.current.text_str();
            self.lx.next();
            Ok(s)
        } else {
            self.fail(msg)
        }
    }
    pub(super) fn consume_ident(&mut self, msg: &str) -> P<Ident> {
        let span = self.token_span();
        Ok(Ident {
            name: self.consume_identifier(msg)?,
            span,
        })
    }
    /// protoc's `ConsumeInteger64`: out of range is an error but the token is consumed.
    pub(super) fn consume_integer64(&mut self, max: u64, msg: &str) -> P<u64> {
        if !self.looking_at_kind(TokenKind::Integer) {
            return self.fail(msg);
        }
        let v = literals::parse_integer(&self.lx.current.text, max);
        if v.is_none() {
            self.error("Integer out of range.");
        }
        self.lx.next();
        Ok(v.unwrap_or(0))
    }
    pub(super) fn consume_integer(&mut self, msg: &str) -> P<i32> {
        Ok(self.consume_integer64(i32::MAX as u64, msg)? as i32)
    }
    pub(super) fn consume_signed_integer(&mut self, msg: &str) -> P<i32> {
        let neg = self.try_consume("-");
        let v = self.consume_integer64(i32::MAX as u64 + u64::from(neg), msg)?;
        Ok(if neg {
            (v as i64).wrapping_neg() as i32
        } else {
            v as i32
        })
    }
    /// protoc's `ConsumeNumber` (float, integer, `inf`, `nan`).
    pub(super) fn consume_number(&mut self, msg: &str) -> P<f64> {
        let t = &self.lx.current;
        let v = match t.kind {
            TokenKind::Float => literals::parse_float(&t.text).unwrap_or(0.0),
            TokenKind::Integer => {
                if let Some(v) = literals::parse_integer(&t.text, u64::MAX) {
                    v as f64
                } else if t.text.first() == Some(&b'0') {
                    self.error("Integer out of range.");
                    0.0
                } else if let Some(v) = literals::parse_float(&t.text) {
                    v
                } else {
                    self.error("Integer out of range.");
                    0.0
                }
            }
            _ if t.is("inf") => f64::INFINITY,
            _ if t.is("nan") => f64::NAN,
            _ => return self.fail(msg),
        };
        self.lx.next();
        Ok(v)
    }
    /// One or more adjacent string literals, decoded and concatenated.
    pub(super) fn consume_string(&mut self, msg: &str) -> P<Vec<u8>> {
        if !self.looking_at_kind(TokenKind::String) {
            return self.fail(msg);
        }
        let mut out = Vec::new();
        while self.looking_at_kind(TokenKind::String) {
            literals::unescape_append(&self.lx.current.text, &mut out);
            self.lx.next();
        }
        Ok(out)
    }

    // ---- comments --------------------------------------------------------------------------

    /// protoc's `TryConsumeEndOfDeclaration`: `Some(comments)` when `attach` and consumed.
    pub(super) fn try_end_decl(&mut self, s: &str, attach: bool) -> Option<Comments> {
        if !self.looking_at(s) {
            return None;
        }
        let (_, tc) = self.lx.next_with_comments();
        let leading = std::mem::replace(&mut self.upcoming_doc, tc.next_leading);
        if attach {
            let detached = std::mem::replace(&mut self.upcoming_detached, tc.detached);
            Some(Comments {
                leading: leading.filter(|l| !l.is_empty()),
                trailing: tc.prev_trailing,
                detached,
            })
        } else {
            if s == "}" {
                self.upcoming_detached = tc.detached;
            } else {
                self.upcoming_detached.extend(tc.detached);
            }
            Some(Comments::default())
        }
    }
    pub(super) fn end_decl(&mut self, s: &str) -> P<Comments> {
        match self.try_end_decl(s, true) {
            Some(c) => Ok(c),
            None => self.fail(format!("Expected \"{s}\".")),
        }
    }

    pub(super) fn skip_statement(&mut self) {
        loop {
            if self.at_end() {
                return;
            }
            if self.looking_at_kind(TokenKind::Symbol) {
                if self.try_end_decl(";", false).is_some() {
                    return;
                } else if self.try_consume("{") {
                    self.skip_rest_of_block();
                    return;
                } else if self.looking_at("}") {
                    return;
                }
            }
            self.lx.next();
        }
    }

    pub(super) fn skip_rest_of_block(&mut self) {
        let mut count = 1usize;
        loop {
            if self.at_end() {
                return;
            }
            if self.looking_at_kind(TokenKind::Symbol) {
                if self.try_end_decl("}", false).is_some() {
                    count -= 1;
                    if count == 0 {
                        return;
                    }
                } else if self.try_consume("{") {
                    count += 1;
                }
            }
            self.lx.next();
        }
    }

    // ---- file level ------------------------------------------------------------------------

    fn parse(&mut self, file_name: &str) -> Option<File> {
        let (_, tc) = self.lx.next_with_comments();
        self.upcoming_doc = tc.next_leading;
        self.upcoming_detached = tc.detached;
        let start = self.pos();
        let mut syntax = None;
        if self.looking_at("syntax") || self.looking_at("edition") {
            syntax = Some(self.parse_syntax().ok()?);
        } else {
            self.syntax = "proto2".into();
        }
        let mut items = Vec::new();
        while !self.at_end() {
            match self.parse_top_level() {
                Ok(Some(item)) => items.push(item),
                Ok(None) => {}
                Err(()) => {
                    self.skip_statement();
                    if self.looking_at("}") {
                        self.error("Unmatched \"}\".");
                        let (_, tc) = self.lx.next_with_comments();
                        self.upcoming_doc = tc.next_leading;
                        self.upcoming_detached = tc.detached;
                    }
                }
            }
        }
        let span = self.span_from(start);
        let warnings = std::mem::take(&mut self.lx.warnings);
        Some(File {
            name: file_name.to_string(),
            span,
            syntax,
            items,
            warnings,
        })
    }

    fn parse_syntax(&mut self) -> P<Syntax> {
        let start = self.pos();
        let is_edition = self.try_consume("edition");
        if !is_edition {
            self.consume_msg(
                "syntax",
                "File must begin with an edition or syntax statement, e.g. 'edition = \"2023\";'.",
            )?;
        }
        self.consume("=")?;
        let (line, col) = (self.lx.current.line, self.lx.current.col);
        let value = self.consume_string("Expected syntax identifier.")?;
        let comments = self.end_decl(";")?;
        let span = self.span_from(start);
        let value = String::from_utf8_lossy(&value).into_owned();
        let kind = if is_edition {
            match edition_number(&value) {
                Some(n) if n != 0 && n != 998 && n != 999 => self.edition = n,
                _ => {
                    self.lx
                        .error_at(line, col, format!("Unknown edition \"{value}\"."));
                    return Err(());
                }
            }
            self.syntax = "editions".into();
            SyntaxKind::Edition(value)
        } else {
            self.syntax = value.clone();
            if value != "proto2" && value != "proto3" {
                self.lx.error_at(
                    line,
                    col,
                    format!(
                        "Unrecognized syntax identifier \"{value}\".  This parser only recognizes \
                         \"proto2\" and \"proto3\"."
                    ),
                );
                return Err(());
            }
            SyntaxKind::Syntax(value)
        };
        Ok(Syntax {
            kind,
            span,
            comments,
        })
    }

    fn parse_top_level(&mut self) -> P<Option<FileItem>> {
        self.depth = MAX_NESTING;
        if self.try_end_decl(";", false).is_some() {
            return Ok(None);
        }
        let visibility = self.parse_visibility()?;
        let item = if self.looking_at("message") {
            FileItem::Message(self.parse_message(visibility)?)
        } else if self.looking_at("enum") {
            FileItem::Enum(self.parse_enum(visibility)?)
        } else if self.looking_at("service") {
            FileItem::Service(self.parse_service()?)
        } else if self.looking_at("extend") {
            FileItem::Extend(self.parse_extend()?)
        } else if self.looking_at("import") {
            FileItem::Import(self.parse_import()?)
        } else if self.looking_at("package") {
            FileItem::Package(self.parse_package()?)
        } else if self.looking_at("option") {
            FileItem::Option(self.parse_option_statement()?)
        } else {
            return self.fail("Expected top-level statement (e.g. \"message\").");
        };
        Ok(Some(item))
    }

    /// `export` / `local` (edition 2024 and later only; earlier they are ordinary names).
    pub(super) fn parse_visibility(&mut self) -> P<Option<Visibility>> {
        if !(self.looking_at("export") || self.looking_at("local")) || self.edition <= EDITION_2023
        {
            return Ok(None);
        }
        let v = if self.try_consume("export") {
            Visibility::Export
        } else {
            self.lx.next();
            Visibility::Local
        };
        if !self.looking_at("message") && !self.looking_at("enum") {
            return self.fail(
                "'local' and 'export' visibility modifiers are valid only on 'message' and 'enum'",
            );
        }
        Ok(Some(v))
    }

    fn parse_package(&mut self) -> P<Package> {
        if self.seen_package {
            self.error("Multiple package definitions.");
        }
        self.seen_package = true;
        let start = self.pos();
        self.consume("package")?;
        let mut name = String::new();
        loop {
            name.push_str(&self.consume_identifier("Expected identifier.")?);
            if !self.try_consume(".") {
                break;
            }
            name.push('.');
        }
        let comments = self.end_decl(";")?;
        Ok(Package {
            name,
            span: self.span_from(start),
            comments,
        })
    }

    fn parse_import(&mut self) -> P<Import> {
        let start = self.pos();
        self.consume("import")?;
        let mut kind = ImportKind::Normal;
        let mut modifier_span = None;
        if self.looking_at("option") {
            if self.edition < EDITION_2024 {
                self.error("option import is not supported before edition 2024.");
            }
            self.lx.next();
            self.seen_option_import = true;
            kind = ImportKind::Option;
        } else if self.seen_option_import {
            self.error(
                "imports should precede any option imports to ensure proto files can roundtrip.",
            );
        }
        if kind == ImportKind::Option {
        } else if self.looking_at("public") {
            modifier_span = Some(self.token_span());
            self.lx.next();
            kind = ImportKind::Public;
        } else if self.looking_at("weak") {
            if self.edition >= EDITION_2024 {
                self.error(
                    "weak import is not supported in edition 2024 and above. Consider using \
                     option import instead.",
                );
            }
            modifier_span = Some(self.token_span());
            self.lx.next();
            kind = ImportKind::Weak;
        }
        let path = self.consume_string("Expected a string naming the file to import.")?;
        let comments = self.end_decl(";")?;
        Ok(Import {
            kind,
            path,
            span: self.span_from(start),
            modifier_span,
            comments,
        })
    }
}
