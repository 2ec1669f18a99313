fn main() -> std::process::ExitCode {
    hearken::cli::main()
}
