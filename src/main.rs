//! The `scalegen` binary: the command line is in `scalegen::cli`, what each subcommand
//! does and how it exits in `scalegen::commands`.

fn main() -> std::process::ExitCode {
    scalegen::commands::main()
}
