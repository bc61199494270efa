//! AST -> unlinked `FileDescriptorProto` plus `SourceCodeInfo`, exactly as protoc's parser
//! (`compiler/parser.cc`) leaves them before the `DescriptorBuilder` runs.
//!
//! protoc's `LocationRecorder` appends a location when it is *created* and fills in the end of
//! the span when it goes out of scope, so locations come out in pre-order: a declaration's
//! location precedes its children's. The AST already holds every span, so each location is
//! pushed here complete, in that order.
//!
//! Left to later slices: `type` of named types (message or enum) and the qualified
//! `type_name`/`extendee`/`input_type`/`output_type` (linker), `json_name` when not written
//! (linker), and options, which stay `UninterpretedOption`s (option interpretation).

use super::ast::{self, Comments, Span};
use super::descriptor::source_code_info::{self, Location};
use super::descriptor::*;

// Field numbers used in location paths (descriptor.proto).
const FILE_PACKAGE: i32 = 2;
const FILE_DEPENDENCY: i32 = 3;
const FILE_MESSAGE: i32 = 4;
const FILE_ENUM: i32 = 5;
const FILE_SERVICE: i32 = 6;
const FILE_EXTENSION: i32 = 7;
const FILE_OPTIONS: i32 = 8;
const FILE_PUBLIC_DEPENDENCY: i32 = 10;
const FILE_WEAK_DEPENDENCY: i32 = 11;
const FILE_SYNTAX: i32 = 12;
const FILE_OPTION_DEPENDENCY: i32 = 15;

const MSG_NAME: i32 = 1;
const MSG_FIELD: i32 = 2;
const MSG_NESTED: i32 = 3;
const MSG_ENUM: i32 = 4;
const MSG_EXTENSION_RANGE: i32 = 5;
const MSG_EXTENSION: i32 = 6;
const MSG_OPTIONS: i32 = 7;
const MSG_ONEOF: i32 = 8;
const MSG_RESERVED_RANGE: i32 = 9;
const MSG_RESERVED_NAME: i32 = 10;

const RANGE_START: i32 = 1;
const RANGE_END: i32 = 2;
const EXTENSION_RANGE_OPTIONS: i32 = 3;

const FIELD_NAME: i32 = 1;
const FIELD_EXTENDEE: i32 = 2;
const FIELD_NUMBER: i32 = 3;
const FIELD_LABEL: i32 = 4;
const FIELD_TYPE: i32 = 5;
const FIELD_TYPE_NAME: i32 = 6;
const FIELD_DEFAULT: i32 = 7;
const FIELD_OPTIONS: i32 = 8;
const FIELD_JSON_NAME: i32 = 10;

const ONEOF_NAME: i32 = 1;
const ONEOF_OPTIONS: i32 = 2;

const ENUM_NAME: i32 = 1;
const ENUM_VALUE: i32 = 2;
const ENUM_OPTIONS: i32 = 3;
const ENUM_RESERVED_RANGE: i32 = 4;
const ENUM_RESERVED_NAME: i32 = 5;

const VALUE_NAME: i32 = 1;
const VALUE_NUMBER: i32 = 2;
const VALUE_OPTIONS: i32 = 3;

const SERVICE_NAME: i32 = 1;
const SERVICE_METHOD: i32 = 2;
const SERVICE_OPTIONS: i32 = 3;

const METHOD_NAME: i32 = 1;
const METHOD_INPUT: i32 = 2;
const METHOD_OUTPUT: i32 = 3;
const METHOD_OPTIONS: i32 = 4;
const METHOD_CLIENT_STREAMING: i32 = 5;
const METHOD_SERVER_STREAMING: i32 = 6;

const UNINTERPRETED: i32 = 999;
const UNINTERPRETED_NAME: i32 = 2;
const NAME_PART: i32 = 1;

/// protoc's `FieldDescriptor::kMaxNumber + 1`, the end of a `to max` range.
const MAX_FIELD_END: i32 = 536_870_912;
/// The parser's placeholder for `to max` until the message's options are known.
const MAX_SENTINEL: i32 = -1;

/// `MessageOptions.map_entry = true`, serialized (field 7, varint 1).
const MAP_ENTRY_OPTION: &[u8] = &[0x38, 0x01];

/// Builds the file's unlinked descriptor and its source info (protoc's parser output). The
/// descriptor's own `source_code_info` is left unset; protoc copies it in only on request.
///
/// `syntax` is set as protoc finally writes it: absent for proto2, `"proto3"`, or
/// `"editions"` with `edition`.
pub fn build(file: &ast::File) -> (FileDescriptorProto, SourceCodeInfo) {
    let syntax = match &file.syntax {
        Some(ast::Syntax {
            kind: ast::SyntaxKind::Syntax(s),
            ..
        }) => s.clone(),
        Some(_) => "editions".to_string(),
        None => "proto2".to_string(),
    };
    let mut b = Builder {
        proto3: syntax == "proto3",
        locations: Vec::new(),
    };
    let fd = b.file(file, &syntax);
    (
        fd,
        SourceCodeInfo {
            location: b.locations,
        },
    )
}

struct Builder {
    proto3: bool,
    locations: Vec<Location>,
}

fn join(path: &[i32], extra: &[i32]) -> Vec<i32> {
    let mut p = Vec::with_capacity(path.len() + extra.len());
    p.extend_from_slice(path);
    p.extend_from_slice(extra);
    p
}

fn len_i32<T>(v: &[T]) -> i32 {
    v.len() as i32
}

impl Builder {
    fn loc(&mut self, path: Vec<i32>, span: Span, comments: Option<&Comments>) {
        let comments = comments.and_then(|c| {
            let c = source_code_info::Comments {
                leading: c.leading.clone().filter(|s| !s.is_empty()),
                trailing: c.trailing.clone().filter(|s| !s.is_empty()),
                detached: c.detached.clone(),
            };
            let any = c.leading.is_some() || c.trailing.is_some() || !c.detached.is_empty();
            any.then(|| Box::new(c))
        });
        self.locations.push(Location {
            path: path.into_boxed_slice(),
            span: span.to_proto().into_boxed_slice(),
            comments,
        });
    }

    fn file(&mut self, file: &ast::File, syntax: &str) -> FileDescriptorProto {
        let mut fd = FileDescriptorProto {
            name: Some(file.name.clone()),
            ..Default::default()
        };
        self.loc(Vec::new(), file.span, None);
        if let Some(s) = &file.syntax {
            self.loc(vec![FILE_SYNTAX], s.span, Some(&s.comments));
            match &s.kind {
                ast::SyntaxKind::Syntax(v) if v == "proto2" => {}
                ast::SyntaxKind::Syntax(v) => fd.syntax = Some(v.clone()),
                ast::SyntaxKind::Edition(e) => {
                    fd.syntax = Some(syntax.to_string());
                    fd.edition = super::parser::edition_number(e);
                }
            }
        }
        for item in &file.items {
            match item {
                ast::FileItem::Package(p) => {
                    self.loc(vec![FILE_PACKAGE], p.span, Some(&p.comments));
                    fd.package = Some(p.name.clone());
                }
                ast::FileItem::Import(i) => self.import(&mut fd, i),
                ast::FileItem::Option(o) => {
                    let opts = fd.options.get_or_insert_with(Default::default);
                    self.option_statement(&[FILE_OPTIONS], opts, o);
                }
                ast::FileItem::Message(m) => {
                    let path = vec![FILE_MESSAGE, len_i32(&fd.message_type)];
                    let msg = self.message(m, &path);
                    fd.message_type.push(msg);
                }
                ast::FileItem::Enum(e) => {
                    let path = vec![FILE_ENUM, len_i32(&fd.enum_type)];
                    let en = self.enumeration(e, &path);
                    fd.enum_type.push(en);
                }
                ast::FileItem::Service(s) => {
                    let path = vec![FILE_SERVICE, len_i32(&fd.service)];
                    let sv = self.service(s, &path);
                    fd.service.push(sv);
                }
                ast::FileItem::Extend(e) => {
                    let mut scope = Scope {
                        path: &[],
                        nested_field: FILE_MESSAGE,
                        nested: &mut fd.message_type,
                    };
                    self.extend(e, &[FILE_EXTENSION], &mut fd.extension, &mut scope);
                }
            }
        }
        fd
    }

    fn import(&mut self, fd: &mut FileDescriptorProto, i: &ast::Import) {
        let path = String::from_utf8_lossy(&i.path).into_owned();
        if i.kind == ast::ImportKind::Option {
            let idx = len_i32(&fd.option_dependency);
            self.loc(vec![FILE_OPTION_DEPENDENCY, idx], i.span, Some(&i.comments));
            fd.option_dependency.push(path);
            return;
        }
        let idx = len_i32(&fd.dependency);
        self.loc(vec![FILE_DEPENDENCY, idx], i.span, Some(&i.comments));
        let modifier = i.modifier_span.unwrap_or_default();
        match i.kind {
            ast::ImportKind::Public => {
                let p = vec![FILE_PUBLIC_DEPENDENCY, len_i32(&fd.public_dependency)];
                self.loc(p, modifier, None);
                fd.public_dependency.push(idx);
            }
            ast::ImportKind::Weak => {
                let p = vec![FILE_WEAK_DEPENDENCY, len_i32(&fd.weak_dependency)];
                self.loc(p, modifier, None);
                fd.weak_dependency.push(idx);
            }
            _ => {}
        }
        fd.dependency.push(path);
    }

    // ---- options -------------------------------------------------------------------------------

    /// `option x = y;`: `[.., options]` and `[.., options, 999, k]` share the statement's span;
    /// the comments go on the inner one.
    fn option_statement(
        &mut self,
        opts_path: &[i32],
        opts: &mut RawOptions,
        o: &ast::OptionStatement,
    ) {
        self.loc(opts_path.to_vec(), o.option.span, None);
        self.option(opts_path, opts, &o.option, Some(&o.comments));
    }

    /// One `UninterpretedOption` and its locations under `[opts_path.., 999, k]`.
    fn option(
        &mut self,
        opts_path: &[i32],
        opts: &mut RawOptions,
        a: &ast::OptionAssignment,
        comments: Option<&Comments>,
    ) {
        let path = join(opts_path, &[UNINTERPRETED, len_i32(&opts.uninterpreted)]);
        self.loc(path.clone(), a.span, comments);
        let name_path = join(&path, &[UNINTERPRETED_NAME]);
        self.loc(name_path.clone(), a.name_span, None);
        for (j, part) in a.name.iter().enumerate() {
            let part_path = join(&name_path, &[j as i32]);
            self.loc(part_path.clone(), part.span, None);
            self.loc(join(&part_path, &[NAME_PART]), part.name_part_span, None);
        }
        self.loc(join(&path, &[a.value_field]), a.value_span, None);
        opts.uninterpreted.push(uninterpreted_option(a));
    }

    // ---- messages ------------------------------------------------------------------------------

    fn message(&mut self, m: &ast::Message, path: &[i32]) -> DescriptorProto {
        self.loc(path.to_vec(), m.span, Some(&m.comments));
        self.loc(join(path, &[MSG_NAME]), m.name.span, None);
        let mut msg = DescriptorProto {
            name: Some(m.name.name.clone()),
            visibility: m.visibility.map(|v| match v {
                ast::Visibility::Local => 1,
                ast::Visibility::Export => 2,
            }),
            ..Default::default()
        };
        self.message_body(&mut msg, &m.body, path);
        if self.proto3 {
            add_synthetic_oneofs(&mut msg);
        }
        msg
    }

    /// protoc's `ParseMessageBlock` after the `{`: shared by messages and groups.
    fn message_body(&mut self, msg: &mut DescriptorProto, body: &[ast::MessageItem], path: &[i32]) {
        for item in body {
            match item {
                ast::MessageItem::Field(f) => {
                    let fpath = join(path, &[MSG_FIELD, len_i32(&msg.field)]);
                    let mut scope = Scope {
                        path,
                        nested_field: MSG_NESTED,
                        nested: &mut msg.nested_type,
                    };
                    let fd = self.field(f, &fpath, &mut scope);
                    msg.field.push(fd);
                }
                ast::MessageItem::Message(m) => {
                    let npath = join(path, &[MSG_NESTED, len_i32(&msg.nested_type)]);
                    let nested = self.message(m, &npath);
                    msg.nested_type.push(nested);
                }
                ast::MessageItem::Enum(e) => {
                    let epath = join(path, &[MSG_ENUM, len_i32(&msg.enum_type)]);
                    let en = self.enumeration(e, &epath);
                    msg.enum_type.push(en);
                }
                ast::MessageItem::Extensions(x) => self.extensions(msg, x, path),
                ast::MessageItem::Reserved(r) => self.message_reserved(msg, r, path),
                ast::MessageItem::Extend(e) => {
                    let mut scope = Scope {
                        path,
                        nested_field: MSG_NESTED,
                        nested: &mut msg.nested_type,
                    };
                    let xpath = join(path, &[MSG_EXTENSION]);
                    self.extend(e, &xpath, &mut msg.extension, &mut scope);
                }
                ast::MessageItem::Option(o) => {
                    let opts = msg.options.get_or_insert_with(Default::default);
                    self.option_statement(&join(path, &[MSG_OPTIONS]), opts, o);
                }
                ast::MessageItem::Oneof(o) => self.oneof(msg, o, path),
            }
        }
        adjust_max_ends(msg);
    }

    fn oneof(&mut self, msg: &mut DescriptorProto, o: &ast::Oneof, path: &[i32]) {
        let index = len_i32(&msg.oneof_decl);
        let opath = join(path, &[MSG_ONEOF, index]);
        self.loc(opath.clone(), o.span, Some(&o.comments));
        self.loc(join(&opath, &[ONEOF_NAME]), o.name.span, None);
        let mut decl = OneofDescriptorProto {
            name: Some(o.name.name.clone()),
            options: None,
        };
        // The declaration is in place before its members are parsed (their oneof_index).
        msg.oneof_decl.push(decl.clone());
        for item in &o.items {
            match item {
                ast::OneofItem::Option(s) => {
                    let opts = decl.options.get_or_insert_with(Default::default);
                    self.option_statement(&join(&opath, &[ONEOF_OPTIONS]), opts, s);
                }
                ast::OneofItem::Field(f) => {
                    let fpath = join(path, &[MSG_FIELD, len_i32(&msg.field)]);
                    let mut scope = Scope {
                        path,
                        nested_field: MSG_NESTED,
                        nested: &mut msg.nested_type,
                    };
                    let mut fd = self.field(f, &fpath, &mut scope);
                    fd.oneof_index = Some(index);
                    msg.field.push(fd);
                }
            }
        }
        msg.oneof_decl[index as usize] = decl;
    }

    /// `extensions a, b to c [opts];`. protoc parses the options once into a side table under
    /// range index 0 and then copies those locations (and the options) to every range.
    fn extensions(&mut self, msg: &mut DescriptorProto, x: &ast::Extensions, path: &[i32]) {
        let xpath = join(path, &[MSG_EXTENSION_RANGE]);
        self.loc(xpath.clone(), x.span, Some(&x.comments));
        let first = msg.extension_range.len();
        for r in &x.ranges {
            let rpath = join(&xpath, &[len_i32(&msg.extension_range)]);
            self.range_locations(&rpath, r);
            msg.extension_range.push(descriptor_proto::ExtensionRange {
                start: Some(r.start),
                end: Some(exclusive_end(r)),
                options: None,
            });
        }
        let Some(compact) = &x.options else { return };
        let saved = std::mem::take(&mut self.locations);
        let mut opts = RawOptions::default();
        let opts_path = join(&xpath, &[0, EXTENSION_RANGE_OPTIONS]);
        self.loc(opts_path.clone(), compact.span, None);
        for a in &compact.options {
            self.option(&opts_path, &mut opts, a, None);
        }
        let side = std::mem::replace(&mut self.locations, saved);
        let index_at = xpath.len();
        for i in first..msg.extension_range.len() {
            msg.extension_range[i].options = Some(opts.clone());
            for l in &side {
                let mut l = l.clone();
                l.path[index_at] = i as i32;
                self.locations.push(l);
            }
        }
    }

    fn range_locations(&mut self, rpath: &[i32], r: &ast::Range) {
        self.loc(rpath.to_vec(), r.span, None);
        self.loc(join(rpath, &[RANGE_START]), r.start_span, None);
        self.loc(join(rpath, &[RANGE_END]), r.end_span, None);
    }

    fn message_reserved(&mut self, msg: &mut DescriptorProto, r: &ast::Reserved, path: &[i32]) {
        match &r.kind {
            ast::ReservedKind::Ranges(ranges) => {
                let rpath = join(path, &[MSG_RESERVED_RANGE]);
                self.loc(rpath.clone(), r.span, Some(&r.comments));
                for range in ranges {
                    self.range_locations(&join(&rpath, &[len_i32(&msg.reserved_range)]), range);
                    msg.reserved_range.push(descriptor_proto::ReservedRange {
                        start: Some(range.start),
                        end: Some(exclusive_end(range)),
                    });
                }
            }
            ast::ReservedKind::Names(names) => {
                let npath = join(path, &[MSG_RESERVED_NAME]);
                self.loc(npath.clone(), r.span, Some(&r.comments));
                for (name, span) in names {
                    self.loc(join(&npath, &[len_i32(&msg.reserved_name)]), *span, None);
                    msg.reserved_name.push(name.clone());
                }
            }
        }
    }

    // ---- fields --------------------------------------------------------------------------------

    /// `extend T { ... }`: one location for the block, then each field with its extendee.
    fn extend(
        &mut self,
        e: &ast::Extend,
        xpath: &[i32],
        extensions: &mut Vec<FieldDescriptorProto>,
        scope: &mut Scope,
    ) {
        self.loc(xpath.to_vec(), e.span, Some(&e.comments));
        for f in &e.fields {
            let fpath = join(xpath, &[len_i32(extensions)]);
            let fd = self.field(f, &fpath, scope);
            extensions.push(fd);
        }
    }

    /// One field (message member, oneof member or extension). Groups and maps add a message to
    /// `scope.nested`.
    fn field(&mut self, f: &ast::Field, path: &[i32], scope: &mut Scope) -> FieldDescriptorProto {
        self.loc(path.to_vec(), f.span, Some(&f.comments));
        let mut fd = FieldDescriptorProto {
            name: Some(f.name.name.clone()),
            number: Some(f.number),
            ..Default::default()
        };
        if let Some((extendee, span)) = &f.extendee {
            self.loc(join(path, &[FIELD_EXTENDEE]), *span, None);
            fd.extendee = Some(extendee.clone());
        }
        fd.label = Some(match f.label {
            Some((l, span)) => {
                self.loc(join(path, &[FIELD_LABEL]), span, None);
                if l == ast::Label::Optional && self.proto3 {
                    fd.proto3_optional = Some(true);
                }
                label_number(l)
            }
            None if matches!(f.ty, ast::FieldType::Map { .. }) => label::REPEATED,
            None => label::OPTIONAL,
        });
        let type_field = match &f.ty {
            ast::FieldType::Single(ast::TypeName::Scalar(s)) => {
                fd.r#type = Some(*s as i32);
                FIELD_TYPE
            }
            ast::FieldType::Single(ast::TypeName::Named(n)) => {
                fd.type_name = Some(n.clone());
                FIELD_TYPE_NAME
            }
            ast::FieldType::Map { .. } => FIELD_TYPE_NAME,
            ast::FieldType::Group => {
                fd.r#type = Some(field_type::GROUP);
                FIELD_TYPE
            }
        };
        self.loc(join(path, &[type_field]), f.type_span, None);
        self.loc(join(path, &[FIELD_NAME]), f.name.span, None);
        self.loc(join(path, &[FIELD_NUMBER]), f.number_span, None);
        if let Some(fo) = &f.options {
            let opts_path = join(path, &[FIELD_OPTIONS]);
            self.loc(opts_path.clone(), fo.span, None);
            for entry in &fo.entries {
                match entry {
                    ast::FieldOption::Default { value, span } => {
                        self.loc(join(path, &[FIELD_DEFAULT]), *span, None);
                        fd.default_value = Some(value.clone());
                    }
                    ast::FieldOption::JsonName {
                        value,
                        span,
                        value_span,
                    } => {
                        self.loc(join(path, &[FIELD_JSON_NAME]), *span, None);
                        self.loc(join(path, &[FIELD_JSON_NAME]), *value_span, None);
                        fd.json_name = Some(value.clone());
                    }
                    ast::FieldOption::Option(a) => {
                        let opts = fd.options.get_or_insert_with(Default::default);
                        self.option(&opts_path, opts, a, None);
                    }
                }
            }
        }
        if let Some(g) = &f.group {
            self.group(f, g, path, &mut fd, scope);
        }
        if let ast::FieldType::Map { key, value } = &f.ty {
            let entry = map_entry(&mut fd, key, value);
            scope.nested.push(entry);
        }
        fd
    }

    /// A group declares a message in the enclosing scope whose location overlaps the field's;
    /// its name location and the field's type_name location are both the name token.
    fn group(
        &mut self,
        f: &ast::Field,
        g: &ast::GroupBody,
        field_path: &[i32],
        fd: &mut FieldDescriptorProto,
        scope: &mut Scope,
    ) {
        let gpath = join(scope.path, &[scope.nested_field, len_i32(scope.nested)]);
        self.loc(gpath.clone(), f.span, Some(&g.comments));
        self.loc(join(&gpath, &[MSG_NAME]), f.name.span, None);
        self.loc(join(field_path, &[FIELD_TYPE_NAME]), f.name.span, None);
        fd.type_name = Some(g.name.clone());
        let index = scope.nested.len();
        scope.nested.push(DescriptorProto {
            name: Some(g.name.clone()),
            ..Default::default()
        });
        let mut msg = DescriptorProto {
            name: Some(g.name.clone()),
            ..Default::default()
        };
        self.message_body(&mut msg, &g.body, &gpath);
        scope.nested[index] = msg;
    }

    // ---- enums and services --------------------------------------------------------------------

    fn enumeration(&mut self, e: &ast::Enum, path: &[i32]) -> EnumDescriptorProto {
        self.loc(path.to_vec(), e.span, Some(&e.comments));
        self.loc(join(path, &[ENUM_NAME]), e.name.span, None);
        let mut en = EnumDescriptorProto {
            name: Some(e.name.name.clone()),
            visibility: e.visibility.map(|v| match v {
                ast::Visibility::Local => 1,
                ast::Visibility::Export => 2,
            }),
            ..Default::default()
        };
        for item in &e.body {
            match item {
                ast::EnumItem::Value(v) => {
                    let vpath = join(path, &[ENUM_VALUE, len_i32(&en.value)]);
                    let value = self.enum_value(v, &vpath);
                    en.value.push(value);
                }
                ast::EnumItem::Option(o) => {
                    let opts = en.options.get_or_insert_with(Default::default);
                    self.option_statement(&join(path, &[ENUM_OPTIONS]), opts, o);
                }
                ast::EnumItem::Reserved(r) => self.enum_reserved(&mut en, r, path),
            }
        }
        en
    }

    fn enum_value(&mut self, v: &ast::EnumValue, path: &[i32]) -> EnumValueDescriptorProto {
        self.loc(path.to_vec(), v.span, Some(&v.comments));
        self.loc(join(path, &[VALUE_NAME]), v.name.span, None);
        self.loc(join(path, &[VALUE_NUMBER]), v.number_span, None);
        let mut value = EnumValueDescriptorProto {
            name: Some(v.name.name.clone()),
            number: Some(v.number),
            options: None,
        };
        if let Some(c) = &v.options {
            let opts_path = join(path, &[VALUE_OPTIONS]);
            self.loc(opts_path.clone(), c.span, None);
            let opts = value.options.get_or_insert_with(Default::default);
            for a in &c.options {
                self.option(&opts_path, opts, a, None);
            }
        }
        value
    }

    fn enum_reserved(&mut self, en: &mut EnumDescriptorProto, r: &ast::Reserved, path: &[i32]) {
        match &r.kind {
            ast::ReservedKind::Ranges(ranges) => {
                let rpath = join(path, &[ENUM_RESERVED_RANGE]);
                self.loc(rpath.clone(), r.span, Some(&r.comments));
                for range in ranges {
                    self.range_locations(&join(&rpath, &[len_i32(&en.reserved_range)]), range);
                    let end = match range.end {
                        ast::RangeEnd::Single => range.start,
                        ast::RangeEnd::Value(v) => v,
                        ast::RangeEnd::Max => i32::MAX,
                    };
                    en.reserved_range
                        .push(enum_descriptor_proto::EnumReservedRange {
                            start: Some(range.start),
                            end: Some(end),
                        });
                }
            }
            ast::ReservedKind::Names(names) => {
                let npath = join(path, &[ENUM_RESERVED_NAME]);
                self.loc(npath.clone(), r.span, Some(&r.comments));
                for (name, span) in names {
                    self.loc(join(&npath, &[len_i32(&en.reserved_name)]), *span, None);
                    en.reserved_name.push(name.clone());
                }
            }
        }
    }

    fn service(&mut self, s: &ast::Service, path: &[i32]) -> ServiceDescriptorProto {
        self.loc(path.to_vec(), s.span, Some(&s.comments));
        self.loc(join(path, &[SERVICE_NAME]), s.name.span, None);
        let mut sv = ServiceDescriptorProto {
            name: Some(s.name.name.clone()),
            ..Default::default()
        };
        for item in &s.items {
            match item {
                ast::ServiceItem::Option(o) => {
                    let opts = sv.options.get_or_insert_with(Default::default);
                    self.option_statement(&join(path, &[SERVICE_OPTIONS]), opts, o);
                }
                ast::ServiceItem::Method(m) => {
                    let mpath = join(path, &[SERVICE_METHOD, len_i32(&sv.method)]);
                    let method = self.method(m, &mpath);
                    sv.method.push(method);
                }
            }
        }
        sv
    }

    fn method(&mut self, m: &ast::Method, path: &[i32]) -> MethodDescriptorProto {
        self.loc(path.to_vec(), m.span, Some(&m.comments));
        self.loc(join(path, &[METHOD_NAME]), m.name.span, None);
        let mut method = MethodDescriptorProto {
            name: Some(m.name.name.clone()),
            input_type: Some(m.input_type.clone()),
            output_type: Some(m.output_type.clone()),
            ..Default::default()
        };
        if let Some(span) = m.client_streaming {
            self.loc(join(path, &[METHOD_CLIENT_STREAMING]), span, None);
            method.client_streaming = Some(true);
        }
        self.loc(join(path, &[METHOD_INPUT]), m.input_span, None);
        if let Some(span) = m.server_streaming {
            self.loc(join(path, &[METHOD_SERVER_STREAMING]), span, None);
            method.server_streaming = Some(true);
        }
        self.loc(join(path, &[METHOD_OUTPUT]), m.output_span, None);
        if let Some(body) = &m.body {
            // A `{ ... }` body makes the options present even when it holds none.
            let opts = method.options.insert(RawOptions::default());
            for o in body {
                self.option_statement(&join(path, &[METHOD_OPTIONS]), opts, o);
            }
        }
        method
    }
}

/// Where a group or map entry declared by a field goes: the enclosing message (or the file, for
/// a top-level `extend`), its location path and the field number of its nested-type list.
struct Scope<'a> {
    path: &'a [i32],
    nested_field: i32,
    nested: &'a mut Vec<DescriptorProto>,
}

fn label_number(l: ast::Label) -> i32 {
    match l {
        ast::Label::Optional => label::OPTIONAL,
        ast::Label::Required => label::REQUIRED,
        ast::Label::Repeated => label::REPEATED,
    }
}

/// Ranges are inclusive in the source and exclusive in the descriptor; `max` waits for
/// `adjust_max_ends`.
fn exclusive_end(r: &ast::Range) -> i32 {
    match r.end {
        ast::RangeEnd::Single => r.start.wrapping_add(1),
        ast::RangeEnd::Value(v) => v.wrapping_add(1),
        ast::RangeEnd::Max => MAX_SENTINEL,
    }
}

/// protoc decides what `max` means from the message's own uninterpreted options: a message
/// with `option message_set_wire_format = true;` allows numbers up to 2^31-1.
fn adjust_max_ends(msg: &mut DescriptorProto) {
    let message_set = msg.options.as_ref().is_some_and(|o| {
        o.uninterpreted.iter().any(|u| {
            u.name.len() == 1
                && !u.name[0].is_extension
                && u.name[0].name_part == "message_set_wire_format"
                && u.identifier_value.as_deref() == Some("true")
        })
    });
    let max = if message_set { i32::MAX } else { MAX_FIELD_END };
    for r in &mut msg.extension_range {
        if r.end == Some(MAX_SENTINEL) {
            r.end = Some(max);
        }
    }
    for r in &mut msg.reserved_range {
        if r.end == Some(MAX_SENTINEL) {
            r.end = Some(max);
        }
    }
}

/// proto3 `optional` fields each get a one-field oneof named `_name` (prefixed with `X` until
/// unique), after the real oneofs, in field order.
fn add_synthetic_oneofs(msg: &mut DescriptorProto) {
    let mut names: super::HashSet<String> = msg
        .field
        .iter()
        .filter_map(|f| f.name.clone())
        .chain(msg.oneof_decl.iter().filter_map(|o| o.name.clone()))
        .collect();
    for i in 0..msg.field.len() {
        if msg.field[i].proto3_optional != Some(true) {
            continue;
        }
        let mut name = msg.field[i].name.clone().unwrap_or_default();
        if !name.starts_with('_') {
            name.insert(0, '_');
        }
        while names.contains(&name) {
            name.insert(0, 'X');
        }
        names.insert(name.clone());
        msg.field[i].oneof_index = Some(len_i32(&msg.oneof_decl));
        msg.oneof_decl.push(OneofDescriptorProto {
            name: Some(name),
            options: None,
        });
    }
}

/// protoc's `MapEntryName`: `foo_bar` -> `FooBarEntry` (each letter after `_` or at the start
/// upper-cased, underscores dropped).
fn map_entry_name(field_name: &str) -> String {
    let mut out = String::with_capacity(field_name.len() + 5);
    let mut cap_next = true;
    for c in field_name.chars() {
        if c == '_' {
            cap_next = true;
        } else if cap_next {
            out.push(c.to_ascii_uppercase());
            cap_next = false;
        } else {
            out.push(c);
        }
    }
    out.push_str("Entry");
    out
}

/// protoc's `GenerateMapEntry`: the nested `XxxEntry` message, with `features` options (and
/// `enforce_utf8` on string key/value) copied to the key and value fields.
fn map_entry(
    fd: &mut FieldDescriptorProto,
    key: &ast::TypeName,
    value: &ast::TypeName,
) -> DescriptorProto {
    let name = map_entry_name(fd.name.as_deref().unwrap_or_default());
    fd.type_name = Some(name.clone());
    let entry_field = |field_name: &str, number: i32, ty: &ast::TypeName| {
        let mut f = FieldDescriptorProto {
            name: Some(field_name.to_string()),
            number: Some(number),
            label: Some(label::OPTIONAL),
            ..Default::default()
        };
        match ty {
            ast::TypeName::Scalar(s) => f.r#type = Some(*s as i32),
            ast::TypeName::Named(n) => f.type_name = Some(n.clone()),
        }
        f
    };
    let mut key_field = entry_field("key", 1, key);
    let mut value_field = entry_field("value", 2, value);
    if let Some(opts) = &fd.options {
        for o in &opts.uninterpreted {
            let plain = |name: &str| {
                o.name
                    .first()
                    .is_some_and(|p| !p.is_extension && p.name_part == name)
            };
            if o.name.len() == 1 && plain("enforce_utf8") {
                for f in [&mut key_field, &mut value_field] {
                    if f.r#type == Some(field_type::STRING) {
                        f.options
                            .get_or_insert_with(Default::default)
                            .uninterpreted
                            .push(o.clone());
                    }
                }
            }
            if plain("features") {
                for f in [&mut key_field, &mut value_field] {
                    f.options
                        .get_or_insert_with(Default::default)
                        .uninterpreted
                        .push(o.clone());
                }
            }
        }
    }
    DescriptorProto {
        name: Some(name),
        field: vec![key_field, value_field],
        options: Some(RawOptions {
            raw: MAP_ENTRY_OPTION.to_vec(),
            uninterpreted: Vec::new(),
        }),
        ..Default::default()
    }
}

/// The parser's `UninterpretedOption` for one assignment.
fn uninterpreted_option(a: &ast::OptionAssignment) -> UninterpretedOption {
    let mut u = UninterpretedOption {
        name: a
            .name
            .iter()
            .map(|p| uninterpreted_option::NamePart {
                name_part: p.name.clone(),
                is_extension: p.is_extension,
            })
            .collect(),
        ..Default::default()
    };
    match &a.value {
        ast::OptionValue::Identifier(s) => u.identifier_value = Some(s.clone()),
        ast::OptionValue::PositiveInt(v) => u.positive_int_value = Some(*v),
        ast::OptionValue::NegativeInt(v) => u.negative_int_value = Some(*v),
        ast::OptionValue::Double(v) => u.double_value = Some(*v),
        ast::OptionValue::String(s) => u.string_value = Some(s.clone()),
        ast::OptionValue::Aggregate(s) => u.aggregate_value = Some(s.clone()),
    }
    u
}
