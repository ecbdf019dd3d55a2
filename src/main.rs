fn main() {
    std::process::exit(redock::cli::main(std::env::args_os()));
}
