// mimalloc rather than glibc's malloc: the pipeline's stages allocate on several threads
// at once (scoring workers, the Kafka reader, the sink), and glibc's arena locks showed
// up as futex waits in profiles of the sinks role.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hearken::cli::main()
}
