//! Streaming `.proto` tokenizer with protoc's exact positions, errors and comment attachment.
//!
//! The lexer is pulled one token at a time by the parser, like protoc's `io::Tokenizer`, because
//! two things depend on the parser's state: aggregate option values are read with whitespace
//! tokens switched on, and comments are only collected at declaration boundaries
//! (`next_with_comments`). Lines and columns are 0-based; a tab advances the column to the next
//! multiple of 8.

use super::Diagnostic;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Start,
    End,
    Identifier,
    Integer,
    Float,
    String,
    Symbol,
    Whitespace,
    Newline,
    /// A run of type-URL characters, read only in [`Lexer::report_url_chars`] mode (the text
    /// format's `[type.googleapis.com/pkg.Type]`).
    UrlChars,
}

/// One token. `text` is the raw source bytes (string literals keep their quotes and escapes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub text: Vec<u8>,
    pub line: i32,
    pub col: i32,
    pub end_col: i32,
}

impl Token {
    fn start() -> Token {
        Token {
            kind: TokenKind::Start,
            text: Vec::new(),
            line: 0,
            col: 0,
            end_col: 0,
        }
    }
    pub fn is(&self, s: &str) -> bool {
        self.text == s.as_bytes()
    }
    /// Token text as a `String` (identifiers and symbols are ASCII; anything else is lossy).
    pub fn text_str(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }
}

/// The comments protoc reports around a token read by [`Lexer::next_with_comments`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenComments {
    /// Trailing comment of the previous token (`None` when there was none).
    pub prev_trailing: Option<Vec<u8>>,
    pub detached: Vec<Vec<u8>>,
    /// Leading comment of the new current token.
    pub next_leading: Option<Vec<u8>>,
}

const TAB_WIDTH: i32 = 8;

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}
fn is_ws_no_nl(c: u8) -> bool {
    c != b'\n' && is_ws(c)
}
fn is_letter(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}
fn is_alnum(c: u8) -> bool {
    is_letter(c) || c.is_ascii_digit()
}
fn is_octal(c: u8) -> bool {
    (b'0'..=b'7').contains(&c)
}
fn is_url_char(c: u8) -> bool {
    is_alnum(c) || b"-.~!$&()*+,;=%/".contains(&c)
}
fn is_unprintable(c: u8) -> bool {
    (1..b' ').contains(&c)
}

#[derive(PartialEq)]
enum CommentStart {
    Line,
    Block,
    SlashNotComment,
    None,
}

pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: i32,
    col: i32,
    pub current: Token,
    pub previous: Token,
    report_whitespace: bool,
    report_newlines: bool,
    /// Text format settings (`TextFormat::Parser`): `#` starts a line comment instead of `//`
    /// and `/*`, ...
    pub sh_comments: bool,
    /// ... a number may end in `f` (`1f`, `1.5F`), which makes it a float ...
    pub allow_f_after_float: bool,
    /// ... and inside `[...]` a type URL is read as runs of URL characters.
    pub report_url_chars: bool,
    /// Errors from the lexer and the parser, in the order protoc reports them.
    pub errors: Vec<Diagnostic>,
    /// Warnings (protoc prints them but still accepts the file).
    pub warnings: Vec<Diagnostic>,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8]) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            line: 0,
            col: 0,
            current: Token::start(),
            previous: Token::start(),
            report_whitespace: false,
            report_newlines: false,
            sh_comments: false,
            allow_f_after_float: false,
            report_url_chars: false,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Whitespace and newline tokens, as protoc turns on while reading an aggregate value.
    pub fn set_report_whitespace_and_newlines(&mut self, on: bool) {
        self.report_whitespace = on;
        self.report_newlines = on;
    }

    /// Whitespace tokens (newlines included in them), as the text format turns on after a
    /// name; turning it off also turns off newline tokens, as in protoc.
    pub fn set_report_whitespace(&mut self, on: bool) {
        self.report_whitespace = on;
        self.report_newlines &= on;
    }

    pub fn error_at(&mut self, line: i32, col: i32, message: impl Into<String>) {
        self.errors.push(Diagnostic {
            line,
            col,
            message: message.into(),
        });
    }
    fn error(&mut self, message: &str) {
        let (l, c) = (self.line, self.col);
        self.error_at(l, c, message);
    }

    fn eof(&self) -> bool {
        self.pos >= self.src.len()
    }
    /// The current byte, 0 at end of input (as protoc's `current_char_`).
    fn ch(&self) -> u8 {
        self.src.get(self.pos).copied().unwrap_or(0)
    }
    fn bump(&mut self) {
        if self.eof() {
            return;
        }
        match self.src[self.pos] {
            b'\n' => {
                self.line += 1;
                self.col = 0;
            }
            b'\t' => self.col += TAB_WIDTH - self.col % TAB_WIDTH,
            _ => self.col += 1,
        }
        self.pos += 1;
    }
    fn eat(&mut self, c: u8) -> bool {
        if !self.eof() && self.ch() == c {
            self.bump();
            true
        } else {
            false
        }
    }
    fn eat_if(&mut self, f: impl Fn(u8) -> bool) -> bool {
        if !self.eof() && f(self.ch()) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn eat_while(&mut self, f: impl Fn(u8) -> bool) {
        while self.eat_if(&f) {}
    }
    fn eat_one_or_more(&mut self, f: impl Fn(u8) -> bool, error: &str) {
        if !self.eat_if(&f) {
            self.error(error);
        }
        self.eat_while(f);
    }

    fn consume_string(&mut self, delim: u8) {
        loop {
            if self.eof() || self.ch() == 0 {
                self.error("Unexpected end of string.");
                return;
            }
            match self.ch() {
                b'\n' => {
                    self.error("Multiline strings are not allowed. Did you miss a \"?.");
                    return;
                }
                b'\\' => {
                    self.bump();
                    if self.eat_if(|c| b"abfnrtv\\?'\"".contains(&c)) || self.eat_if(is_octal) {
                    } else if self.eat(b'x') || self.eat(b'X') {
                        if !self.eat_if(|c| c.is_ascii_hexdigit()) {
                            self.error("Expected hex digits for escape sequence.");
                        }
                    } else if self.eat(b'u') {
                        if !(0..4).all(|_| self.eat_if(|c| c.is_ascii_hexdigit())) {
                            self.error("Expected four hex digits for \\u escape sequence.");
                        }
                    } else if self.eat(b'U') {
                        let ok = self.eat(b'0')
                            && self.eat(b'0')
                            && (self.eat(b'0') || self.eat(b'1'))
                            && (0..5).all(|_| self.eat_if(|c| c.is_ascii_hexdigit()));
                        if !ok {
                            self.error(
                                "Expected eight hex digits up to 10ffff for \\U escape sequence",
                            );
                        }
                    } else {
                        self.error("Invalid escape sequence in string literal.");
                    }
                }
                c => {
                    self.bump();
                    if c == delim {
                        return;
                    }
                }
            }
        }
    }

    fn consume_number(&mut self, started_with_zero: bool, started_with_dot: bool) -> TokenKind {
        let mut is_float = false;
        let digit = |c: u8| c.is_ascii_digit();
        if started_with_zero && (self.eat(b'x') || self.eat(b'X')) {
            self.eat_one_or_more(
                |c| c.is_ascii_hexdigit(),
                "\"0x\" must be followed by hex digits.",
            );
        } else if started_with_zero && !self.eof() && digit(self.ch()) {
            self.eat_while(is_octal);
            if !self.eof() && digit(self.ch()) {
                self.error("Numbers starting with leading zero must be in octal.");
                self.eat_while(digit);
            }
        } else {
            if started_with_dot {
                is_float = true;
                self.eat_while(digit);
            } else {
                self.eat_while(digit);
                if self.eat(b'.') {
                    is_float = true;
                    self.eat_while(digit);
                }
            }
            if self.eat(b'e') || self.eat(b'E') {
                is_float = true;
                let _ = self.eat(b'-') || self.eat(b'+');
                self.eat_one_or_more(digit, "\"e\" must be followed by exponent.");
            }
            // protoc's .proto tokenizer does not allow an `f` suffix (allow_f_after_float_ is
            // false), so `1.5f` is "Need space between number and identifier.".
            if self.allow_f_after_float && (self.eat(b'f') || self.eat(b'F')) {
                is_float = true;
            }
        }
        if !self.eof() && is_letter(self.ch()) {
            self.error("Need space between number and identifier.");
        } else if !self.eof() && self.ch() == b'.' {
            if is_float {
                self.error("Already saw decimal point or exponent; can't have another one.");
            } else {
                self.error("Hex and octal numbers must be integers.");
            }
        }
        if is_float {
            TokenKind::Float
        } else {
            TokenKind::Integer
        }
    }

    /// Consumes a line comment (after `//`), including its newline; returns its text.
    fn consume_line_comment(&mut self) -> Vec<u8> {
        let start = self.pos;
        while !self.eof() && self.ch() != 0 && self.ch() != b'\n' {
            self.bump();
        }
        self.eat(b'\n');
        self.src[start..self.pos].to_vec()
    }

    /// Consumes a block comment (after `/*`); returns its content as protoc records it: each
    /// continuation line loses its leading whitespace and one `*`, and the closing `*/` is cut.
    fn consume_block_comment(&mut self) -> Vec<u8> {
        let (start_line, start_col) = (self.line, self.col - 2);
        let mut content = Vec::new();
        let mut rec = Some(self.pos);
        loop {
            while !self.eof() && !matches!(self.ch(), 0 | b'*' | b'/' | b'\n') {
                self.bump();
            }
            if self.eat(b'\n') {
                if let Some(s) = rec.take() {
                    content.extend_from_slice(&self.src[s..self.pos]);
                }
                self.eat_while(is_ws_no_nl);
                if self.eat(b'*') && self.eat(b'/') {
                    break;
                }
                rec = Some(self.pos);
            } else if self.eat(b'*') && self.eat(b'/') {
                if let Some(s) = rec.take() {
                    content.extend_from_slice(&self.src[s..self.pos - 2]);
                }
                break;
            } else if self.eat(b'/') && self.ch() == b'*' {
                self.error("\"/*\" inside block comment.  Block comments cannot be nested.");
            } else if self.eof() || self.ch() == 0 {
                // As in protoc, a NUL byte ends the comment like the end of input does.
                self.error("End-of-file inside block comment.");
                self.error_at(start_line, start_col, "  Comment started here.");
                if let Some(s) = rec.take() {
                    content.extend_from_slice(&self.src[s..self.pos]);
                }
                break;
            }
        }
        content
    }

    fn try_comment_start(&mut self) -> CommentStart {
        if self.sh_comments {
            return if self.eat(b'#') {
                CommentStart::Line
            } else {
                CommentStart::None
            };
        }
        if self.eat(b'/') {
            if self.eat(b'/') {
                CommentStart::Line
            } else if self.eat(b'*') {
                CommentStart::Block
            } else {
                // protoc replaces the current token without touching `previous`.
                self.current = Token {
                    kind: TokenKind::Symbol,
                    text: b"/".to_vec(),
                    line: self.line,
                    col: self.col - 1,
                    end_col: self.col,
                };
                CommentStart::SlashNotComment
            }
        } else {
            CommentStart::None
        }
    }

    /// Reads the next token, skipping comments. Returns false at end of input.
    #[allow(clippy::should_implement_trait)] // protoc's name; not an Iterator (it has modes).
    pub fn next(&mut self) -> bool {
        self.previous = self.current.clone();
        self.read_token()
    }

    fn read_token(&mut self) -> bool {
        while !self.eof() {
            let (sl, sc, sp) = (self.line, self.col, self.pos);
            let mut reported = None;
            if self.report_newlines {
                if self.eat_if(is_ws_no_nl) {
                    self.eat_while(is_ws_no_nl);
                    reported = Some(TokenKind::Whitespace);
                } else if self.eat(b'\n') {
                    reported = Some(TokenKind::Newline);
                }
            } else if self.eat_if(is_ws) {
                self.eat_while(is_ws);
                if self.report_whitespace {
                    reported = Some(TokenKind::Whitespace);
                }
            }
            if let Some(kind) = reported {
                self.set_current(kind, sl, sc, sp);
                return true;
            }
            match self.try_comment_start() {
                CommentStart::Line => {
                    self.consume_line_comment();
                    continue;
                }
                CommentStart::Block => {
                    self.consume_block_comment();
                    continue;
                }
                CommentStart::SlashNotComment => return true,
                CommentStart::None => {}
            }
            if self.eof() {
                break;
            }
            let c = self.ch();
            if is_unprintable(c) || c == 0 {
                self.error("Invalid control characters encountered in text.");
                self.bump();
                while self.eat_if(|c| is_unprintable(c) || c == 0) {}
                continue;
            }
            let (sl, sc, sp) = (self.line, self.col, self.pos);
            let kind = if self.report_url_chars {
                if self.eat_if(is_url_char) {
                    self.eat_while(is_url_char);
                    TokenKind::UrlChars
                } else {
                    self.consume_symbol(c);
                    TokenKind::Symbol
                }
            } else if self.eat_if(is_letter) {
                self.eat_while(is_alnum);
                TokenKind::Identifier
            } else if self.eat(b'0') {
                self.consume_number(true, false)
            } else if self.eat(b'.') {
                if self.eat_if(|c| c.is_ascii_digit()) {
                    let p = &self.previous;
                    if p.kind == TokenKind::Identifier && sl == p.line && sc == p.end_col {
                        let (l, c) = (self.line, self.col - 2);
                        self.error_at(l, c, "Need space between identifier and decimal point.");
                    }
                    self.consume_number(false, true)
                } else {
                    TokenKind::Symbol
                }
            } else if self.eat_if(|c| c.is_ascii_digit()) {
                self.consume_number(false, false)
            } else if self.eat(b'"') {
                self.consume_string(b'"');
                TokenKind::String
            } else if self.eat(b'\'') {
                self.consume_string(b'\'');
                TokenKind::String
            } else {
                self.consume_symbol(c);
                TokenKind::Symbol
            };
            self.set_current(kind, sl, sc, sp);
            return true;
        }
        self.current = Token {
            kind: TokenKind::End,
            text: Vec::new(),
            line: self.line,
            col: self.col,
            end_col: self.col,
        };
        false
    }

    fn consume_symbol(&mut self, c: u8) {
        if c & 0x80 != 0 {
            let (l, col) = (self.line, self.col);
            self.error_at(l, col, format!("Interpreting non ascii codepoint {c}."));
        }
        self.bump();
    }

    fn set_current(&mut self, kind: TokenKind, line: i32, col: i32, start: usize) {
        self.current = Token {
            kind,
            text: self.src[start..self.pos].to_vec(),
            line,
            col,
            end_col: self.col,
        };
    }

    /// Reads the next token and the comments around it, as protoc's `NextWithComments`.
    pub fn next_with_comments(&mut self) -> (bool, TokenComments) {
        let mut col = Collector::default();
        let mut prev_line = self.line;
        let mut trailing_end_line = -1;
        if self.current.kind == TokenKind::Start {
            if self.eat(0xEF) && !(self.eat(0xBB) && self.eat(0xBF)) {
                self.error(
                    "Proto file starts with 0xEF but not UTF-8 BOM. Only UTF-8 is accepted for \
                     proto file.",
                );
                return (false, col.finish());
            }
            col.can_attach_to_prev = false;
            prev_line = -1;
        } else {
            self.eat_while(is_ws_no_nl);
            match self.try_comment_start() {
                CommentStart::Line => {
                    trailing_end_line = self.line;
                    let text = self.consume_line_comment();
                    col.line_comment(text);
                    col.flush();
                }
                CommentStart::Block => {
                    let text = self.consume_block_comment();
                    col.block_comment(text);
                    trailing_end_line = self.line;
                    self.eat_while(is_ws_no_nl);
                    col.flush();
                }
                CommentStart::SlashNotComment => return (true, col.finish()),
                CommentStart::None => {
                    if !self.eat(b'\n') {
                        return (self.next(), col.finish());
                    }
                }
            }
        }
        loop {
            self.eat_while(is_ws_no_nl);
            match self.try_comment_start() {
                CommentStart::Line => {
                    let text = self.consume_line_comment();
                    col.line_comment(text);
                }
                CommentStart::Block => {
                    let text = self.consume_block_comment();
                    col.block_comment(text);
                    self.eat_while(is_ws_no_nl);
                    self.eat(b'\n');
                }
                CommentStart::SlashNotComment => return (true, col.finish()),
                CommentStart::None => {
                    if self.eat(b'\n') {
                        col.flush();
                        col.can_attach_to_prev = false;
                    } else {
                        let result = self.next();
                        let t = &self.current.text;
                        if !result || t == b"}" || t == b"]" || t == b")" {
                            col.flush();
                        }
                        if result && (prev_line == self.line || trailing_end_line == self.line) {
                            col.maybe_detach();
                        }
                        return (result, col.finish());
                    }
                }
            }
        }
    }
}

/// protoc's CommentCollector: decides which comment is trailing, detached or leading.
struct Collector {
    trailing: Vec<u8>,
    detached: Vec<Vec<u8>>,
    buffer: Vec<u8>,
    num_comments: usize,
    has_trailing: bool,
    has_comment: bool,
    is_line_comment: bool,
    can_attach_to_prev: bool,
}

impl Default for Collector {
    fn default() -> Self {
        Collector {
            trailing: Vec::new(),
            detached: Vec::new(),
            buffer: Vec::new(),
            num_comments: 0,
            has_trailing: false,
            has_comment: false,
            is_line_comment: false,
            can_attach_to_prev: true,
        }
    }
}

impl Collector {
    fn line_comment(&mut self, text: Vec<u8>) {
        // Consecutive line comments merge; a line comment after a block comment does not.
        if self.has_comment && !self.is_line_comment {
            self.flush();
        }
        self.has_comment = true;
        self.is_line_comment = true;
        self.buffer.extend_from_slice(&text);
    }
    fn block_comment(&mut self, text: Vec<u8>) {
        if self.has_comment {
            self.flush();
        }
        self.has_comment = true;
        self.is_line_comment = false;
        self.buffer.extend_from_slice(&text);
    }
    fn flush(&mut self) {
        if !self.has_comment {
            return;
        }
        let buf = std::mem::take(&mut self.buffer);
        if self.can_attach_to_prev {
            self.trailing.extend_from_slice(&buf);
            self.has_trailing = true;
            self.can_attach_to_prev = false;
        } else {
            self.detached.push(buf);
        }
        self.has_comment = false;
        self.num_comments += 1;
    }
    fn maybe_detach(&mut self) {
        let count = self.num_comments + usize::from(self.has_comment);
        if count == 1 {
            if self.has_trailing {
                let trail = std::mem::take(&mut self.trailing);
                self.detached.insert(0, trail);
            }
            self.flush();
        }
    }
    fn finish(self) -> TokenComments {
        let nonempty = |v: Vec<u8>| if v.is_empty() { None } else { Some(v) };
        TokenComments {
            prev_trailing: nonempty(self.trailing),
            detached: self.detached,
            next_leading: if self.has_comment {
                Some(self.buffer)
            } else {
                None
            },
        }
    }
}
