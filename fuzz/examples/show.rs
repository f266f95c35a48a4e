//! Prints what a `resolve` input decodes to: `cargo run --example show -- FILE`.
#![allow(clippy::print_stdout)]

fn main() {
    let path = std::env::args().nth(1).expect("usage: show FILE");
    let data = std::fs::read(path).expect("read the input");
    println!("{}", conn_config_fuzz::describe_resolve_input(&data));
}
