//! Syntax tree of one `.proto` file, keeping every span and comment protoc puts in
//! `SourceCodeInfo`.
//!
//! Declarations appear in source order, so walking them reproduces protoc's location order.
//! Each `span` documents where protoc's `LocationRecorder` for that element starts and ends.
//! Strings from the source are raw bytes (`Vec<u8>`): literals may hold invalid UTF-8.

/// A 0-based position; `col` follows protoc's tab rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: i32,
    pub col: i32,
}

/// From the start of the first token to the end of the last one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    /// `SourceCodeInfo.Location.span`: 3 elements when start and end lines are equal.
    pub fn to_proto(&self) -> Vec<i32> {
        if self.start.line == self.end.line {
            vec![self.start.line, self.start.col, self.end.col]
        } else {
            vec![self.start.line, self.start.col, self.end.line, self.end.col]
        }
    }
}

/// Comments protoc attaches to a declaration's location (empty leading/trailing are `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comments {
    pub leading: Option<Vec<u8>>,
    pub trailing: Option<Vec<u8>>,
    pub detached: Vec<Vec<u8>>,
}

/// A name token and its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub name: String,
    /// The root location: first token to last token.
    pub span: Span,
    pub syntax: Option<Syntax>,
    pub items: Vec<FileItem>,
    /// Parser warnings protoc prints (e.g. a reserved name that is not an identifier).
    pub warnings: Vec<super::Diagnostic>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyntaxKind {
    /// `syntax = "proto2"` / `"proto3"`; the value is the string as written.
    Syntax(String),
    /// `edition = "2023"`; the value is the string as written.
    Edition(String),
}

/// `syntax = ...;` or `edition = ...;` (location path `[12]`, comments attached to it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syntax {
    pub kind: SyntaxKind,
    pub span: Span,
    pub comments: Comments,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FileItem {
    Package(Package),
    Import(Import),
    Option(OptionStatement),
    Message(Message),
    Enum(Enum),
    Service(Service),
    Extend(Extend),
}

/// `package a.b;`: one location `[2]` from `package` to `;`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub span: Span,
    pub comments: Comments,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    Normal,
    /// `import public`: also a location `[10, i]` on the `public` keyword.
    Public,
    /// `import weak`: also a location `[11, i]` on the `weak` keyword.
    Weak,
    /// Edition 2024 `import option`: location `[15, i]` instead of `[3, i]`.
    Option,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub kind: ImportKind,
    pub path: Vec<u8>,
    /// From `import` to `;`.
    pub span: Span,
    /// The `public` / `weak` keyword.
    pub modifier_span: Option<Span>,
    pub comments: Comments,
}

/// One part of an option name: `foo` or `(foo.bar)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionNamePart {
    pub name: String,
    pub is_extension: bool,
    /// Location `[.., 2, j]`: includes the parentheses.
    pub span: Span,
    /// Location `[.., 2, j, 1]`: the name inside the parentheses.
    pub name_part_span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    Identifier(String),
    PositiveInt(u64),
    NegativeInt(i64),
    Double(f64),
    String(Vec<u8>),
    /// The text of a `{ ... }` value as protoc builds `aggregate_value`.
    Aggregate(Vec<u8>),
}

impl OptionValue {
    /// The `UninterpretedOption` field number protoc appends to the value location's path.
    pub fn field_number(&self) -> i32 {
        match self {
            OptionValue::Identifier(_) => 3,
            OptionValue::PositiveInt(_) => 4,
            OptionValue::NegativeInt(_) => 5,
            OptionValue::Double(_) => 6,
            OptionValue::String(_) => 7,
            OptionValue::Aggregate(_) => 8,
        }
    }
}

/// One option assignment, i.e. one `UninterpretedOption` (location `[.., 999, k]`).
#[derive(Clone, Debug, PartialEq)]
pub struct OptionAssignment {
    pub name: Vec<OptionNamePart>,
    /// Location `[.., 999, k, 2]`.
    pub name_span: Span,
    pub value: OptionValue,
    /// The last path element of the value location. protoc records 3 (identifier) for
    /// `-inf`/`-nan` although it stores a double, so this is not always `value.field_number()`.
    pub value_field: i32,
    /// Location `[.., 999, k, value_field]`, starting at a leading `-`.
    pub value_span: Span,
    /// For a statement, from `option` to `;`; inside `[...]`, from the name to the value.
    pub span: Span,
}

/// `option x = y;`: location `[.., options]` and `[.., options, 999, k]`, both with `span`;
/// the comments belong to the inner one.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionStatement {
    pub option: OptionAssignment,
    pub comments: Comments,
}

/// `[a = 1, (b) = 2]` after a field, enum value or extension range.
#[derive(Clone, Debug, PartialEq)]
pub struct CompactOptions {
    /// From `[` to `]`.
    pub span: Span,
    pub options: Vec<OptionAssignment>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Export,
    Local,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub visibility: Option<Visibility>,
    pub name: Ident,
    /// From `message` to `}` (a visibility keyword is not included, as in protoc).
    pub span: Span,
    /// Attached when `{` is read.
    pub comments: Comments,
    pub body: Vec<MessageItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MessageItem {
    // Boxed: a field is by far the largest item.
    Field(Box<Field>),
    Message(Message),
    Enum(Enum),
    Extensions(Extensions),
    Reserved(Reserved),
    Extend(Extend),
    Option(OptionStatement),
    Oneof(Oneof),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    Optional,
    Required,
    Repeated,
}

/// The scalar types of `descriptor.proto` (`FieldDescriptorProto.Type` numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarType {
    Double = 1,
    Float = 2,
    Int64 = 3,
    Uint64 = 4,
    Int32 = 5,
    Fixed64 = 6,
    Fixed32 = 7,
    Bool = 8,
    String = 9,
    Group = 10,
    Bytes = 12,
    Uint32 = 13,
    Sfixed32 = 15,
    Sfixed64 = 16,
    Sint32 = 17,
    Sint64 = 18,
}

impl ScalarType {
    pub fn from_name(name: &[u8]) -> Option<ScalarType> {
        Some(match name {
            b"double" => ScalarType::Double,
            b"float" => ScalarType::Float,
            b"int64" => ScalarType::Int64,
            b"uint64" => ScalarType::Uint64,
            b"int32" => ScalarType::Int32,
            b"fixed64" => ScalarType::Fixed64,
            b"fixed32" => ScalarType::Fixed32,
            b"bool" => ScalarType::Bool,
            b"string" => ScalarType::String,
            b"group" => ScalarType::Group,
            b"bytes" => ScalarType::Bytes,
            b"uint32" => ScalarType::Uint32,
            b"sfixed32" => ScalarType::Sfixed32,
            b"sfixed64" => ScalarType::Sfixed64,
            b"sint32" => ScalarType::Sint32,
            b"sint64" => ScalarType::Sint64,
            _ => return None,
        })
    }
}

/// A type as written: a scalar keyword or a (possibly dotted, possibly absolute) name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeName {
    Scalar(ScalarType),
    Named(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Location `[.., 5]` (scalar) or `[.., 6]` (named).
    Single(TypeName),
    /// `map<K, V>`: location `[.., 6]` over `map<...>`; protoc adds the entry message.
    Map { key: TypeName, value: TypeName },
    /// `group`: location `[.., 5]`; the body is in `Field::group`.
    Group,
}

/// `default = ...` or `json_name = ...` or an ordinary option inside a field's `[...]`.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldOption {
    /// Location `[.., 7]`: the value only (after `=`). `value` is protoc's `default_value`.
    Default {
        value: Vec<u8>,
        span: Span,
    },
    /// Location `[.., 10]` from `json_name` to the string, then an unpathed copy of the same
    /// parent path with `value_span` (protoc records it as a second `[.., 10]` location).
    JsonName {
        value: Vec<u8>,
        span: Span,
        value_span: Span,
    },
    Option(OptionAssignment),
}

/// Field options `[...]`: location `[.., 8]` from `[` to `]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldOptions {
    pub span: Span,
    pub entries: Vec<FieldOption>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Location `[.., 4]` on the label keyword.
    pub label: Option<(Label, Span)>,
    pub ty: FieldType,
    pub type_span: Span,
    pub name: Ident,
    pub number: i32,
    pub number_span: Span,
    pub options: Option<FieldOptions>,
    /// From the label (or type) to `;` (or the group's `}`).
    pub span: Span,
    /// Attached at `;` (none for groups: the group message gets them).
    pub comments: Comments,
    /// For an extension: the extendee location `[.., 2]`, recorded right after the field's.
    pub extendee: Option<(String, Span)>,
    /// For `oneof` members: the index of the oneof in the message.
    pub oneof_index: Option<usize>,
    pub group: Option<GroupBody>,
}

/// The message a group declares. Its location (nested type) has the field's `span`; its name
/// location and the field's `type_name` location are the field's name span.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupBody {
    /// The group's message name as written (the field's name is its lowercase form).
    pub name: String,
    pub comments: Comments,
    pub body: Vec<MessageItem>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeEnd {
    /// `N` alone: protoc records the end location on the start token.
    Single,
    Value(i32),
    Max,
}

/// `a to b`: location `[.., i]`, with `start_span` (`[.., i, 1]`) and `end_span` (`[.., i, 2]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: i32,
    pub end: RangeEnd,
    pub span: Span,
    pub start_span: Span,
    pub end_span: Span,
}

/// `extensions ...;`: location `[.., 5]` from `extensions` to `;`.
#[derive(Clone, Debug, PartialEq)]
pub struct Extensions {
    pub ranges: Vec<Range>,
    /// Copied by protoc to each range `[5, i, 3]` (and its options under it).
    pub options: Option<CompactOptions>,
    pub span: Span,
    pub comments: Comments,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReservedKind {
    Ranges(Vec<Range>),
    /// String literals (proto2/3) or identifiers (editions), each with its span.
    Names(Vec<(Vec<u8>, Span)>),
}

/// `reserved ...;`: location `[.., 9|10]` (message) or `[.., 4|5]` (enum) from `reserved` to `;`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reserved {
    pub kind: ReservedKind,
    pub span: Span,
    pub comments: Comments,
}

/// `extend Foo { ... }`: one location `[.., 7|6]` from `extend` to `}`; comments at `{`.
#[derive(Clone, Debug, PartialEq)]
pub struct Extend {
    pub extendee: String,
    pub extendee_span: Span,
    pub span: Span,
    pub comments: Comments,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OneofItem {
    Option(OptionStatement),
    // Boxed: a field is by far the largest item.
    Field(Box<Field>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Oneof {
    pub name: Ident,
    pub span: Span,
    pub comments: Comments,
    pub items: Vec<OneofItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Enum {
    pub visibility: Option<Visibility>,
    pub name: Ident,
    pub span: Span,
    pub comments: Comments,
    pub body: Vec<EnumItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EnumItem {
    Value(EnumValue),
    Option(OptionStatement),
    Reserved(Reserved),
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumValue {
    pub name: Ident,
    pub number: i32,
    /// Starts at a leading `-`.
    pub number_span: Span,
    pub options: Option<CompactOptions>,
    pub span: Span,
    pub comments: Comments,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub name: Ident,
    pub span: Span,
    pub comments: Comments,
    pub items: Vec<ServiceItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ServiceItem {
    Option(OptionStatement),
    Method(Method),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Method {
    pub name: Ident,
    /// The `stream` keyword (location `[.., 5]`).
    pub client_streaming: Option<Span>,
    pub input_type: String,
    pub input_span: Span,
    /// The `stream` keyword (location `[.., 6]`).
    pub server_streaming: Option<Span>,
    pub output_type: String,
    pub output_span: Span,
    /// `None` for `;`, `Some` (maybe empty) for a `{ ... }` body: protoc then sets options.
    pub body: Option<Vec<OptionStatement>>,
    pub span: Span,
    /// Attached at `;` or at `{`.
    pub comments: Comments,
}
