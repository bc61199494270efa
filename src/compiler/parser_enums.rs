//! Enums (values, options, reserved, protoc's allow_alias checks) and services (rpc methods
//! with streaming and option bodies).

use super::ast::*;
use super::parser::{Parser, P};

impl<'a> Parser<'a> {
    pub(super) fn parse_enum(&mut self, visibility: Option<Visibility>) -> P<Enum> {
        let start = self.pos();
        self.consume("enum")?;
        let name = self.consume_ident("Expected enum name.")?;
        let comments = self.end_decl("{")?;
        let mut body = Vec::new();
        while self.try_end_decl("}", false).is_none() {
            if self.at_end() {
                return self.fail("Reached end of input in enum definition (missing '}').");
            }
            match self.parse_enum_statement() {
                Ok(Some(item)) => body.push(item),
                Ok(None) => {}
                Err(()) => self.skip_statement(),
            }
        }
        self.validate_enum(&name.name, &body)?;
        Ok(Enum {
            visibility,
            name,
            span: self.span_from(start),
            comments,
            body,
        })
    }

    fn parse_enum_statement(&mut self) -> P<Option<EnumItem>> {
        if self.try_end_decl(";", false).is_some() {
            return Ok(None);
        }
        Ok(Some(if self.looking_at("option") {
            EnumItem::Option(self.parse_option_statement()?)
        } else if self.looking_at("reserved") {
            EnumItem::Reserved(self.parse_reserved(true)?)
        } else {
            let start = self.pos();
            let name = self.consume_ident("Expected enum constant name.")?;
            self.consume_msg("=", "Missing numeric value for enum constant.")?;
            let ns = self.pos();
            let number = self.consume_signed_integer("Expected integer.")?;
            let number_span = self.span_from(ns);
            let options = self.parse_compact_options()?;
            let comments = self.end_decl(";")?;
            EnumItem::Value(EnumValue {
                name,
                number,
                number_span,
                options,
                span: self.span_from(start),
                comments,
            })
        }))
    }

    /// protoc's Parser::ValidateEnum (reported at the token after the enum's `}`).
    fn validate_enum(&mut self, name: &str, body: &[EnumItem]) -> P<()> {
        let mut allow_alias = None;
        for item in body {
            let EnumItem::Option(o) = item else { continue };
            let o = &o.option;
            if o.name.len() > 1 {
                continue;
            }
            if !o.name[0].is_extension && o.name[0].name == "allow_alias" {
                allow_alias = Some(matches!(&o.value, OptionValue::Identifier(v) if v == "true"));
                break;
            }
        }
        if allow_alias == Some(false) {
            return self.fail(format!(
                "\"{name}\" declares 'option allow_alias = false;' which has no effect. Please \
                 remove the declaration."
            ));
        }
        let mut seen = super::HashSet::default();
        let has_duplicates = body
            .iter()
            .filter_map(|i| {
                if let EnumItem::Value(v) = i {
                    Some(v.number)
                } else {
                    None
                }
            })
            .any(|n| !seen.insert(n));
        if allow_alias == Some(true) && !has_duplicates {
            return self.fail(format!(
                "\"{name}\" declares support for enum aliases but no enum values share field \
                 numbers. Please remove the unnecessary 'option allow_alias = true;' declaration."
            ));
        }
        Ok(())
    }

    pub(super) fn parse_service(&mut self) -> P<Service> {
        let start = self.pos();
        self.consume("service")?;
        let name = self.consume_ident("Expected service name.")?;
        let comments = self.end_decl("{")?;
        let mut items = Vec::new();
        while self.try_end_decl("}", false).is_none() {
            if self.at_end() {
                return self.fail("Reached end of input in service definition (missing '}').");
            }
            let r = if self.try_end_decl(";", false).is_some() {
                Ok(None)
            } else if self.looking_at("option") {
                self.parse_option_statement()
                    .map(|o| Some(ServiceItem::Option(o)))
            } else {
                self.parse_method().map(|m| Some(ServiceItem::Method(m)))
            };
            match r {
                Ok(Some(item)) => items.push(item),
                Ok(None) => {}
                Err(()) => self.skip_statement(),
            }
        }
        Ok(Service {
            name,
            span: self.span_from(start),
            comments,
            items,
        })
    }

    fn parse_method(&mut self) -> P<Method> {
        let start = self.pos();
        self.consume("rpc")?;
        let name = self.consume_ident("Expected method name.")?;
        self.consume("(")?;
        let (client_streaming, input_type, input_span) = self.parse_method_type()?;
        self.consume(")")?;
        self.consume("returns")?;
        self.consume("(")?;
        let (server_streaming, output_type, output_span) = self.parse_method_type()?;
        self.consume(")")?;
        let (body, comments) = if self.looking_at("{") {
            // protoc ignores a failure to read `{` here (it cannot fail: we are looking at it).
            let comments = self.end_decl("{").unwrap_or_default();
            let mut options = Vec::new();
            while self.try_end_decl("}", false).is_none() {
                if self.at_end() {
                    return self.fail("Reached end of input in method options (missing '}').");
                }
                if self.try_end_decl(";", false).is_some() {
                    continue;
                }
                match self.parse_option_statement() {
                    Ok(o) => options.push(o),
                    Err(()) => self.skip_statement(),
                }
            }
            (Some(options), comments)
        } else {
            (None, self.end_decl(";")?)
        };
        Ok(Method {
            name,
            client_streaming,
            input_type,
            input_span,
            server_streaming,
            output_type,
            output_span,
            body,
            span: self.span_from(start),
            comments,
        })
    }

    fn parse_method_type(&mut self) -> P<(Option<Span>, String, Span)> {
        let mut stream = None;
        if self.looking_at("stream") {
            stream = Some(self.token_span());
            self.consume("stream")?;
        }
        let s = self.pos();
        let ty = self.parse_user_type()?;
        Ok((stream, ty, self.span_from(s)))
    }
}
