fn main() {
    std::process::exit(redock::commands::main(std::env::args_os()));
}
