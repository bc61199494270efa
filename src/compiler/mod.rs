//! `.proto` compiler, matching protoc 36.2's behaviour: lexer, AST and parser, descriptor
//! building, linking and option interpretation.
//!
//! `parse` turns one file's bytes into an [`ast::File`] that keeps every span and comment protoc
//! records in `SourceCodeInfo`, or into protoc's error list for that file; `set::compile` takes
//! files to linked `FileDescriptorProto`s with their options interpreted.

pub mod ast;
pub mod build;
pub mod descriptor;
pub mod edition_defaults;
pub mod features;
pub mod lexer;
pub mod link;
pub(crate) mod literals;
mod options;
pub mod parser;
mod parser_decls;
mod parser_enums;
mod parser_options;
mod prefetch;
pub mod retention;
pub mod set;
pub mod source_tree;
mod text_format;
mod validate;
mod validate_editions;
mod validate_options;

#[cfg(test)]
mod build_tests;
#[cfg(test)]
mod link_tests;
#[cfg(test)]
mod options_tests;
#[cfg(test)]
mod set_tests;
#[cfg(test)]
mod tests;

/// The compiler's hash maps and sets. Their keys are names and paths from the files being
/// compiled, hashed millions of times on a large corpus: SipHash (std's default, resistant to
/// chosen collisions) took a tenth of a googleapis compile, FxHash a fraction of that.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;
pub(crate) type HashSet<K> = std::collections::HashSet<K, rustc_hash::FxBuildHasher>;

/// One error as protoc reports it; `line` and `col` are 0-based (protoc prints them +1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: i32,
    pub col: i32,
    pub message: String,
}

impl Diagnostic {
    /// The line protoc prints: `file:line:col: message` with 1-based line and column.
    pub fn render(&self, file_name: &str) -> String {
        if self.line < 0 {
            format!("{file_name}: {}", self.message)
        } else {
            format!(
                "{file_name}:{}:{}: {}",
                self.line + 1,
                self.col + 1,
                self.message
            )
        }
    }
}

/// Parses one `.proto` file. On any error returns every diagnostic, in protoc's order.
pub fn parse(file_name: &str, source: &[u8]) -> Result<ast::File, Vec<Diagnostic>> {
    parser::parse_file(file_name, source)
}
