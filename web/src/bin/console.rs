//! `rappu-console`: the operator's console (loaded for `/console/...`).

fn main() {
    rappu_web::start_console();
}
