//! The `scalegen` binary: argument parsing and exit codes live in `scalegen::cli`.

fn main() -> std::process::ExitCode {
    scalegen::cli::main()
}
