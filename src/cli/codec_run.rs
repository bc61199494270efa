//! Running `--decode_raw`, `--decode=TYPE` and `--encode=TYPE`: the inputs compiled (or the
//! descriptor sets read) as for code generation, stdin converted, the result written as protoc
//! writes it. The conversion itself is `crate::codec`.

use std::io::{Read, Write};
use std::process::ExitCode;

use prost::Message as _;

use crate::codec::{self, schema::Schema, Codec};
use crate::compiler::descriptor::FileDescriptorProto;
use crate::engine::load::{self, Inputs};
use crate::model::Input;

use super::protoc::ProtocArgs;

/// Runs the codec `args` asks for; `codec` is `args.codec`.
pub fn run(args: ProtocArgs, codec: &Codec) -> ExitCode {
    let mut warnings = args.warnings.clone();
    let (schema, compile_warned) = match codec {
        // No input files: protoc decodes into an empty message.
        Codec::DecodeRaw => {
            print_lines(&warnings);
            (Schema::default(), false)
        }
        _ => {
            let input = Input {
                files: args.inputs.clone(),
                proto_paths: args.proto_paths.clone(),
                descriptor_sets: args.descriptor_set_in.clone(),
                error_format: args.error_format,
                rules: args.rules.clone(),
                experimental_editions: args.experimental_editions,
            };
            let tree = load::source_tree(&input).map(|(tree, missing_dirs)| {
                warnings.extend(missing_dirs);
                tree
            });
            let loaded = load::load(&input, tree, false, &mut warnings, None);
            print_lines(&warnings);
            let inputs = match loaded {
                Ok(inputs) => inputs,
                Err(lines) => {
                    print_lines(&lines);
                    return ExitCode::FAILURE;
                }
            };
            // protoc writes the edition defaults (a flag given before --decode or --encode)
            // before it converts anything, and stops if that fails.
            if let (Some(out), Inputs::Compiled(c)) =
                (super::protoc_run::edition_defaults_out(&args), &inputs)
            {
                let defaults =
                    crate::compiler::edition_defaults::compile(&c.pool, out.minimum, out.maximum);
                if let Err(failure) = crate::engine::write_edition_defaults(&out, &defaults) {
                    print_lines(&failure.lines);
                    return ExitCode::FAILURE;
                }
            }
            schema_of(inputs)
        }
    };
    let mut stdin = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut stdin) {
        eprintln!("protowasm: reading stdin: {e}");
        return ExitCode::FAILURE;
    }
    let options = codec::Options {
        deterministic: args.deterministic_output,
        error_format: args.error_format,
    };
    let outcome = codec::run(codec, &schema, &stdin, options);
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(&outcome.stdout)
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("output: I/O error.");
        return ExitCode::FAILURE;
    }
    let fatal = args.fatal_warnings && (outcome.warned || compile_warned);
    if outcome.ok && !fatal {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_lines(lines: &[String]) {
    for line in lines {
        eprintln!("{line}");
    }
}

/// The types protoc can look up: every compiled file (the inputs and their imports), or,
/// with only descriptor sets, every file of the sets (protoc's pool loads them on demand).
fn schema_of(inputs: Inputs) -> (Schema, bool) {
    match inputs {
        Inputs::Compiled(c) => (Schema::new(c.pool.files()), c.found_warnings),
        Inputs::DescriptorSets(set) => {
            let files: Vec<FileDescriptorProto> = set
                .files()
                .filter_map(|raw| FileDescriptorProto::decode(&raw.bytes[..]).ok())
                .collect();
            (Schema::new(&files), false)
        }
    }
}
